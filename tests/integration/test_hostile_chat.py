"""tcpchat-server against hostile and unlucky clients: one test per finding of
the "classroom-proof servers" review (commands read past the line, spaces that
are not ASCII, nicks that pass for someone else or for the server, a flooder
that got honest readers cut off)."""
# labels: threaded
import re
import socket
import threading
import time
import unittest

from socklab_test import Server, recv_until_eof, run
from test_tcpchat import ChatRoomCase, Peer

INVALID_NICK = rb"^!!! invalid nick \(%s\): "


class HostileChatTest(ChatRoomCase):
    def assert_alive(self, p):
        """The server still answers P, and no sanitizer has spoken."""
        p.send("/who")
        p.expect(rb"^\*\*\* \d+ online: ")
        self.assertTrue(self.srv.alive(), self.srv.stderr)

    def test_full_line_then_nick_does_not_read_past_the_line(self):
        # A 4096-byte line with its CRLF fills every byte of the reader's
        # buffer (4098) with non-NUL bytes, however TCP splits it; the old
        # nick check ran strstr() from "x" through them and beyond.
        a, b = self.peer("alice"), self.peer()
        a.expect(b"joined$")
        b.send("a" * 4096 + "\r")
        a.expect(b"^" + b.nick.encode() + b": a{4096}$")
        b.send("/nick x")
        b.expect(rb"^\*\*\* you are now known as x$")
        self.assert_alive(b)

    def test_msg_text_may_hold_ideographic_space(self):
        a, b = self.peer("alice"), self.peer("bob")
        b.send("/msg alice 你好　世界")  # U+3000 between the words, as an IME types it
        a.expect("^\\[private\\] bob: 你好　世界$".encode())
        b.expect("^\\[private to alice\\] 你好　世界$".encode())

    def test_nick_accepted_after_a_line_with_no_break_space(self):
        # Left in the reader's buffer behind the shorter /nick line, the old
        # check found the U+00A0 of the previous line.
        a, b = self.peer("alice"), self.peer()
        b.send("the price is 100\u00a0元")  # the U+00A0 lies past the /nick line
        a.expect("^{}: the price is 100\u00a0元$".format(b.nick).encode())
        b.send("/nick 李雷")
        b.expect("^\\*\\*\\* you are now known as 李雷$".encode())

    def expect_refused(self, p, nick, why):
        p.send(b"/nick " + nick.encode())
        p.expect(INVALID_NICK % why)

    def test_nicks_with_any_unicode_white_space_refused(self):
        a = self.peer("alice")
        for ws in ("\u00a0", "\u1680", "\u2000", "\u2007", "\u200a", "\u2028", "\u2029",
                   "\u202f", "\u205f", "\u3000", "\t"):
            self.expect_refused(a, "ali" + ws + "ce", b"white space")
        self.expect_refused(a, "two words", b"white space")
        self.assert_still_called(a, "alice")

    def test_nicks_with_bidi_controls_refused(self):
        a = self.peer("alice")
        for bidi in ("\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"):
            self.expect_refused(a, "admin" + bidi + "x", b"bidi control characters")
        self.assert_still_called(a, "alice")

    def test_nicks_with_zero_width_characters_refused(self):
        self.peer("alice")  # the nick the others would pass for
        b = self.peer("bob")
        for zw in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"):
            self.expect_refused(b, "ali" + zw + "ce", b"zero-width characters")
        self.assert_still_called(b, "bob")

    def test_nicks_that_look_like_the_server_refused(self):
        a = self.peer("alice")
        for fake in ("!!!x", "!!!", "***", "***admin", "[admin]", "[private]"):
            self.expect_refused(a, fake, rb"starts like a server line: \*\*\*, !!! or \[")
        self.assert_still_called(a, "alice")
        a.send("/nick x!!!")  # only the start matters
        a.expect(rb"^\*\*\* you are now known as x!!!$")

    def test_nicks_with_controls_refused(self):
        a = self.peer("alice")
        for ctl in ("\x1b[31m", "\x7f", "\u0085", "\u009b"):
            a.send(("/nick a" + ctl + "b").encode())
            a.expect(INVALID_NICK % (b"white space" if ctl == "\u0085" else b"control characters"))
        a.send(b"/nick a\xffb")
        a.expect(INVALID_NICK % b"invalid UTF-8")
        self.assert_still_called(a, "alice")

    def assert_still_called(self, p, nick):
        p.send("/who")
        m = p.expect(rb"^\*\*\* \d+ online: (.*)$")
        self.assertIn(nick.encode(), m.group(1).split(b", "))


class Reader(threading.Thread):
    """A client that reads everything, in its own thread, until a line
    holding UNTIL arrives or the server closes: as fast as it can, or with a
    PAUSE (seconds) after each read, like a terminal that has to draw."""

    def __init__(self, port, until, pause=0.0):
        super().__init__(daemon=True)
        self.peer = Peer(port)
        self.until = until
        self.pause = pause
        self.data = bytearray()
        self.closed = False
        self.start()

    def run(self):
        sock = self.peer.sock
        sock.settimeout(120)
        while True:
            chunk = sock.recv(16384)  # what nc reads at a time
            if not chunk:
                self.closed = True
                return
            tail = len(self.data) - len(self.until)
            self.data += chunk
            if self.data.find(self.until, max(0, tail)) >= 0:
                return
            time.sleep(self.pause)

    def finish(self, testcase, timeout=120):
        self.join(timeout)
        testcase.assertFalse(self.is_alive(), f"{self.until!r} never arrived")
        testcase.assertFalse(self.closed, "the server cut a reading client off")
        return bytes(self.data)


def welcomed(sock):
    """Reads SOCK (a raw client) up to its welcome line, which says it has
    joined: a line broadcast before that is not for it. Returns the bytes
    read (the welcome, perhaps with more after it)."""
    data = bytearray()
    sock.settimeout(30)
    while b"\n" not in data:
        chunk = sock.recv(256)
        assert chunk, "the server closed before the welcome"
        data += chunk
    assert data.startswith(b"*** welcome, you are "), bytes(data[:80])
    return bytes(data)


def numbers(data, nick):
    """The numbers of NICK's lines "NICK: 00042 ..." in DATA, in arrival order."""
    return [int(n) for n in re.findall(rb"^" + nick + rb": (\d{5}) ", data, re.M)]


class FloodTest(unittest.TestCase):
    """Backpressure, not eviction: a flooder is slowed down, readers that
    read are never dropped, and only one that takes nothing is."""

    def server(self, *args):
        self.srv = Server(self, "tcpchat-server", *args)
        return self.srv

    def flooder(self, nick=b"flood"):
        f = Peer(self.srv.port)
        f.sock.settimeout(120)
        f.send(b"/nick " + nick)
        f.expect(rb"^\*\*\* you are now known as ")
        self.addCleanup(f.close)
        return f

    def test_3_mb_flood_reaches_readers_in_order_at_their_pace(self):
        self.server("--flood", "off")  # backpressure alone
        # One reads at full speed, one at about 3 MB/s: both take bytes all
        # along, so the flooder must wait for them rather than cut them off.
        readers = [Reader(self.srv.port, b"flood: the end\n", pause)
                   for pause in (0.0, 0.005)]
        f = self.flooder()
        count = 56000  # 56 bytes a line: 3.1 MB
        f.sock.sendall("".join(f"{i:05d} {'洪水' * 8}\n" for i in range(count)).encode())
        f.send("the end")
        for r in readers:
            self.assertEqual(numbers(r.finish(self), b"flood"), list(range(count)))
            r.peer.close()
        f.send("/who")  # the flooder is still there
        f.expect(rb"^\*\*\* \d+ online: ")
        self.assertTrue(self.srv.alive(), self.srv.stderr)

    def test_listener_reading_nothing_dropped_after_stall_time_and_told_why(self):
        self.server("--flood", "off", "--stall-timeout", "1")
        bob = Reader(self.srv.port, b"alice: after the drop\n")
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", self.srv.port))  # never reads, until dropped
        self.addCleanup(stuck.close)
        alice = self.flooder(b"alice")
        time.sleep(0.2)  # stuck's welcome and join are queued
        start = time.monotonic()
        # 1.5 MB: far past the socket buffers and stuck's queue; alice
        # waits for stuck (backpressure) until it is dropped.
        alice.sock.sendall("".join(f"{i:05d} {'z' * 1000}\n" for i in range(1500)).encode())
        dropped = rb"^\*\*\* guest\d+ was disconnected \(not reading for 1 s\)$"
        while not re.search(dropped, bob.data, re.M):
            self.assertLess(time.monotonic() - start, 30, "stuck was never dropped")
            time.sleep(0.01)
        self.assertGreaterEqual(time.monotonic() - start, 1.0, "dropped before the stall time")
        # What stuck finds once it reads again: its backlog, then why, then the end.
        stuck.settimeout(10)
        told = recv_until_eof(stuck)
        self.assertRegex(told, rb"\n!!! disconnected: you read nothing for 1 s while over "
                               rb"128 KiB waited\n$")
        alice.send("after the drop")
        self.assertEqual(numbers(bob.finish(self), b"alice"), list(range(1500)))
        bob.peer.close()

    def test_big_room_shared_fan_out_drops_the_stuck_at_either_end(self):
        # 40 readers and 2 clients that never read: one joined first (the
        # oldest: the fan-out helper's end of the list), one joined just
        # before the sender (the sender's own end). A line to 40+ listeners
        # is shared between the sender and a helper, so each side must hold
        # its stuck client (backpressure) until the stall time drops it.
        self.server("--flood", "off", "--stall-timeout", "1")

        def stuck_client():
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", self.srv.port))
            self.addCleanup(s.close)
            welcomed(s)  # in the room; from here on it reads nothing
            return s
        oldest = stuck_client()
        readers = [Reader(self.srv.port, b"alice: after the drop\n") for _ in range(40)]
        newest = stuck_client()
        alice = self.flooder(b"alice")
        time.sleep(0.3)  # every join is through
        alice.sock.sendall("".join(f"{i:05d} {'z' * 1000}\n" for i in range(1500)).encode())
        dropped = rb"^\*\*\* guest\d+ was disconnected \(not reading for 1 s\)$"
        start = time.monotonic()
        while len(re.findall(dropped, readers[0].data, re.M)) < 2:
            self.assertLess(time.monotonic() - start, 30, "a stuck client was never dropped")
            time.sleep(0.01)
        for s in (oldest, newest):
            s.settimeout(10)
            self.assertRegex(recv_until_eof(s), rb"\n!!! disconnected: you read nothing for 1 s")
        alice.send("after the drop")
        for r in readers:
            self.assertEqual(numbers(r.finish(self), b"alice"), list(range(1500)))
            r.peer.close()
        self.assertTrue(self.srv.alive(), self.srv.stderr)

    def lines_within(self, reader, nick, seconds):
        """How many of NICK's numbered lines READER gets in SECONDS."""
        got = []
        end = time.monotonic() + seconds
        for line in reader.lines(timeout=seconds):
            if line.startswith(nick + b": "):
                got.append(line)
        while time.monotonic() < end:
            got += [l for l in reader.lines(timeout=end - time.monotonic())
                    if l.startswith(nick + b": ")]
        return got

    def time_to_deliver(self, *server_args, count=70):
        """Seconds until COUNT lines sent at once by one client reach another."""
        self.server(*server_args)
        r = Peer(self.srv.port)
        self.addCleanup(r.close)
        f = self.flooder()
        r.expect(rb"is now known as flood$")
        start = time.monotonic()
        f.sock.sendall("".join(f"{i:05d} x\n" for i in range(count)).encode())
        r.expect(f"^flood: {count - 1:05d} x$".encode(), timeout=30)
        took = time.monotonic() - start
        self.assertEqual(numbers(b"\n".join(r.seen), b"flood"), list(range(count)))
        f.send("/who")  # slowed, not dropped
        f.expect(rb"^\*\*\* \d+ online: ")
        self.srv.stop()
        return took

    def test_flooder_slowed_by_a_tuned_limit_never_dropped(self):
        # 50 lines/s after a burst of 20: the last of 70 lines (and the
        # /nick) comes after about 1 s; without the limit, at once.
        limited = self.time_to_deliver("--flood", "50,1M,20,1M")
        unlimited = self.time_to_deliver("--flood", "off")
        self.assertGreater(limited, 0.8)
        self.assertLess(unlimited, 0.5)

    def test_flood_limit_on_by_default_and_a_paste_goes_through(self):
        self.server()
        r = Peer(self.srv.port)
        self.addCleanup(r.close)
        f = self.flooder()
        r.expect(rb"is now known as flood$")
        f.sock.sendall("".join(f"{i:05d} paste\n" for i in range(200)).encode())
        self.assertEqual(len(self.lines_within(r, b"flood", 1.0)), 200)  # at once
        f.sock.sendall("".join(f"{i:05d} flood\n" for i in range(200, 600)).encode())
        got = self.lines_within(r, b"flood", 1.0)
        # The 300-line burst is nearly used: about 100 more, then 20/s.
        self.assertGreater(len(got), 50)
        self.assertLess(len(got), 200)
        self.assertTrue(self.srv.alive(), self.srv.stderr)

    def test_bad_flood_limits_refused(self):
        for bad in ("0,1K", "20", "20,16K,300", "twenty,16K", "20,16K,300,64K,1"):
            p = run(self, "tcpchat-server", "-p", "0", "--flood", bad, check_rc=2)
            self.assertIn(b"--flood", p.stderr)
        run(self, "tcpchat-server", "-p", "0", "--stall-timeout", "0", check_rc=2)


def numbered_line(i):
    """Line I of a sender: lengths from 100 to 2,900 bytes, so a full socket
    buffer cuts lines in the middle."""
    return f"{i:05d} " + "x" * (100 + i * 677 % 2800)


def lines_of(data, nick):
    """NICK's numbers in DATA, in order; fails on any line of NICK's that
    is not whole (torn, or run into another sender's)."""
    got = []
    for m in re.finditer(rb"^" + nick + rb": (\d{5}) (x*)$", data, re.M):
        i = int(m.group(1))
        assert numbered_line(i).encode() == m.group(1) + b" " + m.group(2), f"line {i} torn"
        got.append(i)
    assert data.count(nick + b": ") == len(got), f"{nick!r}: a line torn or mixed"
    return got


class FanOutTest(unittest.TestCase):
    """Fan-out writes into each listener's socket from the sender's thread;
    only what a full socket buffer does not take is queued for the writer
    pool. Order, wholeness and the thread budget must survive that."""

    def senders(self, port, count):
        out = []
        for k in range(count):
            p = Peer(port)
            p.send(f"/nick s{k}")
            p.expect(rb"^\*\*\* you are now known as ")
            self.addCleanup(p.close)
            out.append(p)
        return out

    def talk_at_once(self, senders, count):
        """Every sender sends COUNT numbered lines, all at the same time."""
        def send_all(p):
            p.sock.sendall("".join(numbered_line(i) + "\n" for i in range(count)).encode())
        threads = [threading.Thread(target=send_all, args=(p,)) for p in senders]
        for t in threads:
            t.start()
        return threads

    def read_all(self, sock, tails, timeout=60):
        """Reads SOCK until every one of TAILS (bytes) has arrived."""
        data = bytearray()
        sock.settimeout(timeout)
        while not all(t in data for t in tails):
            chunk = sock.recv(65536)
            self.assertTrue(chunk, "the server closed a reading client")
            data += chunk
        return bytes(data)

    def test_full_socket_buffer_gets_the_rest_later_in_order_and_whole(self):
        srv = Server(self, "tcpchat-server", "--flood", "off")
        late = socket.socket()
        late.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        late.connect(("127.0.0.1", srv.port))
        self.addCleanup(late.close)
        first = welcomed(late)  # joined before anyone talks; it reads nothing more yet
        a, b = self.senders(srv.port, 2)
        count = 120  # about 180 KB from each: past both socket buffers, within the queue
        threads = self.talk_at_once([a, b], count)
        time.sleep(1.5)  # LATE reads nothing yet: its socket fills, the rest is queued
        tails = [f"s{k}: {numbered_line(count - 1)}\n".encode() for k in range(2)]
        data = first + self.read_all(late, tails)
        for t in threads:
            t.join()
        for nick in (b"s0", b"s1"):
            self.assertEqual(lines_of(data, nick), list(range(count)))
        self.assertTrue(data.startswith(b"*** welcome, you are "), data[:80])
        self.assertTrue(srv.alive(), srv.stderr)

    def test_many_senders_to_many_listeners_in_order_per_sender(self):
        srv = Server(self, "tcpchat-server", "--flood", "off")
        listeners = []
        # 48 listeners and 6 senders: past CHAT_FANOUT_MIN (32), so each
        # line is shared between its sender and a fan-out helper whenever
        # one is idle, and written by the sender alone when not.
        for i in range(48):
            s = socket.socket()
            if i % 3 == 0:  # some with small buffers: they take the queued path
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", srv.port))
            self.addCleanup(s.close)
            welcomed(s)  # joined before the senders talk
            listeners.append(s)
        senders = self.senders(srv.port, 6)
        count = 60
        tails = [f"s{k}: {numbered_line(count - 1)}\n".encode() for k in range(6)]
        results = [None] * len(listeners)

        def read(i):
            try:
                results[i] = self.read_all(listeners[i], tails)
            except Exception as e:  # reported below
                results[i] = e
        readers = [threading.Thread(target=read, args=(i,)) for i in range(len(listeners))]
        for r in readers:
            r.start()
        for t in self.talk_at_once(senders, count):
            t.join()
        for r in readers:
            r.join(90)
        for i, data in enumerate(results):
            self.assertIsInstance(data, bytes, f"listener {i}: {data!r}")
            for k in range(6):
                self.assertEqual(lines_of(data, f"s{k}".encode()), list(range(count)),
                                 f"listener {i}, sender s{k}")
        self.assertTrue(srv.alive(), srv.stderr)

    def test_one_thread_per_client_plus_a_fixed_pool(self):
        srv = Server(self, "tcpchat-server", "-v")
        m = srv.wait_stderr(r"(\d+) writer threads, (\d+) fan-out helpers")
        pool, helpers = int(m.group(1)), int(m.group(2))
        self.assertGreaterEqual(pool, 1)
        self.assertLessEqual(pool, 8)
        self.assertGreaterEqual(helpers, 1)
        self.assertLessEqual(helpers, 4)

        def threads():
            with open(f"/proc/{srv.proc.pid}/status") as f:
                return int(re.search(r"^Threads:\s+(\d+)$", f.read(), re.M).group(1))
        fixed = 4 + pool + helpers  # main, the signal waiter, refusals, a sanitizer's own; the pools
        base = threads()
        self.assertLessEqual(base, fixed)
        peers = []
        for n in (40, 80):
            while len(peers) < n:
                peers.append(Peer(srv.port))  # welcomed: its thread runs
                self.addCleanup(peers[-1].close)
            peers[-1].send("/who")  # everyone's joins are through
            peers[-1].expect(rb"^\*\*\* %d online: " % n)
            self.assertLessEqual(threads(), n + fixed, f"{n} clients")
            self.assertGreaterEqual(threads(), n, f"{n} clients: a reader each")


if __name__ == "__main__":
    unittest.main()
