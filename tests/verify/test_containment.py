"""What a contained verify child can and cannot do: each hostile script ends cleanly, writes
nothing outside its work directory, reaches no network and leaves no process behind; each is run
uncontained too (where that is harmless), to show the test would fail without containment."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ftlint.verify import containment
from ftlint.verify.containment import (
    Limits,
    Outcome,
    contained_environment,
    landlock_abi,
    private_workdir,
    run_contained,
)

REPO = Path(__file__).resolve().parents[2]
QUICK = Limits(timeout=10)
ABI = landlock_abi()
needs_landlock = pytest.mark.skipif(ABI < 1, reason=f"the kernel offers no Landlock (ABI {ABI})")
needs_landlock_scopes = pytest.mark.skipif(
    ABI < 6, reason=f"Landlock signal scoping needs ABI 6, the kernel offers {ABI}"
)


def _can_unshare_network() -> bool:
    """A probe of our own: can a child of this process get a network namespace of its own?"""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        libc = containment._LIBC
        ok = libc is not None and (
            libc.unshare(0x40000000) == 0 or libc.unshare(0x10000000 | 0x40000000) == 0
        )
        os._exit(0 if ok else 1)
    return os.waitpid(pid, 0)[1] == 0


needs_netns = pytest.mark.skipif(
    not _can_unshare_network(), reason="no network namespace can be made here (unshare refused)"
)


class Sandbox:
    """A script in ``tmp_path``, run contained (in a fresh private work directory) or plainly."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.outside = tmp_path / "outside"  # the canary: nothing may appear here
        self.home = tmp_path / "parent-home"  # the parent's HOME: it must stay empty
        self.home.mkdir()
        self.env = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(REPO),
            "HOME": str(self.home),
        }

    def script(self, code: str) -> list[str]:
        path = self.root / "script.py"
        path.write_text(textwrap.dedent(code).replace("OUTSIDE", repr(str(self.outside))))
        return [sys.executable, str(path)]

    def contained(self, code: str, *, limits: Limits = QUICK, **env: str) -> Outcome:
        argv = self.script(code)
        with private_workdir() as workdir:
            return run_contained(
                argv, cwd=self.root, limits=limits, env={**self.env, **env}, workdir=workdir
            )

    def plain(self, code: str) -> subprocess.CompletedProcess[str]:
        """The same script without containment (what the contained run is compared with)."""
        return subprocess.run(
            self.script(code), cwd=self.root, env=self.env, capture_output=True, text=True,
            timeout=10, check=False,
        )  # fmt: skip


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path)
    yield box
    assert list(box.home.iterdir()) == []


def last_line(outcome: Outcome) -> str:
    return outcome.output.splitlines()[-1]


WRITES_OUTSIDE = {
    "libc system(touch)": (
        "import ctypes; ctypes.CDLL(None).system(b'touch ' + OUTSIDE.encode())",
        "touch: cannot touch '{outside}': Permission denied",
    ),
    "sqlite3.connect": (
        "import sqlite3; sqlite3.connect(OUTSIDE).execute('create table t(x int)')",
        "sqlite3.OperationalError: unable to open database file",
    ),
    "os.mkfifo": ("import os; os.mkfifo(OUTSIDE)", "PermissionError: [Errno 13] Permission denied"),
    "os.symlink": (
        "import os; os.symlink('/etc/hostname', OUTSIDE)",
        "PermissionError: [Errno 13] Permission denied: '/etc/hostname' -> '{outside}'",
    ),
    "a thread, after the script ends": (
        """
        import threading, time
        def late():
            time.sleep(0.1)
            open(OUTSIDE, "w")
        threading.Thread(target=late).start()
        """,
        "PermissionError: [Errno 13] Permission denied: '{outside}'",
    ),
    "an atexit handler": (
        "import atexit; atexit.register(lambda: open(OUTSIDE, 'w'))",
        "PermissionError: [Errno 13] Permission denied: '{outside}'",
    ),
}


@needs_landlock
@pytest.mark.parametrize(("code", "error"), WRITES_OUTSIDE.values(), ids=WRITES_OUTSIDE.keys())
def test_writes_outside_the_workdir_are_denied(sandbox: Sandbox, code: str, error: str) -> None:
    outcome = sandbox.contained(code)
    assert (last_line(outcome), outcome.timed_out, sandbox.outside.exists()) == (
        error.format(outside=sandbox.outside),
        False,
        False,
    )
    # Failing twin: uncontained, the same script does write there.
    sandbox.plain(code)
    assert sandbox.outside.exists()


@needs_landlock
def test_the_workdir_is_writable_and_every_file_readable(sandbox: Sandbox) -> None:
    (sandbox.root / "labels.json").write_text("[1, 2]")
    outcome = sandbox.contained(
        """
        import os, tempfile
        from pathlib import Path
        from ftlint.verify.containment import send_result
        Path.home().joinpath("notes").write_text("home")
        with tempfile.NamedTemporaryFile("w", delete=False) as scratch:
            scratch.write("tmp")
        os.rename(scratch.name, Path.home() / "moved")  # across directories of the workdir
        os.truncate(Path.home() / "moved", 1)
        open(os.devnull, "w").write("dropped")
        send_result(Path("labels.json").read_bytes() + (Path.home() / "moved").read_bytes())
        """
    )
    assert (outcome.result, outcome.returncode, outcome.output) == (b"[1, 2]t", 0, "")


@pytest.fixture
def hub_cache(sandbox: Sandbox) -> Iterator[Path]:
    """A model's config in the parent's default Hugging Face hub cache, as a download leaves it."""
    hub = sandbox.home / ".cache" / "huggingface" / "hub"
    model = hub / "models--tiny--bert"
    (model / "snapshots" / "abc").mkdir(parents=True)
    (model / "refs").mkdir()
    (model / "refs" / "main").write_text("abc")
    (model / "snapshots" / "abc" / "config.json").write_text('{"hidden_size": 64}')
    yield hub
    shutil.rmtree(sandbox.home / ".cache")


def test_cached_hub_files_are_found_offline(sandbox: Sandbox, hub_cache: Path) -> None:
    code = """
        import huggingface_hub
        print(open(huggingface_hub.hf_hub_download("tiny/bert", "config.json")).read())
        """
    outcome = sandbox.contained(code)
    assert (outcome.returncode, outcome.output) == (0, '{"hidden_size": 64}')
    # Twin: with a hub cache of its own (an empty one) the same download finds nothing.
    outcome = sandbox.contained(code, HF_HOME=str(sandbox.root / "empty"))
    assert last_line(outcome).startswith("huggingface_hub.errors.LocalEntryNotFoundError:")


@needs_landlock
def test_the_hub_cache_is_read_not_written(sandbox: Sandbox, hub_cache: Path) -> None:
    code = """
        import os
        from pathlib import Path
        Path(os.environ["HF_HUB_CACHE"], "new").write_text("x")
        """
    outcome = sandbox.contained(code)
    assert (last_line(outcome), sorted(os.listdir(hub_cache))) == (
        f"PermissionError: [Errno 13] Permission denied: '{hub_cache / 'new'}'",
        ["models--tiny--bert"],
    )
    # Twin: uncontained (HF_HUB_CACHE set by hand) the write lands in the parent's HOME.
    sandbox.env["HF_HUB_CACHE"] = str(hub_cache)
    sandbox.plain(code)
    assert sorted(os.listdir(hub_cache)) == ["models--tiny--bert", "new"]


@needs_landlock
def test_dev_shm_is_private(sandbox: Sandbox) -> None:
    name = f"ftlint-test-{os.getpid()}"
    code = f"""
        import multiprocessing
        multiprocessing.Lock()  # a POSIX semaphore, made in /dev/shm
        open("/dev/shm/{name}", "w").write("x")
        """
    outcome = sandbox.contained(code)
    assert (outcome.returncode, outcome.output, os.path.exists(f"/dev/shm/{name}")) == (
        0,
        "",
        False,
    )
    assert "private-shm" in outcome.guarantees
    sandbox.plain(code)  # twin: uncontained, the file is the host's
    assert os.path.exists(f"/dev/shm/{name}")
    os.unlink(f"/dev/shm/{name}")


@needs_landlock_scopes
def test_signals_to_the_parent_are_denied(sandbox: Sandbox) -> None:
    outcome = sandbox.contained("import os, signal; os.kill(os.getppid(), signal.SIGTERM)")
    assert (last_line(outcome), outcome.returncode) == (
        "PermissionError: [Errno 1] Operation not permitted",
        1,
    )
    # Twin: inside the child's own domain, the same kill goes through.
    outcome = sandbox.contained(
        """
        import subprocess, sys, time
        kill = "import os, signal; os.kill(os.getppid(), signal.SIGTERM)"
        subprocess.run([sys.executable, "-c", kill])
        time.sleep(5)
        """
    )
    assert (outcome.signal, outcome.returncode) == (signal.SIGTERM, None)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


def accepted(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return False
    return True


@needs_landlock
def test_tcp_connections_fail(sandbox: Sandbox, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
    outcome = sandbox.contained(code)
    # Landlock answers first (EACCES); without it the empty namespace would (ENETUNREACH).
    assert (last_line(outcome), accepted(listener)) == (
        "PermissionError: [Errno 13] Permission denied",
        False,
    )
    assert sandbox.plain(code).returncode == 0  # twin
    assert accepted(listener)


@needs_netns
def test_udp_has_no_network(sandbox: Sandbox) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.setblocking(False)
        code = f"""
            import socket
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", {server.getsockname()[1]}))
            """
        outcome = sandbox.contained(code)
        assert last_line(outcome) == "OSError: [Errno 101] Network is unreachable"
        with pytest.raises(BlockingIOError, match="temporarily unavailable"):
            server.recv(1)
        sandbox.plain(code)  # twin: uncontained, the datagram arrives
        time.sleep(0.05)
        assert server.recv(1) == b"x"


@needs_landlock_scopes
@pytest.mark.skipif(os.geteuid() != 0, reason="only a root child has capabilities to lose")
def test_a_root_child_keeps_no_privilege_but_reading(sandbox: Sandbox) -> None:
    code = """
        print(open("/proc/self/status").read().split("CapBnd:")[1].split()[0])
        open("/proc/1/ns/net")  # what setns would need to rejoin the host's network
        """
    # Bounding set: CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH only (no CAP_SYS_ADMIN for setns);
    # and Landlock keeps the child off processes outside its domain.
    lines = sandbox.contained(code).output.splitlines()
    assert [lines[0], lines[-1]] == [
        "0000000000000006",
        "PermissionError: [Errno 13] Permission denied: '/proc/1/ns/net'",
    ]
    assert sandbox.plain(code).stdout != "0000000000000006\n"  # twin: uncontained, root keeps all


def test_a_busy_loop_times_out(sandbox: Sandbox) -> None:
    outcome = sandbox.contained("while True: pass", limits=Limits(timeout=0.5))
    assert (outcome.timed_out, outcome.returncode, outcome.signal) == (True, None, signal.SIGKILL)
    assert outcome.duration < 2


def test_memory_is_limited(sandbox: Sandbox) -> None:
    outcome = sandbox.contained("bytearray(8 * 2**30)", limits=Limits(timeout=10, memory=2**30))
    assert (last_line(outcome), outcome.returncode, outcome.timed_out) == ("MemoryError", 1, False)
    # Twin: under the limit, the same allocation (smaller) succeeds.
    assert sandbox.contained("bytearray(2**20)", limits=Limits(memory=2**30)).returncode == 0


@pytest.mark.parametrize(
    ("code", "ending"),
    [
        ("import os; os._exit(7)", (7, None, "")),
        ("raise KeyboardInterrupt", (None, signal.SIGINT, "KeyboardInterrupt")),
        ("raise BaseException('bye')", (1, None, "BaseException: bye")),
        ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", (None, signal.SIGSEGV, "")),
    ],
    ids=["os._exit(7)", "KeyboardInterrupt", "BaseException", "SIGSEGV"],
)
def test_how_the_child_ended_is_reported(
    sandbox: Sandbox, code: str, ending: tuple[int | None, int | None, str]
) -> None:
    outcome = sandbox.contained(code)
    tail = outcome.output.splitlines()[-1:] or [""]
    assert (outcome.returncode, outcome.signal, tail[0], outcome.result) == (*ending, None)


def test_the_result_is_not_read_from_stdout(sandbox: Sandbox) -> None:
    fake = "import struct, sys; sys.stdout.buffer.write(struct.pack('<Q', 2) + b'ok')"
    assert sandbox.contained(fake).result is None
    # Twin: the same bytes on the result channel are the result.
    assert (
        sandbox.contained(
            fake.replace(
                "sys.stdout.buffer", "open(int(__import__('os').environ['FTLINT_RESULT_FD']), 'wb')"
            )
        ).result
        == b"ok"
    )


def test_a_large_result_round_trips(sandbox: Sandbox) -> None:
    code = """
        from ftlint.verify.containment import send_result
        send_result(bytes(range(256)) * 8192)  # 2 MiB: far more than a pipe holds
        """
    assert sandbox.contained(code).result == bytes(range(256)) * 8192


def test_a_result_over_the_cap_is_dropped(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "from ftlint.verify.containment import send_result; send_result(b'x' * 2000)"
    monkeypatch.setattr(containment, "RESULT_CAP", 1000)
    outcome = sandbox.contained(code)
    assert (outcome.result, outcome.returncode, outcome.timed_out) == (None, 0, False)
    monkeypatch.setattr(containment, "RESULT_CAP", 2000)  # twin: at the cap, it is taken
    assert sandbox.contained(code).result == b"x" * 2000


def test_only_the_first_message_counts(sandbox: Sandbox) -> None:
    outcome = sandbox.contained(
        """
        import os, struct
        from ftlint.verify.containment import send_result
        channel = os.dup(int(os.environ["FTLINT_RESULT_FD"]))
        send_result(b"first")
        os.write(channel, struct.pack("<Q", 6) + b"second")
        send_result(b"third")
        """
    )
    assert (outcome.result, last_line(outcome)) == (
        b"first",
        (
            "RuntimeError: no result channel: FTLINT_RESULT_FD is not set (send_result sends "
            "once, from a process started by run_contained)"
        ),
    )


def test_a_cut_message_is_no_result(sandbox: Sandbox) -> None:
    code = "import os, struct; os.write(int(os.environ['FTLINT_RESULT_FD']), struct.pack('<Q', 10) + b'{}')"
    assert sandbox.contained(code).result is None
    assert sandbox.contained(code.replace("10", "2")).result == b"{}"  # twin: whole


def process_state(pid: int) -> str | None:
    """The process's state letter (Z: dead, not yet reaped), None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return None


LEFT_BEHIND = {
    "a child holding stdout": "subprocess.Popen(['sleep', '60'])",
    "a child in its own session": "subprocess.Popen(['sleep', '60'], start_new_session=True)",
}


@needs_netns
@pytest.mark.parametrize("start", LEFT_BEHIND.values(), ids=LEFT_BEHIND.keys())
def test_nothing_outlives_the_child(sandbox: Sandbox, start: str) -> None:
    code = f"""
        import subprocess
        print({start}.pid)
        """
    outcome = sandbox.contained(code)
    pid = int(outcome.output)
    assert (outcome.returncode, outcome.duration < 2) == (0, True)
    assert process_state(pid) in (None, "Z")
    # Twin: uncontained, the grandchild outlives the script.
    quiet = "subprocess.Popen(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, args="
    pid = int(sandbox.plain(code.replace("subprocess.Popen(", quiet)).stdout)
    try:
        # Alive: sleeping, or still running towards its sleep when we look (R).
        assert process_state(pid) not in (None, "Z")
    finally:
        os.kill(pid, signal.SIGKILL)


def test_a_background_shell_job_does_not_keep_us_waiting(sandbox: Sandbox) -> None:
    outcome = sandbox.contained("import ctypes; ctypes.CDLL(None).system(b'sleep 60 & echo $!')")
    assert (outcome.returncode, outcome.duration < 2) == (0, True)
    assert process_state(int(outcome.output)) in (None, "Z")


def test_secrets_are_not_passed_on(sandbox: Sandbox) -> None:
    secrets = {
        "HF_TOKEN": "hf_x", "AWS_SECRET_ACCESS_KEY": "a", "AWS_REGION": "eu", "WANDB_API_KEY": "w",
        "GITHUB_TOKEN": "g", "DB_PASSWORD": "p", "SSH_AUTH_SOCK": "/run/agent",
    }  # fmt: skip
    outcome = sandbox.contained(
        """
        import json, os
        from ftlint.verify.containment import send_result
        send_result(json.dumps(sorted(set(os.environ) & {*NAMES, "KEEP_ME"})).encode())
        """.replace("NAMES", repr(sorted(secrets))),
        KEEP_ME="1",
        **secrets,
    )
    assert outcome.result is not None
    assert json.loads(outcome.result) == ["KEEP_ME"]


def test_the_environment_points_into_the_workdir(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = contained_environment(
        {"HOME": "/home/u", "PATH": "/bin", "HF_TOKEN": "x", "WANDB_MODE": "online"}, work
    )
    directories = {
        "HOME": "home", "TMPDIR": "tmp", "TMP": "tmp", "TEMP": "tmp", "XDG_CACHE_HOME": "cache",
        "XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data", "XDG_STATE_HOME": "state",
        "MPLCONFIGDIR": "config/matplotlib",
        "TORCHINDUCTOR_CACHE_DIR": "cache/torchinductor", "TRITON_CACHE_DIR": "cache/triton",
        "HF_DATASETS_CACHE": "cache/huggingface/datasets", "WANDB_DIR": "wandb",
        "WANDB_CACHE_DIR": "cache/wandb", "WANDB_CONFIG_DIR": "config/wandb",
        "WANDB_DATA_DIR": "data/wandb", "TENSORBOARD_LOGDIR": "tensorboard",
    }  # fmt: skip
    assert env == {
        "PATH": "/bin",
        "HF_HUB_CACHE": "/home/u/.cache/huggingface/hub",
        "TORCH_HOME": "/home/u/.cache/torch",
        "PYTHONUSERBASE": "/home/u/.local",
        **{name: str(work / relative) for name, relative in directories.items()},
        "MLFLOW_TRACKING_URI": (work / "mlruns").as_uri(),
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
        "WANDB_MODE": "offline", "DO_NOT_TRACK": "1",
    }  # fmt: skip
    assert sorted(os.listdir(work)) == ["home", "tmp"]  # the others are made by what uses them
    # A hub cache the user chose is kept.
    kept = contained_environment(
        {"HOME": "/home/u", "HF_HOME": "/data/hf", "TORCH_HOME": "/data/torch"}, work
    )
    assert (kept["HF_HOME"], "HF_HUB_CACHE" in kept, kept["TORCH_HOME"]) == (
        "/data/hf",
        False,
        "/data/torch",
    )


def test_the_output_keeps_its_last_lines(sandbox: Sandbox) -> None:
    outcome = sandbox.contained(
        """
        import sys
        for number in range(500):
            print(number, file=sys.stderr if number % 2 else sys.stdout)
        """
    )
    assert outcome.output == "\n".join(str(number) for number in range(300, 500))


@needs_landlock_scopes
@needs_netns
def test_every_layer_is_reported(sandbox: Sandbox) -> None:
    outcome = sandbox.contained("pass")
    assert (outcome.guarantees, outcome.missing) == (
        (
            "pdeathsig", "netns", "private-shm", "rlimit-data", "rlimit-core", "rlimit-fsize",
            "rlimit-cpu", "capabilities", "landlock-fs", "landlock-tcp", "landlock-signal",
            "landlock-abstract-unix", "timeout", "process-group", "env-scrubbed",
        ),
        (),
    )  # fmt: skip


# The parent of the contained run, restricted first the way a container may restrict ftlint.
RESTRICTED_PARENT = """
import ctypes, json, os, socket, sys, struct
from pathlib import Path
from ftlint.verify.containment import Limits, private_workdir, run_contained
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "seccomp":  # unshare fails with EPERM, as under Docker's default profile
    program = struct.pack("HBBI" * 4, 0x20, 0, 0, 0, 0x15, 0, 1, 272, 6, 0, 0, 0x50001, 6, 0, 0, 0x7FFF0000)
    filters = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HxxxxxxQ", 4, ctypes.addressof(filters))
    assert libc.prctl(22, 2, ctypes.c_char_p(fprog)) == 0, ctypes.get_errno()  # PR_SET_SECCOMP, filter
else:  # without CAP_SYS_ADMIN, as an unprivileged user: a user namespace is needed
    header, data = struct.pack("Ii", 0x20080522, 0), ctypes.create_string_buffer(24)
    assert libc.capget(header, data) == 0
    effective, permitted, inheritable = struct.unpack_from("III", data)
    struct.pack_into("III", data, 0, effective & ~(1 << 21), permitted & ~(1 << 21), inheritable)
    assert libc.capset(header, data) == 0
with private_workdir() as workdir:
    outcome = run_contained(
        [sys.executable, "-c", sys.argv[2]], cwd=Path.cwd(), limits=Limits(timeout=10),
        env={"PYTHONPATH": os.environ["PYTHONPATH"]}, workdir=workdir,
    )
print(json.dumps([outcome.guarantees, outcome.missing, outcome.output]))
"""


@needs_landlock
@pytest.mark.skipif(
    os.uname().machine != "x86_64" or os.geteuid() != 0,
    reason="the restricted parent is built for root on x86_64 (seccomp syscall numbers, capset)",
)
@pytest.mark.parametrize(
    ("restriction", "lost", "network"),
    [
        (
            "seccomp",
            [
                "netns: unshare: EPERM, with a user namespace: EPERM: the network is reachable",
                "private-shm: no mount namespace",
            ],
            # Landlock alone denies TCP.
            "PermissionError: [Errno 13] Permission denied",
        ),
        ("no CAP_SYS_ADMIN", [], "OSError: [Errno 101] Network is unreachable"),
    ],
)
def test_a_restricted_parent_contains_with_what_is_left(
    sandbox: Sandbox, restriction: str, lost: list[str], network: str
) -> None:
    code = "import os, socket; print(os.getuid()); socket.create_connection(('127.0.0.1', 9))"
    code = (
        code
        if lost
        else code.replace(
            "create_connection(", "socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', "
        )
    )
    run = subprocess.run(
        [sys.executable, "-c", RESTRICTED_PARENT, restriction.split()[0], code],
        env=sandbox.env, capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    guarantees, missing, output = json.loads(run.stdout)
    lines = output.splitlines()
    assert (missing, lines[0], lines[-1]) == (lost, "0", network)
    assert ("netns" in guarantees, "landlock-fs" in guarantees) == (not lost, True)


@pytest.mark.parametrize(
    ("abi", "missing"),
    [
        (0, ("landlock: the kernel offers no Landlock ABI (disabled, or older than 5.13): file writes are not confined",)),
        (3, ("landlock-tcp: Landlock ABI 3 < 4", "landlock-signal, landlock-abstract-unix: Landlock ABI 3 < 6")),
        (5, ("landlock-signal, landlock-abstract-unix: Landlock ABI 5 < 6",)),
        (6, ()),
    ],
)  # fmt: skip
def test_what_an_older_kernel_lacks_is_said(abi: int, missing: tuple[str, ...]) -> None:
    assert containment._landlock_missing(abi) == missing


def test_torch_imports_under_the_default_limits(sandbox: Sandbox) -> None:
    outcome = sandbox.contained(
        """
        import torch
        from ftlint.verify.containment import send_result
        send_result(str(torch.nn.Linear(4096, 4096, device="meta").weight.shape).encode())
        """,
        limits=Limits(),
    )
    assert (outcome.result, outcome.returncode) == (b"torch.Size([4096, 4096])", 0), outcome.output


def test_private_workdir_is_removed_whatever_is_left(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with private_workdir() as workdir:
        locked = workdir / "a" / "b"
        locked.mkdir(parents=True)
        (locked / "file").write_text("x")
        os.symlink(tmp_path, workdir / "link")
        locked.chmod(0o500)
        locked.parent.chmod(0o000)
    assert (workdir.exists(), tmp_path.stat().st_mode & 0o777) == (False, 0o755)


def third_party_imports(modules: str) -> list[str]:
    """The top-level packages outside the standard library (and ftlint) importing ``modules``
    brings into a fresh interpreter."""
    probe = (
        f"import sys\nbefore = set(sys.modules)\nimport {modules}\n"
        "print(sorted({name.split('.')[0] for name in set(sys.modules) - before}"
        " - set(sys.stdlib_module_names) - {'ftlint'}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], env={"PYTHONPATH": str(REPO)}, capture_output=True,
        text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(run.stdout.replace("'", '"'))


def test_the_module_needs_only_the_standard_library() -> None:
    assert third_party_imports("ftlint.verify.containment") == []
    # Twin: the probe does see a third-party import.
    assert "pytest" in third_party_imports("ftlint.verify.containment, pytest")
