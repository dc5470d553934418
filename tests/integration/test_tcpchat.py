"""tcpchat-server and tcpchat-client, end to end on loopback."""
# labels: threaded
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
import unittest

from socklab_test import Server, Tmux, connect, run, tool


class Peer:
    """A raw chat client: a socket plus a line buffer."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = connect(port, host)
        self.buf = b""
        self.seen = []  # every line expect() has read
        self.nick = self.expect(rb"^\*\*\* welcome, you are (\S+);").group(1).decode()

    def send(self, text):
        data = text.encode() if isinstance(text, str) else text
        self.sock.sendall(data + b"\n")

    def lines(self, timeout=0.3):
        """Every line that arrives within TIMEOUT seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        out, _, self.buf = self.buf.rpartition(b"\n")
        return out.split(b"\n") if out else []

    def expect(self, pattern, timeout=10.0):
        """Reads lines until one matches PATTERN (bytes regex); returns the match."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.seen.append(line)
                m = rx.search(line)
                if m:
                    return m
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line matching {pattern!r}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed before {pattern!r}; "
                                     f"read {self.seen!r}, then {self.buf!r}")
            self.buf += chunk

    def expect_seen(self, pattern, timeout=10.0):
        """Like expect(), but a line already read by an earlier expect() counts."""
        for line in self.seen:
            m = re.search(pattern, line)
            if m:
                return m
        return self.expect(pattern, timeout)

    def close(self):
        self.sock.close()


class ChatRoomCase(unittest.TestCase):
    """A fresh server (started with SERVER_ARGS) per test, and raw peers in
    it that are closed at the end; shared by the hostile-client suite."""

    SERVER_ARGS = ()

    def setUp(self):
        self.srv = Server(self, "tcpchat-server", *self.SERVER_ARGS)
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.close()

    def peer(self, nick=None):
        p = Peer(self.srv.port)
        self.peers.append(p)
        if nick:
            p.send("/nick " + nick)
            p.expect(rb"^\*\*\* you are now known as " + nick.encode() + rb"$")
        return p


class ChatTest(ChatRoomCase):
    SERVER_ARGS = ("-v",)

    def test_lines_reach_everyone_else_with_nick(self):
        a, b, c = self.peer("alice"), self.peer("bob"), self.peer("carol")
        a.send("hello, 你好 🌏")
        for p in (b, c):
            p.expect("^alice: hello, 你好 🌏$".encode())
        self.assertFalse([l for l in a.lines() if b"hello" in l])  # not back to the sender

    def test_join_leave_rename_notices(self):
        a = self.peer("alice")
        b = self.peer()
        a.expect(rb"^\*\*\* " + b.nick.encode() + rb" joined$")
        b.send("/nick 小明")
        a.expect("^\\*\\*\\* {} is now known as 小明$".format(b.nick).encode())
        b.send("/quit 再见")
        b.expect(rb"^\*\*\* bye$")
        a.expect("^\\*\\*\\* 小明 left \\(再见\\)$".encode())

    def test_nick_collisions_and_invalid_names(self):
        a, b = self.peer("alice"), self.peer()
        b.send("/nick ALICE")  # nicks ignore ASCII case
        b.expect(rb"^!!! nick ALICE is taken$")
        for bad in ("two words", "x" * 33, "\x1b[31mred", "tab\there"):
            b.send("/nick " + bad)
            b.expect(rb"^!!! invalid nick")
        b.send("/nick " + "好" * 32)  # 32 characters, 96 bytes: fine
        b.expect(("^\\*\\*\\* you are now known as " + "好" * 32 + "$").encode())
        b.send("/nick " + "好" * 33)
        b.expect(rb"^!!! invalid nick \(longer than 32 characters\)")

    def test_msg_reaches_only_its_target(self):
        a, b, c = self.peer("alice"), self.peer("bob"), self.peer("carol")
        a.send("/msg bob 只给你")
        b.expect("^\\[private\\] alice: 只给你$".encode())
        a.expect("^\\[private to bob\\] 只给你$".encode())
        a.send("/msg nobody hi")
        a.expect(rb"^!!! no such nick: nobody$")
        a.send("/msg bob")
        a.expect(rb"^!!! usage: /msg NICK text$")
        a.send("public")
        c.expect(rb"^alice: public$")
        self.assertFalse([l for l in c.lines() if b"\xe5\x8f\xaa" in l])

    def test_who_me_help_unknown(self):
        a, b = self.peer("alice"), self.peer("bob")
        a.send("/who")
        a.expect(rb"^\*\*\* 2 online: (bob, alice|alice, bob)$")
        a.send("/me waves")
        b.expect(rb"^\* alice waves$")
        a.send("/help")
        a.expect(rb"^\*\*\*   /msg NICK text")
        a.send("/frobnicate now")
        a.expect(rb"^!!! unknown command: /frobnicate \(try /help\)$")
        a.send("//not a command")
        b.expect(rb"^alice: /not a command$")

    def test_control_characters_and_invalid_utf8_neutralised(self):
        a, b = self.peer("alice"), self.peer("bob")
        a.send(b"\x1b[2J\x1b]0;owned\x07 \xc2\x9b31m \xff\xfe ok\r")
        m = b.expect(rb"^alice: (.*)$")
        self.assertEqual(m.group(1), "^[[2J^[]0;owned^G \ufffd31m \ufffd\ufffd ok".encode())

    def test_over_long_line_refused_not_truncated(self):
        a, b = self.peer("alice"), self.peer("bob")
        a.send("x" * 4097)
        a.expect(rb"^!!! line too long \(over 4096 bytes\), not sent$")
        a.send("y" * 4096)  # exactly the limit is fine
        self.assertEqual(len(b.expect(rb"^alice: (y+)$").group(1)), 4096)
        self.assertFalse([l for l in b.lines() if b"xxx" in l])

    def test_client_reset_mid_broadcast(self):
        a, b = self.peer("alice"), self.peer("bob")
        for _ in range(5):
            r = Peer(self.srv.port)
            r.send("about to vanish")
            r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            r.close()
            a.send("still talking")
            b.expect(rb"^alice: still talking$")
        self.assertTrue(self.srv.alive())

    def test_joining_while_lines_fly_gets_welcome_first(self):
        # A newcomer becomes visible to broadcasts the moment it joins; its
        # queue and welcome must already be there (a push to a queue not yet
        # made once cut newcomers off before their welcome).
        self.srv = Server(self, "tcpchat-server", "--flood", "off")  # 1,500 lines at once
        talker = self.peer("talker")
        joined = []
        for i in range(150):
            talker.send("\n".join(f"burst {i} line {k}" for k in range(10)))
            p = Peer(self.srv.port)  # fails if cut off before the welcome
            joined.append(p)
            self.assertEqual(len(p.seen), 1, f"newcomer {i}: lines before its welcome")
        talker.send("the end")
        for p in joined:
            p.expect(rb"^talker: the end$")
            p.close()
        self.assertTrue(self.srv.alive())

    def test_stuck_client_dropped_while_others_keep_receiving(self):
        self.srv = Server(self, "tcpchat-server", "--flood", "off", "--stall-timeout", "1")
        a, b = self.peer("alice"), self.peer("bob")
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", self.srv.port))  # never reads
        line = "z" * 1000
        for i in range(1500):  # 1.5 MB: far past the socket buffers and the 256 KiB queue
            a.send(f"{i:04d} {line}")
            if i % 100 == 99:
                b.expect(f"^alice: {i:04d} ".encode())
        # alice waited for stuck (backpressure) until it took nothing for 1 s.
        b.expect_seen(rb"^\*\*\* guest\d+ was disconnected \(not reading for 1 s\)$")
        a.send("after the drop")
        b.expect(rb"^alice: after the drop$")
        stuck.close()

    def test_sigterm_tells_everyone_and_exits_zero(self):
        a = self.peer()
        self.assertEqual(self.srv.stop(), 0)
        a.expect(rb"^\*\*\* server shutting down$")
        self.assertEqual(a.sock.recv(100), b"")


class ChatLimitsTest(unittest.TestCase):
    def test_max_clients(self):
        srv = Server(self, "tcpchat-server", "--max-clients", "2")
        a, b = Peer(srv.port), Peer(srv.port)
        c = connect(srv.port)
        self.assertEqual(c.recv(200), b"!!! server full (2 clients), try again later\n")
        self.assertEqual(c.recv(10), b"")
        c.close()
        a.send("/quit")
        a.expect(rb"^\*\*\* bye$")
        a.close()
        b.expect(rb"left")
        # Room again once a's connection is closed (its thread ends just
        # after the notice: a newcomer in that moment is still told "full").
        for _ in range(100):
            try:
                d = Peer(srv.port)
                break
            except AssertionError:
                time.sleep(0.02)
        d.send("hi")
        b.expect(rb": hi$")
        for p in (b, d):
            p.close()
        self.assertEqual(srv.stop(), 0)

    def test_ipv6(self):
        srv = Server(self, "tcpchat-server", "-6", "-b", "::1")
        a, b = Peer(srv.port, "::1"), Peer(srv.port, "::1")
        a.send("v6")
        b.expect(rb": v6$")
        a.close()
        b.close()


class ChatClientTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, "tcpchat-server")
        self.port = str(self.srv.port)

    def client(self, *args, port=None):
        """A tcpchat-client with piped stdio, killed at cleanup if still running."""
        proc = subprocess.Popen([tool("tcpchat-client"), "-p", port or self.port, *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

        def cleanup():
            if proc.poll() is None:
                proc.kill()
            proc.communicate()

        self.addCleanup(cleanup)
        return proc

    def test_piped_client_sends_every_line_and_exits_zero(self):
        watcher = Peer(self.srv.port)
        text = "第一行\nsecond line\n/me 笑\n".encode()
        p = run(self, "tcpchat-client", "-p", self.port, "-n", "pipe", input=text, check_rc=0)
        watcher.expect("^pipe: 第一行$".encode())
        watcher.expect(rb"^pipe: second line$")
        watcher.expect("^\\* pipe 笑$".encode())
        out = p.stdout.decode()
        self.assertIn("*** you are now known as pipe\n", out)  # raw lines when piped
        self.assertNotRegex(out, r"\x1b")  # no colours when stdout is not a terminal
        watcher.close()

    def test_host_and_port_as_nc_takes_them(self):
        watcher = Peer(self.srv.port)
        for host in ("127.0.0.1", "::1"):
            run(self, "tcpchat-client", "-n", "operand", host, self.port,
                input=f"via {host}\n".encode(), check_rc=0)
            watcher.expect(f"^operand: via {host}$".encode())
        watcher.close()

    def test_piped_quit_leaves_with_status_zero(self):
        # stdin stays open after /quit: the server's close must still read
        # as our leaving, not as the server going away.
        client = self.client("-n", "q")
        watcher = Peer(self.srv.port)
        client.stdin.write("hi\n/quit 再见\n".encode())
        client.stdin.flush()
        watcher.expect("^\\*\\*\\* q left \\(再见\\)$".encode())
        client.wait(20)
        err = client.stderr.read()
        self.assertEqual(client.returncode, 0, err)
        self.assertIn(b"*** bye", client.stdout.read())
        watcher.close()

    def test_sigterm_while_connecting_stops_at_once(self):
        # A listener whose backlog is full drops further SYNs: connect()
        # hangs in the kernel's retries. SIGTERM must end that wait.
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        fillers = []
        for _ in range(3):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex(lsock.getsockname())
            fillers.append(f)
        time.sleep(0.2)
        self.addCleanup(lsock.close)
        for f in fillers:
            self.addCleanup(f.close)
        client = self.client("127.0.0.1", port=str(lsock.getsockname()[1]))
        time.sleep(0.5)
        self.assertIsNone(client.poll(), "connect did not hang; the test proves nothing")
        client.send_signal(signal.SIGTERM)
        out, err = client.communicate(timeout=5)
        self.assertEqual(client.returncode, 1, err)
        self.assertRegex(err, rb"connect 127\.0\.0\.1:\d+: stopped by a signal")

    def test_two_real_clients(self):
        # The first client waits for the second to speak: it lingers on stdin.
        watcher = Peer(self.srv.port)  # in the room first: it sees the rename
        first = self.client("-n", "one")
        watcher.expect(rb"^\*\*\* \S+ is now known as one$")
        run(self, "tcpchat-client", "-p", self.port, "-n", "two",
            input="你好，one\n".encode(), check_rc=0)
        watcher.expect("^two: 你好，one$".encode())
        out, err = first.communicate(b"bye two\n", timeout=20)
        self.assertEqual(first.returncode, 0, err)
        self.assertIn("two: 你好，one\n".encode(), out)
        watcher.expect(rb"^one: bye two$")
        watcher.close()

    def test_sigint_leaves_cleanly(self):
        watcher = Peer(self.srv.port)  # in the room first: it sees the rename
        client = self.client("-n", "ctrlc")
        watcher.expect(rb"is now known as ctrlc$")
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=20)
        self.assertEqual(client.returncode, 0, err)
        watcher.expect(rb"^\*\*\* ctrlc left")
        watcher.close()

    def test_server_gone_is_an_error(self):
        client = self.client()
        time.sleep(0.3)
        self.assertEqual(self.srv.stop(), 0)
        out, err = client.communicate(timeout=20)
        self.assertEqual(client.returncode, 1)
        self.assertIn(b"*** server shutting down", out)
        self.assertEqual(err, b"tcpchat-client: the server closed the connection\n")

    def test_no_server(self):
        port = self.port
        self.srv.stop()
        p = run(self, "tcpchat-client", "-p", port, "127.0.0.1", check_rc=1)
        self.assertRegex(p.stderr.decode(), r"^tcpchat-client: connect 127\.0\.0\.1:\d+: "
                                            r"Connection refused\n$")

    def test_cli_conventions(self):
        for name in ("tcpchat-server", "tcpchat-client"):
            self.assertIn(b"Usage: " + name.encode(), run(self, name, "--help", check_rc=0).stdout)
            run(self, name, "--version", check_rc=0)
            self.assertIn(b"--help", run(self, name, "--nope", check_rc=2).stderr)
        run(self, "tcpchat-server", "-p", "70000", check_rc=2)
        run(self, "tcpchat-client", "a", "b", check_rc=2)  # b is no port
        run(self, "tcpchat-client", "a", "7070", "c", check_rc=2)
        p = run(self, "tcpchat-client", "-p", "7071", "a", "7070", check_rc=2)
        self.assertIn(b"two ports: -p 7071 and 7070", p.stderr)

    def test_nc_as_client(self):
        nc = shutil.which("nc")
        if nc is None:
            self.skipTest("nc (netcat-openbsd) not installed")
        watcher = Peer(self.srv.port)
        p = subprocess.run([nc, "-q", "1", "127.0.0.1", self.port],
                           input="/nick netcat\n中文 from nc\n".encode(),
                           stdout=subprocess.PIPE, timeout=20)
        watcher.expect("^netcat: 中文 from nc$".encode())
        self.assertIn(b"*** you are now known as netcat\n", p.stdout)
        watcher.close()


class ChatTerminalTest(unittest.TestCase):
    """The interactive client in a real terminal (tmux), typed into as a person types."""

    def client(self):
        self.srv = Server(self, "tcpchat-server")
        t = Tmux(self, [tool("tcpchat-client"), "-p", str(self.srv.port), "-n", "typist"])
        t.wait(r"you are now known as typist")
        other = Peer(self.srv.port)
        self.addCleanup(other.close)
        return t, other

    def leave(self, t, other):
        t.keys("C-c")
        other.expect(rb"^\*\*\* typist left$")
        self.assertEqual(t.wait_exit(), 0)

    def test_incoming_line_keeps_half_typed_input(self):
        t, other = self.client()
        t.type("half typed 你好吗")
        t.keys("BSpace")
        t.wait(r"^> half typed 你好$")
        other.send("an incoming message")
        t.wait(r"\d\d:\d\d guest\d+: an incoming message")
        t.wait_last_line("> half typed 你好")  # the typed text, intact, below it
        t.keys("Enter")
        other.expect("^typist: half typed 你好$".encode())
        self.leave(t, other)

    def test_pasted_line_over_the_limit_is_refused_visibly_and_nothing_sent(self):
        # 1,400 x 长 is 4,200 bytes, over the 4,096 a line may have. Once the
        # client cut it to 1,365 长 + U+FFFD and sent that without a word.
        t, other = self.client()
        t.type("长" * 1400)
        t.wait(r"line too long \(over 4096 bytes\): it will not be sent")
        t.keys("Enter")
        t.wait(r"line too long \(4200 bytes, over 4096\): not sent")
        t.type("短的一行")
        t.keys("Enter")
        other.expect("^typist: 短的一行$".encode())
        self.assertFalse([l for l in other.seen if "长".encode() in l], other.seen)
        self.assertNotIn("长", t.screen())  # not even on the prompt row any more
        self.leave(t, other)

    def test_arrows_home_end_and_history(self):
        t, other = self.client()
        t.type("世界")
        t.keys("Home")
        t.type("你好，")
        t.keys("End")
        t.type("!")
        t.keys("Left", "Left")  # over "!" and "界": the cursor sits before 界
        t.wait(r"^> 你好，世界!$")
        self.assertEqual(t.cursor_x(), 2 + 2 * 4)  # "> " then four wide characters
        t.keys("BSpace")  # takes 世, whole
        t.keys("C-e")
        t.type("?")
        t.keys("C-a", "DC")  # Delete takes 你, whole
        t.keys("Enter")
        other.expect("^typist: 好，界!\\?$".encode())
        t.type("second line")
        t.keys("Enter")
        other.expect(rb"^typist: second line$")
        t.type("half typed")
        t.keys("Up", "Up")
        t.wait(r"^> 好，界!\?$")
        t.keys("Down")
        t.wait(r"^> second line$")
        t.keys("Down")  # past the newest: the half-typed line comes back
        t.wait(r"^> half typed$")
        t.keys("C-u", "Up", "Up", "Enter")  # a recalled line goes out again
        other.expect("^typist: 好，界!\\?$".encode())
        self.leave(t, other)


if __name__ == "__main__":
    unittest.main()
