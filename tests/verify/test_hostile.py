"""Hostile scripts under the real `ftlint verify` CLI: each ends in a clean report of its own, with
exit 2 when it reaches no model, and nothing written outside verify's private directory (the
``workspace`` fixture checks the whole test directory after every run). One run verifies them
all, each in its own child; the two that need their own limits run apart."""

from __future__ import annotations

import socket

import pytest
from support import entry, linear, target

from ftlint.verify.containment import landlock_abi

pytestmark = pytest.mark.skipif(
    landlock_abi() < 6, reason="the errors expected are those Landlock ABI 6+ gives"
)

# name: (script, the file's JSON entry); the script's model, when it builds one, is the last line.
HOSTILE = {
    "exit7.py": (
        "import os\nos._exit(7)\n",
        entry(error="the script ended the process with status 7 before verify could report"),
    ),
    "interrupt.py": ("raise KeyboardInterrupt\n", entry(error="line 1: KeyboardInterrupt")),
    "base_exception.py": (
        "raise BaseException('not an Exception')\n",
        entry(error="line 1: BaseException: not an Exception"),
    ),
    # 8 GiB when data memory is limited to 4 GiB (the default --memory).
    "memory.py": ("blob = bytearray(8 << 30)\n", entry(error="line 1: MemoryError")),
    "fifo.py": (
        "import os\nos.mkfifo(OUTSIDE + '/fifo')\n",
        entry(error="line 2: PermissionError: [Errno 13] Permission denied"),
    ),
    "kill_parent.py": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\n",
        entry(error="line 2: PermissionError: [Errno 1] Operation not permitted"),
    ),
    "connect.py": (
        "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=5)\n",
        entry(error="line 2: PermissionError: [Errno 13] Permission denied"),
    ),
    # Still reach a model: reported, nothing found (each alone would exit 0).
    "libc_system.py": (
        (
            "import ctypes, torch\n"
            "ctypes.CDLL(None).system(('touch ' + OUTSIDE + '/libc').encode())\n"
            "model = torch.nn.Linear(2, 2)\n"
        ),
        entry([target("model", "torch.nn.Linear", 3, [(2, 0, 6, 0)], linear("", 2, 2, True))]),
    ),
    # The write goes to the shadow, and reading it back reads the shadow: 3 input features.
    "shadowed_open.py": (
        (
            "import torch\n"
            "with open(OUTSIDE + '/open.txt', 'w') as f:\n    f.write('abc')\n"
            "with open(OUTSIDE + '/open.txt') as f:\n    width = len(f.read())\n"
            "model = torch.nn.Linear(width, 2)\n"
        ),
        entry([target("model", "torch.nn.Linear", 6, [(2, 0, 8, 0)], linear("", 3, 2, True))]),
    ),
    "after_the_script.py": (
        (
            "import atexit, os, threading, time, torch\n"
            "def touch(name):\n    os.close(os.open(OUTSIDE + name, os.O_CREAT | os.O_WRONLY))\n"
            "threading.Thread(target=lambda: (time.sleep(0.5), touch('/thread'))).start()\n"
            "atexit.register(touch, '/atexit')\n"
            "model = torch.nn.Linear(2, 2)\n"
        ),
        entry([target("model", "torch.nn.Linear", 6, [(2, 0, 6, 0)], linear("", 2, 2, True))]),
    ),
}


def test_each_hostile_script_gets_a_report_of_its_own(workspace) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        for name, (code, _) in HOSTILE.items():
            workspace.write(name, code.replace("PORT", str(port)))
        status, entries = workspace.verify_json(*HOSTILE)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError, match="Resource temporarily unavailable"):
            listener.accept()  # no connection arrived
    assert (status, entries) == (2, {name: expected for name, (_, expected) in HOSTILE.items()})


@pytest.mark.parametrize(
    ("options", "code", "said"),
    [
        (
            ["--timeout", "5"],
            "print('epoch 0')\nwhile True:\n    pass\n",
            (
                "the run did not reach training within 5 s and was stopped (raise the limit with"
                " --timeout): epoch 0"
            ),
        ),
        # The limit is on data memory: torch's libraries, mapped at import, do not count.
        (["--memory", "1024"], "blob = bytearray(8 << 30)\n", "line 1: MemoryError"),
    ],
    ids=["hang", "small-memory-limit"],
)
def test_limits_end_the_run_cleanly(workspace, options, code, said) -> None:
    workspace.write("script.py", code)
    result = workspace.verify(*options, "script.py")
    assert (result.returncode, result.stdout.splitlines()) == (
        2,
        ["script.py", f"  could not verify: {said}", "", "Could not verify 1 file."],
    )
