"""Running the cross-built Windows tools under Wine, for the test_windows*
suites: where the .exe files and wine64 are, a throwaway WINEPREFIX shared by
one test module, and a Windows server whose port is read from its
`listening on` line.

The .exe files come from $SOCKLAB_WINDOWS_BIN or build/windows/bin; wine64
from $SOCKLAB_WINE or /usr/lib/wine/wine64.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

WINE = os.environ.get("SOCKLAB_WINE", "/usr/lib/wine/wine64")
WIN_BIN = os.environ.get("SOCKLAB_WINDOWS_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "windows", "bin")
LISTENING = re.compile(rb"listening on (\S+):(\d+)")
CHINESE = "你好，世界：网络编程\n".encode("utf-8")

_prefix = None


def prefix_dir():
    """The throwaway folder holding the WINEPREFIX (and test files), once started."""
    return _prefix


def exe(name):
    path = os.path.join(WIN_BIN, name + ".exe")
    if not os.path.isfile(path):
        raise unittest.SkipTest(f"{path} not built (cmake --preset windows && "
                                "cmake --build --preset windows)")
    return path


def wine_env():
    return dict(os.environ, WINEPREFIX=os.path.join(_prefix, "prefix"), WINEDEBUG="-all",
                WINEDLLOVERRIDES="mscoree,mshtml=")


def start_wine():
    """Creates the throwaway WINEPREFIX and keeps a wineserver up; a test
    module calls it from setUpModule (it raises SkipTest when Wine cannot run)."""
    global _prefix
    if not os.access(WINE, os.X_OK):
        raise unittest.SkipTest(f"{WINE} missing (apt-get install wine64)")
    exe("tcpecho-server")
    _prefix = tempfile.mkdtemp(prefix="socklab-wine-")
    # One start creates the prefix; the tests' own starts are then quick.
    p = subprocess.run([WINE, exe("tcpecho-server"), "--version"], env=wine_env(),
                       capture_output=True, timeout=180)
    if p.returncode != 0 or b"0." not in p.stdout:
        raise unittest.SkipTest("wine64 cannot run the tools here: " +
                                p.stderr.decode("utf-8", "replace")[-300:])
    # A wineserver that stays until tearDownModule: one left to exit when
    # idle can be on its way out as the next test's program connects
    # ("wine client error: recvmsg: Connection reset by peer").
    # It goes into the background: no pipes of ours for it to hold open.
    subprocess.run([os.path.join(os.path.dirname(WINE), "wineserver"), "-p"], env=wine_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)


def stop_wine():
    if _prefix:
        subprocess.run([os.path.join(os.path.dirname(WINE), "wineserver"), "-k"],
                       env=wine_env(), capture_output=True, timeout=30)
        shutil.rmtree(_prefix, ignore_errors=True)


class WineServer:
    """A Windows server under Wine; its port from its `listening on` line."""

    def __init__(self, name, *args):
        self.errpath = os.path.join(_prefix, name + ".err")
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen([WINE, exe(name), "-p", "0", *args], env=wine_env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.err)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m = LISTENING.search(self.stderr())
            if m:
                self.port = m.group(2).decode()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{name}.exe never listened: {self.stderr()!r}")

    def stderr(self):
        with open(self.errpath, "rb") as f:
            return f.read()

    def stop(self):
        """SIGINT, which Wine delivers as Ctrl-C (SetConsoleCtrlHandler)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode
