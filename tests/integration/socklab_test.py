"""Shared helpers for socklab's black-box tests.

The tests start the real binaries from $SOCKLAB_BIN on loopback with `-p 0`,
wait for the one readiness line "listening on ADDR:PORT" on stderr (never a
sleep), and check bytes end to end. Any sanitizer report in a program's
stderr fails the test, as does a server that does not exit 0 on SIGTERM.
"""
import os
import re
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


def tool(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{path} not built")
    return path


def check_sanitizers(testcase, stderr_text, who):
    for mark in SANITIZER_MARKS:
        if mark in stderr_text:
            testcase.fail(f"sanitizer report from {who}:\n{stderr_text}")


class Server:
    """A server binary started with `-p 0`; `.port` is the port it bound."""

    def __init__(self, testcase, name, *args, ready_timeout=10.0, stdin=subprocess.DEVNULL,
                 preexec_fn=None):
        self.testcase = testcase
        self.name = name
        self.argv = [tool(name), "-p", "0", *args]
        self.proc = subprocess.Popen(self.argv, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=preexec_fn)
        self._err = bytearray()
        self._out = bytearray()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.port = None
        self.host = None
        threading.Thread(target=self._drain, args=(self.proc.stderr, self._err, True),
                         daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stdout, self._out, False),
                         daemon=True).start()
        if not self._ready.wait(ready_timeout):
            self.proc.kill()
            self.proc.wait()
            testcase.fail(f"{name} not ready in {ready_timeout}s; stderr:\n{self.stderr}")
        testcase.addCleanup(self.close)

    def _drain(self, pipe, buf, watch):
        while True:
            chunk = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
            if not chunk:
                break
            with self._lock:
                buf.extend(chunk)
                if watch and self.port is None:
                    m = LISTENING.search(bytes(buf))
                    if m:
                        self.host = m.group(1).decode()
                        self.port = int(m.group(2))
                        self._ready.set()
        if watch:
            self._ready.set()

    @property
    def stderr(self):
        with self._lock:
            return bytes(self._err).decode("utf-8", "replace")

    @property
    def stdout(self):
        with self._lock:
            return bytes(self._out)

    def _wait(self, read, pattern, timeout):
        """Waits until read() matches the regex PATTERN; returns the match or
        None. Output drained just after the process exits still counts."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while time.monotonic() < deadline:
            exited = self.proc.poll() is not None
            if exited:
                time.sleep(0.05)  # let the drain threads read the last words
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
        time.sleep(0.05)  # let the drain threads read the last words
        check_sanitizers(self.testcase, self.stderr, self.name)
        return self.proc.returncode

    def close(self):
        """Kills the server if still running; its stderr must carry no
        sanitizer report (TSan reports and runs on)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        time.sleep(0.05)  # let the drain threads read the last words
        check_sanitizers(self.testcase, self.stderr, self.name)


def run(testcase, name, *args, input=b"", timeout=60, check_rc=None):
    """Runs a tool to completion; returns CompletedProcess (bytes)."""
    p = subprocess.run([tool(name), *args], input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    check_sanitizers(testcase, p.stderr.decode("utf-8", "replace"), name)
    if check_rc is not None:
        testcase.assertEqual(p.returncode, check_rc,
                             f"{name} {args}: exit {p.returncode}, stderr:\n{p.stderr!r}")
    return p


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
