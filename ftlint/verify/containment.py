"""Run a ``ftlint verify`` child process contained by the operating system.

:func:`run_contained` starts the child in its own session and process group, with an
environment pointed into a private work directory, and (on Linux) applies, in the forked child
before it executes anything, in this order:

1. ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the child dies with the thread that started it;
2. new network and mount namespaces (``unshare``; with a new user namespace when not privileged):
   no network at all, not even loopback; ``/dev/shm`` becomes a private tmpfs that disappears
   with the child;
3. resource limits: data memory (heap and private writable mappings), core dumps (none), file size, CPU time (a backstop above
   the wall-clock timeout: every core busy for the whole timeout, plus a second);
4. the capability bounding set emptied but for reading (a root child keeps no other privilege);
5. Landlock, last: every write-like filesystem right the kernel knows is denied outside the work
   directory (and ``/dev/null``, and the private ``/dev/shm``); TCP bind/connect denied; no
   signals to processes outside the child's domain; no abstract UNIX sockets outside it.
   Reads and execution stay unrestricted.

``RLIMIT_NPROC`` is not set: it counts every process of the user (not of the child's tree), so
a low value breaks ordinary runs of a busy user, and root ignores it. A fork loop is ended by
the timeout instead: the whole process group, and every process in the child's network
namespace (which catches descendants that left the group with ``setsid``), is killed with
SIGKILL when the child exits or times out.

What could not be applied is reported in :attr:`Outcome.missing`, what was applied in
:attr:`Outcome.guarantees`; the run happens either way. ``docs/verify-containment.md`` says what
this does and does not guarantee.

The child reports its result on a channel of its own, not on stdout: an inherited pipe whose
file descriptor is in ``FTLINT_RESULT_FD``; :func:`send_result` writes one length-prefixed
message to it, and only the first message counts.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import math
import os
import resource
import select
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

RESULT_FD_VARIABLE = "FTLINT_RESULT_FD"
RESULT_CAP = 256 * 1024**2  # a longer message is not read: the result is None
OUTPUT_LINES = 200

_FRAME = struct.Struct("<Q")  # the result's length, before it
_OUTPUT_TAIL_BYTES = 256 * 1024
_READ_CHUNK = 1024 * 1024

# Environment variables dropped: a name containing one of these (compared in upper case) ...
SECRET_MARKERS = (
    "TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
    "CREDENTIAL",
)  # fmt: skip
# ... or starting with one of these ...
SECRET_PREFIXES = ("AWS_",)
# ... or one of these: sockets of agents that act for the user (ssh, gpg, the desktop session).
SECRET_NAMES = frozenset({"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS"})
# Set whatever the caller passes: nothing is fetched, tracked or written outside the work directory.
_FIXED_VARIABLES = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave in the order they were written
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "WANDB_MODE": "offline",
    "DO_NOT_TRACK": "1",
}
# Directories set inside the work directory: variable -> path relative to it.
_WORK_DIRECTORIES = {
    "HOME": "home",
    "TMPDIR": "tmp",
    "TMP": "tmp",
    "TEMP": "tmp",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "MPLCONFIGDIR": "config/matplotlib",
    "TORCHINDUCTOR_CACHE_DIR": "cache/torchinductor",
    "TRITON_CACHE_DIR": "cache/triton",
    "HF_DATASETS_CACHE": "cache/huggingface/datasets",
    "WANDB_DIR": "wandb",
    "WANDB_CACHE_DIR": "cache/wandb",
    "WANDB_CONFIG_DIR": "config/wandb",
    "WANDB_DATA_DIR": "data/wandb",
    "TENSORBOARD_LOGDIR": "tensorboard",
}
# Made in advance: a missing HOME or TMPDIR is not made by what uses it (the others are). Only
# these two: deleting a directory can cost milliseconds (about 5 ms each on an ext4 disk here).
_MADE_DIRECTORIES = ("home", "tmp")
_HUB_CACHE_VARIABLES = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")

# Linux constants (uapi linux/landlock.h, linux/sched.h, linux/prctl.h, linux/mount.h).
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_REMOVE_DIR = 1 << 4
_FS_REMOVE_FILE = 1 << 5
_FS_MAKE_CHAR = 1 << 6
_FS_MAKE_DIR = 1 << 7
_FS_MAKE_REG = 1 << 8
_FS_MAKE_SOCK = 1 << 9
_FS_MAKE_FIFO = 1 << 10
_FS_MAKE_BLOCK = 1 << 11
_FS_MAKE_SYM = 1 << 12
_FS_REFER = 1 << 13
_FS_TRUNCATE = 1 << 14
_FS_IOCTL_DEV = 1 << 15
_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
_SCOPE_SIGNAL = 1 << 1
# The write-like filesystem rights by the ABI that introduced them; reads and execution are
# never handled, so they stay allowed everywhere.
_FS_WRITE_RIGHTS_BY_ABI = (
    (1, _FS_WRITE_FILE | _FS_REMOVE_DIR | _FS_REMOVE_FILE | _FS_MAKE_CHAR | _FS_MAKE_DIR
     | _FS_MAKE_REG | _FS_MAKE_SOCK | _FS_MAKE_FIFO | _FS_MAKE_BLOCK | _FS_MAKE_SYM),
    (2, _FS_REFER),
    (3, _FS_TRUNCATE),
    (5, _FS_IOCTL_DEV),
)  # fmt: skip
# Device nodes are never made, even in the work directory: a root child could otherwise make
# one for the disk and write through it. Devices get no ioctl there either.
_FS_DEVICE_RIGHTS = _FS_MAKE_CHAR | _FS_MAKE_BLOCK | _FS_IOCTL_DEV
_FS_FILE_RIGHTS = (
    _FS_WRITE_FILE | _FS_TRUNCATE
)  # what a rule on a single file (/dev/null) may grant
_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAPBSET_DROP = 24
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
# Capabilities a root child keeps: reading any file (reads are allowed everywhere, and a root
# user's project may belong to someone else). Writes are Landlock's to deny.
_KEPT_CAPABILITIES = frozenset({1, 2})  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_O_PATH = getattr(os, "O_PATH", 0)


@dataclass(frozen=True)
class Limits:
    """What the child may use."""

    timeout: float = 120.0  # wall clock, seconds
    # Heap and private writable mappings (RLIMIT_DATA), bytes: not RLIMIT_AS, which counts the
    # address space that CUDA builds of torch map at import (several GiB), used or not.
    memory: int = 4 * 1024**3
    file_size: int = 1024**3  # largest file the child may write (RLIMIT_FSIZE), bytes
    shm_size: int = 512 * 1024**2  # the private /dev/shm, bytes


@dataclass(frozen=True)
class Outcome:
    """How a contained run ended."""

    # The first message on the result channel (None: none, cut short, or over RESULT_CAP).
    result: bytes | None
    returncode: int | None  # the exit status; None when a signal ended the child
    timed_out: bool  # killed by us at the timeout
    signal: int | None  # the signal that ended the child, if any (SIGKILL when timed out)
    output: str  # stdout and stderr interleaved, the last OUTPUT_LINES lines
    guarantees: tuple[str, ...]  # what was enforced
    missing: tuple[str, ...]  # what could not be enforced here, and why
    duration: float  # wall-clock seconds from start to the child's end


def send_result(payload: bytes) -> None:
    """In the child: send ``payload`` to the parent on the result channel, and close it.

    Only the first message counts, so the channel is gone after one call.
    """
    descriptor = os.environ.pop(RESULT_FD_VARIABLE, None)
    if descriptor is None:
        raise RuntimeError(
            f"no result channel: {RESULT_FD_VARIABLE} is not set (send_result sends once, "
            "from a process started by run_contained)"
        )
    with open(int(descriptor), "wb") as channel:
        channel.write(_FRAME.pack(len(payload)))
        channel.write(payload)


@contextlib.contextmanager
def private_workdir() -> Iterator[Path]:
    """A new private directory, deleted afterwards whatever the child left in it."""
    path = Path(tempfile.mkdtemp(prefix="ftlint-verify-"))
    try:
        yield path
    finally:
        _remove_tree(path)


def _remove_tree(path: Path) -> None:
    # Directories the child made read-only or unreadable are opened up first (never through a
    # symlink: that could change a file outside).
    for directory, subdirectories, _ in os.walk(path):
        for name in subdirectories:
            child = os.path.join(directory, name)
            if not os.path.islink(child):
                with contextlib.suppress(OSError):
                    os.chmod(child, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def contained_environment(env: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """``env`` without secrets, with caches, configuration and temporary files in ``workdir``.

    Dropped: names containing one of :data:`SECRET_MARKERS` (``HF_TOKEN``, ``WANDB_API_KEY``,
    ``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``, ``OPENAI_API_KEY``, ...), starting with one of
    :data:`SECRET_PREFIXES`, or in :data:`SECRET_NAMES`. The Hugging Face hub cache stays the
    user's (readable, not writable): ``HF_HOME``/``HF_HUB_CACHE`` as given, else the default
    ``huggingface/hub`` under the caller's cache directory; so does torch.hub's (``TORCH_HOME``,
    else ``torch`` under the caller's cache directory). ``PYTHONUSERBASE`` stays the
    caller's, so packages installed with ``pip --user`` still import under the new ``HOME``.
    """
    home = env.get("HOME") or os.path.expanduser("~")
    contained = {name: value for name, value in env.items() if not _is_secret(name)}
    if not any(name in env for name in _HUB_CACHE_VARIABLES):
        cache = env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
        contained["HF_HUB_CACHE"] = os.path.join(cache, "huggingface", "hub")
    # torch.hub's cached repositories are code the script loads (weights are never read).
    contained["TORCH_HOME"] = env.get("TORCH_HOME") or os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache"), "torch"
    )
    contained.setdefault("PYTHONUSERBASE", _user_base(home))
    for relative in _MADE_DIRECTORIES:
        (workdir / relative).mkdir(exist_ok=True)
    for name, relative in _WORK_DIRECTORIES.items():
        contained[name] = str(workdir / relative)
    contained["MLFLOW_TRACKING_URI"] = (workdir / "mlruns").as_uri()
    contained.update(_FIXED_VARIABLES)
    return contained


def _is_secret(name: str) -> bool:
    upper = name.upper()
    return (
        upper in SECRET_NAMES
        or upper.startswith(SECRET_PREFIXES)
        or any(marker in upper for marker in SECRET_MARKERS)
    )


def _user_base(home: str) -> str:
    # site.getuserbase() for the caller's HOME, without importing site's side effects.
    if sys.platform == "darwin" and sys._framework:
        return os.path.join(
            home, "Library", sys._framework, f"{sys.version_info[0]}.{sys.version_info[1]}"
        )
    return os.path.join(home, ".local")


# --- Linux primitives, through libc -------------------------------------------------------------


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _load_libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


_LIBC = _load_libc()


def _call(result: int, what: str) -> int:
    """``result`` of a libc call, or an OSError naming ``what`` and errno."""
    if result < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {errno.errorcode.get(number, number)}")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version the running kernel offers; 0 when it offers none."""
    if _LIBC is None:
        return 0
    version = _LIBC.syscall(
        _SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
    )  # fmt: skip
    return max(int(version), 0)


_OLD = "or older than 5.13"
_UNCONFINED = "file writes are not confined"


def _landlock_missing(abi: int) -> tuple[str, ...]:
    if _LIBC is None:
        return (f"landlock: not Linux ({sys.platform}): file writes and network are not confined",)
    if abi < 1:
        return (f"landlock: the kernel offers no Landlock ABI (disabled, {_OLD}): {_UNCONFINED}",)
    missing = []
    if abi < 4:
        missing.append(f"landlock-tcp: Landlock ABI {abi} < 4")
    if abi < 6:
        missing.append(f"landlock-signal, landlock-abstract-unix: Landlock ABI {abi} < 6")
    return tuple(missing)


def _landlock_guarantees(abi: int) -> tuple[str, ...]:
    if abi < 1:
        return ()
    return (
        "landlock-fs",
        *(("landlock-tcp",) if abi >= 4 else ()),
        *(("landlock-signal", "landlock-abstract-unix") if abi >= 6 else ()),
    )


def _handled_fs(abi: int) -> int:
    return sum(rights for version, rights in _FS_WRITE_RIGHTS_BY_ABI if version <= abi)


def _create_ruleset(abi: int) -> int:
    assert _LIBC is not None
    attr = _RulesetAttr(
        handled_access_fs=_handled_fs(abi),
        handled_access_net=_NET_BIND_TCP | _NET_CONNECT_TCP if abi >= 4 else 0,
        scoped=_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if abi >= 6 else 0,
    )
    # The size of the struct this ABI knows: an older kernel rejects fields it has never heard of.
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    return _call(
        _LIBC.syscall(
            _SYS_LANDLOCK_CREATE_RULESET,
            ctypes.byref(attr),
            ctypes.c_size_t(size),
            ctypes.c_uint32(0),
        ),
        "landlock_create_ruleset",
    )


def _allow_beneath(ruleset: int, path: str, rights: int) -> None:
    assert _LIBC is not None
    descriptor = os.open(path, _O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=descriptor)
        _call(
            _LIBC.syscall(
                _SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0),
            ),
            f"landlock_add_rule {path}",
        )  # fmt: skip
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class _Plan:
    """What the forked child applies to itself, prepared by the parent."""

    limits: Limits
    ruleset: int | None  # a Landlock ruleset with its rules, or None
    handled_fs: int
    status: int  # write end of the pipe the child reports what it applied on


def _rlimits(limits: Limits) -> tuple[tuple[str, int, int], ...]:
    cpu = math.ceil(limits.timeout) * (os.cpu_count() or 1) + 1
    return (
        ("rlimit-data", resource.RLIMIT_DATA, limits.memory),
        ("rlimit-core", resource.RLIMIT_CORE, 0),
        ("rlimit-fsize", resource.RLIMIT_FSIZE, limits.file_size),
        ("rlimit-cpu", resource.RLIMIT_CPU, cpu),
    )


def _contain(plan: _Plan) -> None:
    """In the forked child, before exec: apply every layer this machine allows, report each.

    Safe in a threaded parent: it takes no Python lock (no import, no logging), only system
    calls through the already-loaded libc and ``resource``.
    """
    notes: list[str] = []
    for step in (_die_with_parent, _namespaces, _limit_resources, _drop_capabilities, _landlock):
        try:
            notes.extend(step(plan))
        except Exception as error:  # noqa: BLE001 - a layer that fails is reported, the run goes on
            notes.append(f"-{step.__name__.strip('_')}: {error}")
    os.write(plan.status, "\n".join(notes).encode())


def _die_with_parent(plan: _Plan) -> list[str]:
    if _LIBC is None:
        return ["-pdeathsig: not Linux"]
    _call(_LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    return ["+pdeathsig"]


def _namespaces(plan: _Plan) -> list[str]:
    if _LIBC is None:
        return ["-netns: not Linux: the network is reachable"]
    flags = _CLONE_NEWNET | _CLONE_NEWNS
    uid, gid = os.getuid(), os.getgid()  # read before a user namespace hides them
    if _LIBC.unshare(flags) < 0:
        first = ctypes.get_errno()
        # Unprivileged: a user namespace gives the capabilities for the other two.
        if _LIBC.unshare(_CLONE_NEWUSER | flags) < 0:
            second = ctypes.get_errno()
            return [
                (
                    f"-netns: unshare: {errno.errorcode.get(first, first)}, with a user namespace: "
                    f"{errno.errorcode.get(second, second)}: the network is reachable"
                ),
                "-private-shm: no mount namespace",
            ]
        _map_own_ids(uid, gid)
    notes = [f"+netns {os.stat('/proc/self/ns/net').st_ino}"]
    try:
        _call(_LIBC.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount(MS_PRIVATE)")
        options = f"mode=1777,size={plan.limits.shm_size}".encode()
        _call(
            _LIBC.mount(b"tmpfs", b"/dev/shm", b"tmpfs", _MS_NOSUID | _MS_NODEV, options),
            "mount tmpfs /dev/shm",
        )
    except OSError as error:
        return [*notes, f"-private-shm: {error}"]
    if plan.ruleset is not None:
        _allow_beneath(plan.ruleset, "/dev/shm", plan.handled_fs & ~_FS_DEVICE_RIGHTS)
    return [*notes, "+private-shm"]


def _map_own_ids(uid: int, gid: int) -> None:
    # The ids outside keep their meaning inside (they would show as 65534 otherwise).
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with contextlib.suppress(OSError):
            descriptor = os.open(f"/proc/self/{name}", os.O_WRONLY)
            try:
                os.write(descriptor, text.encode())
            finally:
                os.close(descriptor)


def _limit_resources(plan: _Plan) -> list[str]:
    notes = []
    for guarantee, kind, value in _rlimits(plan.limits):
        try:
            _, hard = resource.getrlimit(kind)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(kind, (value, value))
            notes.append(f"+{guarantee}")
        except (OSError, ValueError) as error:
            notes.append(f"-{guarantee}: {error}")
    return notes


def _drop_capabilities(plan: _Plan) -> list[str]:
    """Take every capability but reading out of the bounding set, which exec cannot exceed.

    Without this a root child could, say, join the host's network namespace again (setns) or
    load a kernel module.
    """
    if _LIBC is None:
        return ["-capabilities: not Linux"]
    with open("/proc/sys/kernel/cap_last_cap", "rb") as last:
        capabilities = range(int(last.read()) + 1)
    for capability in capabilities:
        if (
            capability not in _KEPT_CAPABILITIES
            and _LIBC.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) < 0
        ):
            if ctypes.get_errno() == errno.EPERM and os.geteuid() != 0:
                break  # an unprivileged process: exec gives it no capabilities anyway
            _call(-1, f"prctl(PR_CAPBSET_DROP, {capability})")
    _LIBC.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    return ["+capabilities"]


def _landlock(plan: _Plan) -> list[str]:
    if plan.ruleset is None or _LIBC is None:
        return []  # the parent already knows why
    _call(_LIBC.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _call(
        _LIBC.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(plan.ruleset), ctypes.c_uint32(0)),
        "landlock_restrict_self",
    )
    return ["+landlock"]


# --- the parent -------------------------------------------------------------------------------


def run_contained(
    argv: Sequence[str], *, cwd: Path, limits: Limits, env: Mapping[str, str], workdir: Path
) -> Outcome:
    """Run ``argv`` contained (see the module's docstring); wait at most ``limits.timeout``.

    ``workdir`` is the only directory the child may write to (make it with
    :func:`private_workdir`); the child's environment is :func:`contained_environment` of ``env``
    plus ``FTLINT_RESULT_FD``. The child's stdout and stderr go to a file only the parent holds,
    so descendants that keep them open cannot keep the parent waiting.
    """
    workdir = workdir.resolve()
    child_env = contained_environment(env, workdir)
    abi = landlock_abi()
    missing = list(_landlock_missing(abi))
    ruleset = None
    if abi >= 1:
        try:
            ruleset = _ruleset_for(workdir, abi)
        except OSError as error:
            missing = [f"landlock: {error}: file writes and network are not confined"]
    result_read, result_write = os.pipe()
    status_read, status_write = os.pipe()
    child_env[RESULT_FD_VARIABLE] = str(result_write)
    plan = _Plan(limits, ruleset, _handled_fs(abi), status_write)
    with tempfile.TemporaryFile() as output:
        start = time.monotonic()
        try:
            process = subprocess.Popen(
                list(argv), cwd=cwd, env=child_env, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, pass_fds=(result_write,), start_new_session=True,
                preexec_fn=lambda: _contain(plan),  # noqa: PLW1509 - see _contain
            )  # fmt: skip
        except BaseException:
            os.close(result_read)
            os.close(status_read)
            raise
        finally:
            for descriptor in (
                result_write,
                status_write,
                *(() if ruleset is None else (ruleset,)),
            ):
                os.close(descriptor)
        applied = _read_status(status_read)
        try:
            result, timed_out = _wait(process, result_read, start + limits.timeout)
        finally:
            _kill_all(process.pid, applied.get("netns"))
            process.wait()
        duration = time.monotonic() - start
        tail = _tail(output)
    code = process.returncode
    return Outcome(
        result=result,
        returncode=code if code >= 0 else None,
        timed_out=timed_out,
        signal=-code if code < 0 else None,
        output=tail,
        guarantees=(*_guarantees(applied, abi), "timeout", "process-group", "env-scrubbed"),
        missing=(
            *missing,
            *(f"{name[1:]}: {why}" for name, why in applied.items() if name[0] == "-"),
        ),
        duration=duration,
    )


def _ruleset_for(workdir: Path, abi: int) -> int:
    ruleset = _create_ruleset(abi)
    try:
        handled = _handled_fs(abi)
        _allow_beneath(ruleset, str(workdir), handled & ~_FS_DEVICE_RIGHTS)
        _allow_beneath(ruleset, os.devnull, handled & _FS_FILE_RIGHTS)
    except OSError:
        os.close(ruleset)
        raise
    return ruleset


def _read_status(descriptor: int) -> dict[str, str]:
    """What the child applied ({name: detail}) and could not ({"-name": why}).

    Closes ``descriptor``."""
    chunks = []
    try:
        while chunk := os.read(descriptor, 65536):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    applied = {}
    for line in b"".join(chunks).decode().splitlines():
        if line.startswith("+"):
            name, _, detail = line[1:].partition(" ")
            applied[name] = detail
        else:
            name, _, why = line[1:].partition(": ")
            applied[f"-{name}"] = why
    return applied


def _guarantees(applied: Mapping[str, str], abi: int) -> list[str]:
    guarantees: list[str] = []
    for name in applied:
        if name == "landlock":
            guarantees.extend(_landlock_guarantees(abi))
        elif not name.startswith("-"):
            guarantees.append(name)
    return guarantees


class _Frame:
    """The first length-prefixed message read from the result channel."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.finished = False  # a whole message arrived, or one too long to take, or EOF
        self.result: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            self.finished = True
            return
        self.buffer += chunk
        if len(self.buffer) < _FRAME.size:
            return
        (length,) = _FRAME.unpack_from(self.buffer)
        if length > RESULT_CAP:
            self.finished = True
        elif len(self.buffer) >= _FRAME.size + length:
            self.result = bytes(self.buffer[_FRAME.size : _FRAME.size + length])
            self.finished = True


def _drain(descriptor: int, frame: _Frame) -> None:
    """Read what the channel holds now, without waiting for more."""
    while not frame.finished:
        try:
            frame.feed(os.read(descriptor, _READ_CHUNK))
        except BlockingIOError:
            return


def _wait(
    process: subprocess.Popen[bytes], result: int, deadline: float
) -> tuple[bytes | None, bool]:
    """Read the result channel until the child exits (True: it did not by ``deadline``).

    The channel is closed once its message is read, so a child writing more gets EPIPE instead
    of blocking. The child is left unreaped: its process group id stays its own until killed.
    """
    frame = _Frame()
    os.set_blocking(result, False)
    exited = _ExitWatcher(process)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(result, selectors.EVENT_READ)
            if exited.descriptor is not None:
                selector.register(exited.descriptor, selectors.EVENT_READ)
            while not exited.done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return frame.result, True
                ready = selector.select(
                    remaining if exited.descriptor is not None else min(remaining, 0.01)
                )
                if not frame.finished and any(key.fd == result for key, _ in ready):
                    _drain(result, frame)
                    if frame.finished:
                        selector.unregister(result)
            _drain(result, frame)  # what it wrote just before exiting
        return frame.result, False
    finally:
        exited.close()
        os.close(result)


class _ExitWatcher:
    """Whether a child exited, without reaping it (a pidfd on Linux, else waitid(WNOWAIT)), so
    its pid, which is its process group's id, is not reused before the group is killed. Where
    neither exists (macOS before Python 3.13) it is reaped, and the group killed just after."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.descriptor: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.descriptor = os.pidfd_open(process.pid)

    def done(self) -> bool:
        if self.descriptor is not None:
            return bool(select.select([self.descriptor], [], [], 0)[0])
        if hasattr(os, "waitid"):
            options = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, self.process.pid, options) is not None
        return self.process.poll() is not None

    def close(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)


def _kill_all(pid: int, netns: str | None) -> None:
    """SIGKILL the child's process group, and every process left in its network namespace."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if netns is not None:
        # Descendants may have left the group (setsid); they cannot leave the namespace unless
        # privileged. Repeat while a fork loop still makes new ones.
        for _ in range(10):
            if not _kill_namespace(int(netns)):
                break


def _kill_namespace(inode: int) -> bool:
    killed = False
    for name in os.listdir("/proc"):
        if name.isdigit() and _in_namespace(name, inode):
            try:
                # The pidfd pins the process: checked again through it, then killed, so a pid
                # reused in between is never hit.
                handle = os.pidfd_open(int(name))
            except OSError as error:
                if error.errno == errno.ENOSYS:  # Linux before 5.3: no pidfd, a plain kill
                    with contextlib.suppress(OSError):
                        os.kill(int(name), signal.SIGKILL)
                        killed = True
                continue
            try:
                if _in_namespace(name, inode):
                    signal.pidfd_send_signal(handle, signal.SIGKILL)
                    killed = True
            finally:
                os.close(handle)
    return killed


def _in_namespace(pid: str, inode: int) -> bool:
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == inode
    except OSError:  # gone, a zombie, or not ours to look at
        return False


def _tail(output: IO[bytes]) -> str:
    size = output.seek(0, os.SEEK_END)
    start = max(0, size - _OUTPUT_TAIL_BYTES)
    output.seek(start)
    lines = output.read().decode(errors="replace").splitlines()
    if start > 0:
        lines = lines[1:]  # the first line read may be cut
    return "\n".join(lines[-OUTPUT_LINES:])
