"""Shared helpers for socklab's black-box tests.

The tests start the real binaries from $SOCKLAB_BIN on loopback with `-p 0`,
wait for the one readiness line "listening on ADDR:PORT" on stderr (never a
sleep), and check bytes end to end. Any sanitizer report in a program's
stderr fails the test, as does a server that does not exit 0 on SIGTERM.
"""
import itertools
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

BIN = os.environ.get("SOCKLAB_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "dev", "bin")

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")

LISTENING = re.compile(rb"listening on (\S+):(\d+)\r?$", re.M)

# The ports the tools use when given none (echo, chat, file transfer, UDP).
DEFAULT_PORTS = (7007, 7070, 7071, 7072)


def netns_unavailable():
    """Why a network namespace of our own (`unshare -rn`, loopback up)
    cannot be had here, or None when it can."""
    for cmd in ("unshare", "ip"):
        if not shutil.which(cmd):
            return f"{cmd} missing"
    p = subprocess.run(["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True)
    if p.returncode != 0:
        return "unshare -rn not permitted: " + p.stderr.decode("utf-8", "replace")
    return None


def tool(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


def check_sanitizers(testcase, stderr_text, who):
    for mark in SANITIZER_MARKS:
        if mark in stderr_text:
            testcase.fail(f"sanitizer report from {who}:\n{stderr_text}")


class Drained:
    """A program in the background whose stdout and stderr two threads read
    into buffers (a pipe nobody reads would block it). A subclass sees each
    chunk in _took() and the end of a stream in _ended(), lock held."""

    def __init__(self, argv, stdin=subprocess.DEVNULL, preexec_fn=None):
        self.proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=preexec_fn)
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._drain, args=args, daemon=True)
                         for args in ((self.proc.stderr, self._err, True),
                                      (self.proc.stdout, self._out, False))]
        for t in self._readers:
            t.start()

    def _drain(self, pipe, buf, is_err):
        while chunk := pipe.read1(65536):
            with self._lock:
                buf.extend(chunk)
                self._took(is_err)
        with self._lock:
            self._ended(is_err)

    def _took(self, is_err):
        pass

    def _ended(self, is_err):
        pass

    @property
    def stderr(self):
        with self._lock:
            return bytes(self._err).decode("utf-8", "replace")

    @property
    def stdout(self):
        with self._lock:
            return bytes(self._out)

    def read_to_end(self, timeout=5.0):
        """Once the program has exited: waits until its last words are read."""
        for t in self._readers:
            t.join(timeout)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if not pipe.closed and not any(t.is_alive() for t in self._readers):
                pipe.close()

    def reap(self):
        """Kills the program if it still runs, and reads what it left."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.read_to_end()


class Server(Drained):
    """A server binary started with `-p 0`; `.port` is the port it bound."""

    def __init__(self, testcase, name, *args, ready_timeout=10.0, stdin=subprocess.DEVNULL,
                 preexec_fn=None):
        self.testcase = testcase
        self.name = name
        self.argv = [tool(name), "-p", "0", *args]
        self._ready = threading.Event()
        self.port = None
        self.host = None
        super().__init__(self.argv, stdin=stdin, preexec_fn=preexec_fn)
        if not self._ready.wait(ready_timeout):
            self.reap()
            testcase.fail(f"{name} not ready in {ready_timeout}s; stderr:\n{self.stderr}")
        testcase.addCleanup(self.close)

    def _took(self, is_err):
        if is_err and self.port is None:
            m = LISTENING.search(self._err)
            if m:
                self.host = m.group(1).decode()
                self.port = int(m.group(2))
                self._ready.set()

    def _ended(self, is_err):
        if is_err:
            self._ready.set()

    def _wait(self, read, pattern, timeout):
        """Waits until read() matches the regex PATTERN; returns the match or
        None. Output drained just after the process exits still counts."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while time.monotonic() < deadline:
            exited = self.proc.poll() is not None
            if exited:
                self.read_to_end()
            m = rx.search(read())
            if m or exited:
                return m
            time.sleep(0.01)
        return None

    def wait_stderr(self, pattern, timeout=10.0):
        """Waits until stderr matches the str regex PATTERN; returns the match."""
        m = self._wait(lambda: self.stderr, pattern, timeout)
        if m is None:
            self.testcase.fail(f"{self.name}: no /{pattern}/ in stderr:\n{self.stderr}")
        return m

    def wait_stdout(self, pattern, timeout=10.0):
        """Waits until stdout matches the bytes regex PATTERN; returns the match."""
        m = self._wait(lambda: self.stdout, pattern, timeout)
        if m is None:
            self.testcase.fail(f"{self.name}: no /{pattern!r}/ in stdout:\n{self.stdout!r}\n"
                               f"stderr:\n{self.stderr}")
        return m

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signals the server and returns its exit status (it must exit)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.testcase.fail(f"{self.name} did not exit on {sig!r}:\n{self.stderr}")
        self.read_to_end()
        check_sanitizers(self.testcase, self.stderr, self.name)
        return self.proc.returncode

    def close(self):
        """Kills the server if still running; its stderr must carry no
        sanitizer report (TSan reports and runs on)."""
        self.reap()
        check_sanitizers(self.testcase, self.stderr, self.name)


def stop_process(pid, timeout=10.0):
    """SIGSTOP to PID, returning once every thread of it has stopped (the
    signal takes effect asynchronously): the kernel then receives for it
    while it reads nothing."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
            except FileNotFoundError:
                pass  # a thread that just ended
        if states and all(st in ("T", "t") for st in states):
            return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} did not stop")


def run(testcase, name, *args, input=b"", timeout=60, check_rc=None):
    """Runs a tool to completion; returns CompletedProcess (bytes)."""
    p = subprocess.run([tool(name), *args], input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    check_sanitizers(testcase, p.stderr.decode("utf-8", "replace"), name)
    if check_rc is not None:
        testcase.assertEqual(p.returncode, check_rc,
                             f"{name} {args}: exit {p.returncode}, stderr:\n{p.stderr!r}")
    return p


def serve_once(testcase, handle):
    """A fake peer: a listener on 127.0.0.1 whose one connection HANDLE(conn)
    serves in a thread (the socket is closed after it, the listener at
    cleanup). Returns (port, thread); join the thread after the real tool ran."""
    listener = socket.socket()
    testcase.addCleanup(listener.close)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(30)

    def serve():
        c, _ = listener.accept()
        with c:
            c.settimeout(30)
            handle(c)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return listener.getsockname()[1], t


def connect(port, host="127.0.0.1", timeout=10.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(1 << 20, n - len(buf)))
        if not chunk:
            break
        buf.extend(chunk)
    return bytes(buf)


def recv_until_eof(sock):
    buf = bytearray()
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return bytes(buf)
        buf.extend(chunk)


_sessions = itertools.count()


class Tmux:
    """A program in a real terminal, used as a person would: keys typed with
    tmux send-keys, the screen read back with capture-pane. Each session has
    its own tmux server (-L), so tests never meet a user's tmux or each other."""

    def __init__(self, testcase, argv, cols=100, rows=20, env=None):
        if shutil.which("tmux") is None:
            testcase.skipTest("tmux not installed")
        self.testcase = testcase
        name = f"socklab-{os.getpid()}-{next(_sessions)}"
        self.tmux = ["tmux", "-u", "-L", name, "-f", "/dev/null"]
        env = dict(os.environ, NO_COLOR="1", **(env or {}))
        # The shell tells how the program ended and keeps the pane open
        # (tmux's own pane_dead_status is not always filled in).
        command = " ".join(shlex.quote(a) for a in argv) + '; echo "[exit $?]"; exec sleep 3600'
        subprocess.run(self.tmux + ["new-session", "-d", "-s", name, "-x", str(cols), "-y",
                                    str(rows), command], check=True, env=env)
        testcase.addCleanup(subprocess.run, self.tmux + ["kill-server"],
                            stderr=subprocess.DEVNULL)

    def type(self, text):
        """Types TEXT literally (a paste, as far as the program can tell)."""
        subprocess.run(self.tmux + ["send-keys", "-l", text], check=True)

    def keys(self, *names):
        """Presses keys by tmux name: Enter, Left, Home, Up, BSpace, DC, C-c..."""
        subprocess.run(self.tmux + ["send-keys", *names], check=True)

    def screen(self):
        return subprocess.run(self.tmux + ["capture-pane", "-p"], stdout=subprocess.PIPE,
                              check=True).stdout.decode()

    def cursor_x(self):
        return int(subprocess.run(self.tmux + ["display-message", "-p", "#{cursor_x}"],
                                  stdout=subprocess.PIPE, check=True).stdout)

    def wait_exit(self, timeout=10.0):
        """Waits until the program has ended; returns its exit status. A
        sanitizer report on the screen fails the test."""
        screen = self.wait(r"^\[exit \d+\]$", timeout)
        check_sanitizers(self.testcase, screen, "the program in tmux")
        return int(re.search(r"^\[exit (\d+)\]$", screen, re.M).group(1))

    def last_line(self):
        return [line for line in self.screen().splitlines() if line.strip()][-1]

    def wait(self, pattern, timeout=10.0):
        """Waits until the screen matches the regex PATTERN; returns the screen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.screen()
            if re.search(pattern, s, re.M):
                return s
            time.sleep(0.05)
        self.testcase.fail(f"no /{pattern}/ on screen:\n{self.screen()}")

    def wait_last_line(self, want, timeout=10.0):
        """Waits until the last non-empty row is exactly WANT."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.last_line() == want:
                return
            time.sleep(0.05)
        self.testcase.assertEqual(self.last_line(), want, self.screen())
