"""tcpstate: listing and --watch, through netlink sock_diag and through /proc.

The sockets under observation are made by Python itself on loopback, so the
test knows every address and the order of every FIN. tcpstate only observes:
it is never a party to the connections.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

from socklab_test import Drained, check_sanitizers, run, tool

# The two data sources: default (netlink, falling back to /proc) and --proc.
SOURCES = (("netlink", ()), ("proc", ("--proc",)))

WATCH_LINE = re.compile(
    r"^(\d\d:\d\d:\d\d\.\d{3})\s+(\S+)\s+(\S+)\s+(\(new\)|[A-Z_0-9]+) -> (\(gone\)|[A-Z_0-9]+)$")


def netlink_available():
    """True when this process may open a sock_diag socket, as tcpstate will."""
    try:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
    except OSError:
        return False
    s.close()
    return True


def fmt(sockaddr, family):
    host, port = sockaddr[0], sockaddr[1]
    return f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"


def listener(testcase, host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    testcase.addCleanup(s.close)
    s.bind((host, 0))
    s.listen(8)
    return s


def connected_pair(testcase, lsock):
    """(client, server) sockets of one connection to LSOCK, closed at cleanup."""
    family = lsock.family
    c = socket.socket(family, socket.SOCK_STREAM)
    testcase.addCleanup(c.close)
    c.settimeout(10)
    c.connect(lsock.getsockname()[:2])
    lsock.settimeout(10)
    s, _ = lsock.accept()
    testcase.addCleanup(s.close)
    return c, s


class Watcher(Drained):
    """tcpstate --watch in the background; .lines are its complete stdout lines."""

    def __init__(self, testcase, *args, ready_timeout=10.0):
        self.testcase = testcase
        self._ready = threading.Event()
        super().__init__([tool("tcpstate"), "--watch", *args])
        testcase.addCleanup(self.kill)
        # The baseline snapshot is taken before this line: changes from now
        # on are reported.
        if not self._ready.wait(ready_timeout) or "watching" not in self.stderr:
            self.kill()
            testcase.fail(f"tcpstate --watch not ready; stderr:\n{self.stderr}")

    def _took(self, is_err):
        if is_err and b"watching" in self._err:
            self._ready.set()

    def _ended(self, is_err):
        if is_err:
            self._ready.set()

    @property
    def lines(self):
        text = self.stdout.decode("utf-8", "replace")
        return text[:text.rfind("\n") + 1].splitlines()

    def changes(self, local, remote):
        """(old, new) for every change of the connection LOCAL -> REMOTE."""
        out = []
        for line in self.lines:
            m = WATCH_LINE.match(line)
            self.testcase.assertIsNotNone(m, f"malformed watch line: {line!r}")
            if m.group(2) == local and m.group(3) == remote:
                out.append((m.group(4), m.group(5)))
        return out

    def wait_state(self, local, remote, state, timeout=5.0):
        """Waits (bounded) until LOCAL -> REMOTE is reported entering STATE."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(new == state for _, new in self.changes(local, remote)):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        self.testcase.fail(f"no '-> {state}' for {local} {remote} in {timeout}s:\n"
                           + "\n".join(self.lines) + "\nstderr:\n" + self.stderr)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals tcpstate; returns its exit status (it must exit)."""
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.testcase.fail(f"tcpstate --watch did not exit on {sig!r}")
        self.read_to_end()
        check_sanitizers(self.testcase, self.stderr, "tcpstate")
        return self.proc.returncode

    def kill(self):
        self.reap()


class CommandLineTest(unittest.TestCase):
    def test_help(self):
        for flag in ("-h", "--help"):
            p = run(self, "tcpstate", flag, check_rc=0)
            self.assertIn(b"Usage: tcpstate", p.stdout)
            self.assertIn(b"--watch", p.stdout)
            self.assertEqual(p.stderr, b"")

    def test_version(self):
        p = run(self, "tcpstate", "--version", check_rc=0)
        self.assertRegex(p.stdout.decode(), r"^tcpstate \(socklab\) \d+\.\d+\.\d+\n$")

    def test_usage_errors_exit_2(self):
        for args in (["-4", "-6"], ["extra"], ["--bogus"], ["-p"], ["-p", "0"],
                     ["-p", "65536"], ["-p", "http"], ["--interval", "0"],
                     ["--interval", "5x"]):
            with self.subTest(args=args):
                p = run(self, "tcpstate", *args, check_rc=2)
                self.assertEqual(p.stdout, b"")
                self.assertRegex(p.stderr.decode(), r"^tcpstate: ")


class ListingTest(unittest.TestCase):
    def listing(self, *args):
        p = run(self, "tcpstate", *args, check_rc=0)
        self.assertEqual(p.stderr, b"")
        lines = p.stdout.decode().splitlines()
        self.assertRegex(lines[0], r"^LOCAL\s+REMOTE\s+STATE\s+PROGRAM\s+MEANING$")
        # LOCAL REMOTE STATE MEANING, and the owner apart (see test_owner).
        rows = [line.split(None, 4) for line in lines[1:]]
        self.owners = {(r[0], r[1], r[2]): r[3] for r in rows}
        return [r[:3] + r[4:] for r in rows]

    def test_listen_filtered_by_port(self):
        lsock = listener(self)
        other = listener(self)
        port, other_port = lsock.getsockname()[1], other.getsockname()[1]
        for name, extra in SOURCES:
            with self.subTest(source=name):
                rows = self.listing("-p", str(port), *extra)
                self.assertIn(["127.0.0.1:%d" % port, "0.0.0.0:0", "LISTEN",
                               "等待连接请求 / waiting for a connection request"], rows)
                for row in rows:
                    ports = {row[0].rsplit(":", 1)[1], row[1].rsplit(":", 1)[1]}
                    self.assertIn(str(port), ports, row)
                    self.assertNotIn(str(other_port), ports, row)
                # Without the filter both listeners are there.
                locals_ = {row[0] for row in self.listing(*extra) if row[2] == "LISTEN"}
                self.assertIn("127.0.0.1:%d" % port, locals_)
                self.assertIn("127.0.0.1:%d" % other_port, locals_)

    def test_owner_is_shown_like_ss_p(self):
        lsock = listener(self)
        c, s = connected_pair(self, lsock)
        port = lsock.getsockname()[1]
        with open("/proc/self/comm") as f:
            me = f"{f.read().strip()}/{os.getpid()}"
        c.close()  # the active closer ends in TIME_WAIT: a socket nobody owns
        s.close()
        for name, extra in SOURCES:
            with self.subTest(source=name):
                self.listing("-p", str(port), *extra)
                self.assertEqual(self.owners[("127.0.0.1:%d" % port, "0.0.0.0:0", "LISTEN")], me)
                # The active closer ends in TIME_WAIT (both ends, when the two FINs
                # cross): no process owns such a socket.
                tw = [who for (l, r, st), who in self.owners.items() if st == "TIME_WAIT"]
                self.assertTrue(tw, self.owners)
                self.assertEqual(set(tw), {"-"})

    def test_established_pair(self):
        lsock = listener(self)
        c, s = connected_pair(self, lsock)
        cl, sl = fmt(c.getsockname(), c.family), fmt(s.getsockname(), s.family)
        for name, extra in SOURCES:
            with self.subTest(source=name):
                rows = self.listing("-p", str(lsock.getsockname()[1]), *extra)
                states = {(r[0], r[1]): r[2] for r in rows}
                self.assertEqual(states.get((cl, sl)), "ESTABLISHED", rows)
                self.assertEqual(states.get((sl, cl)), "ESTABLISHED", rows)
                row = next(r for r in rows if (r[0], r[1]) == (cl, sl))
                self.assertIn("connection open", row[3])

    def test_ipv6_loopback(self):
        try:
            lsock = listener(self, "::1")
        except OSError as e:
            self.skipTest(f"no IPv6 loopback: {e}")
        port = lsock.getsockname()[1]
        c, s = connected_pair(self, lsock)
        cl = fmt(c.getsockname(), c.family)
        self.assertTrue(cl.startswith("[::1]:"))
        for name, extra in SOURCES:
            with self.subTest(source=name):
                rows = self.listing("-6", "-p", str(port), *extra)
                states = {(r[0], r[1]): r[2] for r in rows}
                self.assertEqual(states.get(("[::1]:%d" % port, "[::]:0")), "LISTEN", rows)
                self.assertEqual(states.get((cl, "[::1]:%d" % port)), "ESTABLISHED", rows)
                self.assertEqual(states.get(("[::1]:%d" % port, cl)), "ESTABLISHED", rows)
                # -4 reads only the IPv4 table. (The same port number may be in
                # use there by an unrelated IPv4 socket, so only the family is
                # checked.)
                for row in self.listing("-4", "-p", str(port), *extra):
                    self.assertNotIn("[", row[0] + row[1], row)


class WatchTest(unittest.TestCase):
    def start_watch(self, source, extra, port):
        w = Watcher(self, "-p", str(port), *extra)
        expected = "/proc" if extra or not netlink_available() else "netlink"
        self.assertIn(f"via {expected}", w.stderr)
        return w

    def check_client_side(self, w, cl, sl):
        news = [new for _, new in w.changes(cl, sl)]
        # FIN_WAIT1 lasts until the peer's ACK, which on loopback may come
        # between two polls: it is allowed but not required.
        self.assertEqual([s for s in news if s != "FIN_WAIT1"],
                         ["ESTABLISHED", "FIN_WAIT2", "TIME_WAIT"], w.lines)

    def close_sequence(self, host, source, extra):
        lsock = listener(self, host)
        w = self.start_watch(source, extra, lsock.getsockname()[1])
        c, s = connected_pair(self, lsock)
        cl, sl = fmt(c.getsockname(), c.family), fmt(s.getsockname(), s.family)
        w.wait_state(cl, sl, "ESTABLISHED")
        w.wait_state(sl, cl, "ESTABLISHED")
        c.close()  # the client closes first ...
        w.wait_state(sl, cl, "CLOSE_WAIT")
        w.wait_state(cl, sl, "FIN_WAIT2")
        time.sleep(0.2)  # ... the server stays in CLOSE_WAIT a while ...
        s.close()  # ... then closes too.
        w.wait_state(cl, sl, "TIME_WAIT")
        w.wait_state(sl, cl, "(gone)")
        self.assertEqual(w.stop(), 0)
        self.check_client_side(w, cl, sl)
        # Here the server's LAST_ACK lasts only until the client's ACK of its
        # FIN, microseconds on loopback, far below the 5 ms poll: it may or
        # may not be seen, so only the states around it are required.
        # test_watch_last_ack holds LAST_ACK open to observe it for sure.
        server = [new for _, new in w.changes(sl, cl) if new != "LAST_ACK"]
        self.assertEqual(server[-2:], ["CLOSE_WAIT", "(gone)"], w.lines)
        self.assertIn("ESTABLISHED", server)

    def test_watch_close_sequence(self):
        for source, extra in SOURCES:
            with self.subTest(source=source):
                self.close_sequence("127.0.0.1", source, extra)

    def test_watch_close_sequence_ipv6(self):
        try:
            listener(self, "::1")
        except OSError as e:
            self.skipTest(f"no IPv6 loopback: {e}")
        for source, extra in SOURCES:
            with self.subTest(source=source):
                self.close_sequence("::1", source, extra)

    def last_ack(self, source, extra):
        """Client closes first, server after: every state of both sides.

        To hold the server in LAST_ACK, its FIN must stay unacknowledged: the
        server fills the client's receive window (the client reads nothing)
        before it closes, so the FIN waits in the send queue behind the data
        and the socket sits in LAST_ACK until the client reads. For that the
        client's "close" is shutdown(SHUT_WR), which sends the same FIN but
        leaves it able to read; a real close() with unread data would send a
        RST instead. The server also uses shutdown(SHUT_WR) (same FIN, same
        LAST_ACK) so the socket is not orphaned and no orphan-retry limit can
        abort it while the window is shut.
        """
        lsock = listener(self)
        w = self.start_watch(source, extra, lsock.getsockname()[1])
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
        c.settimeout(10)
        c.connect(lsock.getsockname())
        lsock.settimeout(10)
        s, _ = lsock.accept()
        self.addCleanup(s.close)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        cl, sl = fmt(c.getsockname(), c.family), fmt(s.getsockname(), s.family)

        s.setblocking(False)
        for _ in range(3):  # fill until the send buffer stays full
            try:
                while True:
                    s.send(b"x" * 65536)
            except BlockingIOError:
                pass
            time.sleep(0.02)

        w.wait_state(cl, sl, "ESTABLISHED")
        c.shutdown(socket.SHUT_WR)  # client closes first
        w.wait_state(sl, cl, "CLOSE_WAIT")
        w.wait_state(cl, sl, "FIN_WAIT2")
        time.sleep(0.2)  # CLOSE_WAIT stays visible ~200 ms
        s.shutdown(socket.SHUT_WR)  # then the server
        w.wait_state(sl, cl, "LAST_ACK")
        time.sleep(0.2)  # LAST_ACK stays while the client reads nothing
        self.assertNotIn("(gone)", [new for _, new in w.changes(sl, cl)])

        c.settimeout(10)
        while c.recv(1 << 20):  # drain: the FIN gets through and is ACKed
            pass
        w.wait_state(cl, sl, "TIME_WAIT")
        s.close()
        w.wait_state(sl, cl, "(gone)")
        self.assertEqual(w.stop(signal.SIGINT), 0)

        self.check_client_side(w, cl, sl)
        server = [new for _, new in w.changes(sl, cl)]
        self.assertEqual([st for st in server if st != "SYN_RECV"],
                         ["ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "(gone)"], w.lines)
        # Transitions are reported pairwise: each OLD is the previous NEW.
        for side in ((cl, sl), (sl, cl)):
            ch = w.changes(*side)
            for (_, prev_new), (old, _) in zip(ch, ch[1:]):
                self.assertEqual(prev_new, old, w.lines)
            self.assertEqual(ch[0][0], "(new)")

    def test_watch_last_ack(self):
        for source, extra in SOURCES:
            with self.subTest(source=source):
                self.last_ack(source, extra)

    def test_watch_lines_are_timestamped_and_flushed(self):
        lsock = listener(self)
        w = Watcher(self, "-p", str(lsock.getsockname()[1]), "--interval", "2")
        c, s = connected_pair(self, lsock)
        cl, sl = fmt(c.getsockname(), c.family), fmt(s.getsockname(), s.family)
        # Seen while tcpstate is still running: the line was flushed.
        w.wait_state(cl, sl, "ESTABLISHED")
        line = next(x for x in w.lines if x.split()[1:3] == [cl, sl])
        self.assertRegex(line, r"^\d\d:\d\d:\d\d\.\d{3}\s+" + re.escape(cl) + r"\s+"
                         + re.escape(sl) + r"\s+\(new\) -> ESTABLISHED$")
        self.assertEqual(w.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main()
