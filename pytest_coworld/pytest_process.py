"""The pytest process of `coworld certify`, started before the command line is parsed.

Parsing `coworld certify`'s command line takes about 0.3 s (Typer imports pydantic to coerce it); the pytest
process takes 0.4-0.6 s to import pytest and the harness's runtime (Docker's SDK, the manifest models) before
it can start the certification's games. So the `coworld` entry point starts the process first; it imports
while the command line is parsed, then reads its arguments from a pipe.

Light on purpose: the entry point imports it before anything else.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_coworld.scratch_folders import scratch_folder_prefix

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
WARM_MODULES = ("pytest", "pytest_coworld.runtime", "pytest_coworld.certification")
"""What pytest's configure imports before it can start the games (none is a test module, whose asserts pytest
rewrites as it imports them; see the PYTEST_DONT_REWRITE in `pytest_coworld/__init__.py`)."""
LAUNCHER = f"""\
import contextlib, gc, importlib, json, os, sys
for name in {WARM_MODULES!r}:
    with contextlib.suppress(Exception):  # a module that cannot be imported fails where pytest imports it
        importlib.import_module(name)
with os.fdopen(int(sys.argv[1])) as pipe:
    request = pipe.read()
if not request:  # the command never needed it
    sys.exit(0)
command = json.loads(request)
if command["stdout_to_stderr"]:
    os.dup2(2, 1)
import pytest
code = int(pytest.main(command["args"]))
gc.freeze()  # what is alive now is not collected again as Python exits: 0.15-0.2 s with the suite loaded
sys.exit(code)
"""


class PytestProcess:
    """A pytest process in a scratch folder of its own (its cwd and temp dir), importing while it waits for
    its arguments. `close()` removes the folder, with whatever pytest left there (browser profiles too)."""

    def __init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix=scratch_folder_prefix())
        self.folder = Path(self._scratch.name)
        (self.folder / "pytest.ini").write_text("[pytest]\n")
        (self.folder / "tmp").mkdir()
        readable, self._arguments = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCHER, str(readable)],
                cwd=self.folder,
                env={**os.environ, **_node_compile_cache(), "TMPDIR": str(self.folder / "tmp")},
                pass_fds=(readable,),
                process_group=0,  # a terminal's Ctrl-C reaches it once, through us (`CertifyCommand.run`)
                preexec_fn=_interrupt_with_parent,
            )
        finally:
            os.close(readable)
        self._given = False

    def run(self, args: list[str], stdout_to_stderr: bool = False) -> subprocess.Popen[bytes]:
        """Give pytest its arguments (it runs them once its imports are done); `stdout_to_stderr` keeps our
        stdout for a machine-readable answer."""
        self._given = True
        with contextlib.suppress(BrokenPipeError), os.fdopen(self._arguments, "w") as pipe:
            pipe.write(json.dumps({"args": args, "stdout_to_stderr": stdout_to_stderr}))
        return self.process  # one that died before it read them exits with its own status

    def close(self) -> None:
        """End the process if it never got its arguments, wait for it, and remove the scratch folder."""
        if not self._given:
            self._given = True
            self.process.kill()
            os.close(self._arguments)
        self.process.wait()
        self._scratch.cleanup()


def _node_compile_cache() -> dict[str, str]:
    """Node's compile cache for Playwright's driver, in our cache folder (unless one is set): the driver then
    starts from compiled code instead of compiling its JavaScript at each certification (0.05-0.1 s of CPU
    while the game boots)."""
    from pytest_coworld.provision.wheelhouse import cache_dir

    folder = os.environ.get("NODE_COMPILE_CACHE") or str(cache_dir() / "node-compile-cache")
    return {"NODE_COMPILE_CACHE": folder}


def _interrupt_with_parent() -> None:
    """In the child, before Python starts: a Ctrl-C (SIGINT) when `coworld certify` dies (on Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGINT)
