"""The Windows tools under Wine, part two: the console (the line editor of
tcpchat-client.exe and --step, in a real terminal: Wine's console reads a
Unix tty in tmux and hands the program ReadConsoleInputW key events),
udppeer's probe modes with a Linux udppeer both ways (UDP and TCP runs),
tcpecho-client --bench, and a client that resets before the Windows server
accepts it.

What Wine cannot show: its console draws the program's screen on the tty
itself, and it redraws a row it was told to rewrite ("\r", ESC [K, the line
again) wrongly - stale or shifted cells, a prompt row left blank, the more
so with CJK text. So the editor's rows are not compared here (a real
Windows console, or the Linux client in test_tcpchat.py, draws them); what
the keys did is checked where it lands: the lines a Linux chat peer gets.
Wine's tty console also gives Home and End (ESC [ 1 ~ / ESC [ 4 ~ from
tmux) no virtual-key code, so the tests use Ctrl-A/Ctrl-E for them.

The .exe files come from $SOCKLAB_WINDOWS_BIN or build/windows/bin; the
Linux ones from $SOCKLAB_BIN. Skipped, with the reason, when either is
missing or wine64 is not installed (wine_test.py sets Wine up).
"""
# labels: windows
import os
import re
import signal
import socket
import struct
import subprocess
import time
import unittest

from socklab_test import Server, Tmux, tool
from test_tcpchat import Peer

from wine_test import WINE, WineServer, exe, start_wine, stop_wine, wine_env


def setUpModule():
    start_wine()


def tearDownModule():
    stop_wine()


RESULT = re.compile(r"receiver(?: \(TCP\))?: sent (\d+) = received (\d+) \+ lost (\d+) "
                    r"\(([\d.]+)%\); duplicates (\d+), out of order (\d+); jitter ([\d.]+) ms; "
                    r"(\d+) datagrams/s")


def wine_tmux(testcase, name, *args):
    """NAME.exe under Wine in a tmux pane: stdin and stdout a Unix tty, which
    Wine turns into a console."""
    env = {k: v for k, v in wine_env().items() if k.startswith("WINE")}
    return Tmux(testcase, [WINE, exe(name), *args], env=env)


class WindowsChatConsole(unittest.TestCase):
    """tcpchat-client.exe typed into in a terminal, a Linux chat server and
    a Linux peer: raw console mode, key events -> UTF-8 (console_keys.c),
    the shared line editor."""

    def client(self):
        self.srv = Server(self, "tcpchat-server")
        t = wine_tmux(self, "tcpchat-client", "-p", str(self.srv.port), "-n", "typist",
                      "127.0.0.1")
        t.wait(r"you are now known as typist", timeout=60)
        other = Peer(self.srv.port)
        self.addCleanup(other.sock.close)
        return t, other

    def test_typed_chinese_reaches_a_linux_peer_intact(self):
        t, other = self.client()
        t.type("你好，世界")
        t.keys("Left", "Left")  # whole characters: the cursor sits before 世
        t.type("中")
        t.keys("Enter")
        other.expect("^typist: 你好，中世界$".encode(), timeout=30)
        # Beyond the BMP: Windows hands 😀 over as two key events (its
        # surrogates), and 𠀀 (U+20000, CJK Extension B) too.
        t.type("表情😀𠀀")
        t.keys("BSpace")  # takes 𠀀 whole, both surrogates
        t.keys("Enter")
        other.expect("^typist: 表情😀$".encode(), timeout=30)

    def test_incoming_line_keeps_the_half_typed_line(self):
        t, other = self.client()
        t.type("半句话 half")
        time.sleep(1)  # the keys are in the editor before the line comes
        other.send("来自 Linux 的消息")
        t.wait(r"guest\d+: 来自 Linux 的消息", timeout=30)
        t.type("，后半句")
        t.keys("Enter")
        other.expect("^typist: 半句话 half，后半句$".encode(), timeout=30)

    def leaves_cleanly(self, key):
        t, other = self.client()
        t.type("不发送")
        t.keys("C-u", key)
        other.expect(rb"^\*\*\* typist left$", timeout=30)
        self.assertEqual(t.wait_exit(timeout=30), 0)
        self.assertFalse([l for l in other.seen if "不发送".encode() in l], other.seen)

    def test_ctrl_d_on_an_empty_line_leaves(self):
        self.leaves_cleanly("C-d")  # Ctrl-U emptied the line: end of input

    def test_ctrl_c_is_the_stop_request(self):
        """Ctrl-C: a key (0x03) on a Windows console without processed
        input; Wine's tty console raises it as CTRL_C_EVENT instead, which
        the stop watcher (SetConsoleCtrlHandler) turns into leaving. Either
        way: a goodbye, exit 0, the half-typed line not sent."""
        self.leaves_cleanly("C-c")


class WindowsUdppeerConsole(unittest.TestCase):
    def test_typed_chinese_reaches_a_linux_peer(self):
        """udppeer.exe typed into: its poll loop reads the editor's keys
        (sl_term_keys_fd, a socket on Windows) next to the UDP socket."""
        lin = subprocess.Popen([tool("udppeer"), "-p", "0", "--raw"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            m = re.search(rb":(\d+)\s*$", lin.stderr.readline())
            self.assertIsNotNone(m)
            t = wine_tmux(self, "udppeer", "-p", "0", "127.0.0.1", m.group(1).decode())
            t.wait(r"^listening on ", timeout=60)  # (Wine leaves the prompt row blank)
            time.sleep(1)
            t.type("你好 udp")
            # Ctrl-A/Ctrl-E: Wine's tty console gives Home and End no key code.
            t.keys("C-a")
            t.type("【")
            t.keys("C-e")
            t.type("😀")
            t.keys("Enter")
            self.assertEqual(lin.stdout.readline(), "【你好 udp😀\n".encode())
            t.keys("C-d")
            self.assertEqual(t.wait_exit(timeout=30), 0)
        finally:
            lin.terminate()
            lin.communicate(timeout=15)


class WindowsStepConsole(unittest.TestCase):
    def test_step_waits_for_enter_on_the_console(self):
        """tcpecho-server.exe --step in a terminal: each pause ends with
        Enter (a key event), and only then does the step happen."""
        t = wine_tmux(self, "tcpecho-server", "--step", "--trace", "-p", "0", "-4")
        t.wait(r"^--step: next \[1/9\] protocol version: press Enter", timeout=60)
        time.sleep(1)
        self.assertNotIn("WSAStartup", t.screen())  # paused before the step
        t.type("x")  # not Enter: no step
        time.sleep(1)
        self.assertNotIn("WSAStartup", t.screen())
        t.keys("Enter")
        t.wait(r"^\[1/9\] WSAStartup\(2\.2\) = 0: Winsock version 2\.2", timeout=30)
        t.wait(r"^--step: next \[2/9\] socket: press Enter", timeout=30)
        time.sleep(1)
        self.assertNotRegex(t.screen(), r"(?m)^\[2/9\]")  # one Enter, one step
        t.keys("Enter")
        t.wait(r"^\[2/9\] socket", timeout=30)
        t.wait(r"^--step: next \[3/9\]", timeout=30)


class WindowsProbe(unittest.TestCase):
    """udppeer --probe / --probe-listen: udppeer.exe (send()/recvfrom()
    loops, no SO_MEMINFO) against the Linux one (sendmmsg/recvmmsg)."""

    def figures(self, text, count):
        """The result line's figures, checked to be sane for COUNT sent."""
        m = RESULT.search(text)
        self.assertIsNotNone(m, text)
        sent, received, lost, pct, dups, reordered, jitter, rate = m.groups()
        self.assertEqual(int(sent), count)
        self.assertEqual(int(received) + int(lost), count)
        self.assertAlmostEqual(float(pct), 100.0 * int(lost) / count, places=1)
        self.assertEqual(int(dups), 0)  # nothing on loopback duplicates
        self.assertGreater(int(rate), 0)
        self.assertLess(float(jitter), 1000.0)
        return int(received), int(lost), int(reordered)

    def receiver(self, argv0, env=None):
        """udppeer --probe-listen --once (ARGV0: the Linux tool or Wine and
        the .exe); its port from its first stderr line, the bound address."""
        rx = subprocess.Popen([*argv0, "--probe-listen", "-p", "0", "--once", "--interval", "0"],
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        m = re.search(rb":(\d+)\s*$", rx.stderr.readline())
        self.assertIsNotNone(m)
        return rx, m.group(1).decode()

    def linux_receiver(self):
        return self.receiver([tool("udppeer")])

    def windows_receiver(self):
        return self.receiver([WINE, exe("udppeer")], wine_env())

    @staticmethod
    def finish(rx):
        """The receiver's output once it ended (--once); killed after 60 s
        (its returncode then says so), so the sender's failure still shows."""
        try:
            out, err = rx.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            rx.kill()
            out, err = rx.communicate()
        return out.decode(), err.decode("utf-8", "replace")

    @staticmethod
    def run_sender(argv0, port, *args, env=None):
        return subprocess.run([*argv0, "--probe", *args, "--wait", "10", "127.0.0.1", port],
                              env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=120)

    def run_windows_sender(self, port, *args):
        return self.run_sender([WINE, exe("udppeer")], port, *args, env=wine_env())

    def run_linux_sender(self, port, *args):
        return self.run_sender([tool("udppeer")], port, *args)

    def test_windows_sender_linux_receiver_udp(self):
        rx, port = self.linux_receiver()
        try:
            p = self.run_windows_sender(port, "-n", "2000", "--rate", "max")
        finally:
            out, err = self.finish(rx)
        self.assertEqual(p.returncode, 0, p.stderr)
        sent_line = p.stdout.decode()
        self.assertRegex(sent_line, r"sender: sent 2000 datagrams of 64 bytes")
        # Both sides print the same figures: the REPORT came back intact.
        mine = self.figures(sent_line, 2000)
        self.assertEqual(mine, self.figures(out, 2000))
        self.assertEqual(rx.returncode, 0, err + out)
        # On loopback every loss is the Linux receiver's full buffer, which
        # its kernel counts (SO_MEMINFO), lost ENDs included.
        dropped = re.search(r"the kernel dropped (\d+) datagrams", out)
        ends = re.search(r"note: (\d+) earlier END datagrams? of this run", out)
        self.assertEqual(mine[1] + (int(ends.group(1)) if ends else 0),
                         int(dropped.group(1)) if dropped else 0, out)

    def test_linux_sender_windows_receiver_udp(self):
        rx, port = self.windows_receiver()
        try:
            # Wine's receive path is slow (every recvfrom goes through the
            # wineserver): a paced run, which it keeps up with.
            p = self.run_linux_sender(port, "-n", "500", "--rate", "1000")
        finally:
            out, err = self.finish(rx)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rx.returncode, 0, err + out)
        self.assertIn("run ", out)
        received, lost, _ = self.figures(out, 500)
        self.assertEqual(self.figures(p.stdout.decode(), 500), self.figures(out, 500))
        # Most arrive; a loaded machine can stall Wine long enough for its
        # (Linux) receive buffer to overflow, which nothing counts here.
        self.assertGreaterEqual(received, 100, out)
        # No SO_MEMINFO: the receiver says the drop figure is unavailable.
        self.assertIn("note: kernel drops unavailable", out)
        self.assertNotIn("the kernel dropped", out)

    def test_windows_sender_linux_receiver_tcp(self):
        rx, port = self.linux_receiver()
        try:
            p = self.run_windows_sender(port, "--tcp", "-n", "2000", "--rate", "max")
        finally:
            out, err = self.finish(rx)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("sender: sent 2000 records of 64 bytes over TCP", p.stdout.decode())
        self.assertIn("receiver (TCP): sent 2000 = received 2000 + lost 0", out)
        self.assertEqual(self.figures(p.stdout.decode(), 2000)[:2], (2000, 0))

    def test_linux_sender_windows_receiver_tcp(self):
        rx, port = self.windows_receiver()
        try:
            p = self.run_linux_sender(port, "--tcp", "-n", "2000", "--rate", "max")
        finally:
            out, err = self.finish(rx)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rx.returncode, 0, err + out)
        self.assertIn("receiver (TCP): sent 2000 = received 2000 + lost 0", out)
        self.assertEqual(self.figures(out, 2000)[:2], (2000, 0))
        self.assertNotIn("TCP run:", err)  # no run failed on the Windows side


    def test_windows_sender_to_a_closed_port_says_port_unreachable(self):
        """Winsock reports an ICMP port unreachable on a connected UDP socket
        as WSAECONNRESET (on send and recv): the probe says it as on Linux."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            port = str(s.getsockname()[1])
        # Nothing listens there now.
        p = self.run_windows_sender(port, "-n", "10", "--rate", "1000")
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 1, err)
        self.assertIn(f"no receiver at 127.0.0.1:{port}: port unreachable (ICMP)", err)


class WindowsEchoBench(unittest.TestCase):
    def test_bench_against_a_linux_server(self):
        """--bench sends without waiting (the layer's sl_socket_send_nowait:
        FIONBIO for the call, as Winsock has no MSG_DONTWAIT). A 12 MiB
        message is more than the socket buffers hold: a blocking send()
        never returns while the server's echo waits for us to read it (the
        old code hung here). Then the small-message case, 2 connections."""
        srv = subprocess.Popen([tool("tcpecho-server"), "-p", "0"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            m = re.search(rb"listening on \S+:(\d+)", srv.stderr.readline())
            self.assertIsNotNone(m)
            for conns, size, nbytes, rounds in (("1", "12M", 12 << 20, 1), ("2", "32", 32, 50)):
                p = subprocess.run([WINE, exe("tcpecho-client"), "-p", m.group(1).decode(),
                                    "--bench", "-c", conns, "-s", size, "-n", str(rounds),
                                    "127.0.0.1"], env=wine_env(), stdin=subprocess.DEVNULL,
                                   capture_output=True, timeout=90)
                self.assertEqual(p.returncode, 0, p.stderr)
                out = p.stdout.decode()
                self.assertIn(f"connections:   {conns}\n", out)
                self.assertIn(f"message size:  {nbytes} bytes", out)
                self.assertRegex(out, rf"round trips:   {int(conns) * rounds} in ")
        finally:
            srv.terminate()
            srv.communicate(timeout=15)


class WindowsAcceptReset(unittest.TestCase):
    def test_client_reset_before_accept_is_not_an_error(self):
        """Clients that reset before the server accepts them: Linux's accept
        says ECONNABORTED, Windows' WSAECONNRESET, Wine's WSAENOTCONN
        (10057). The accept loop retries quietly (the old code logged
        "accept: Transport endpoint is not connected") and serves the next."""
        srv = WineServer("tcpecho-server", "-4")
        try:
            # Stopped, the server cannot accept: the resets surely come first.
            os.kill(srv.proc.pid, signal.SIGSTOP)
            try:
                for _ in range(3):
                    c = socket.create_connection(("127.0.0.1", int(srv.port)), timeout=10)
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    c.close()  # RST
                time.sleep(0.3)
            finally:
                os.kill(srv.proc.pid, signal.SIGCONT)
            with socket.create_connection(("127.0.0.1", int(srv.port)), timeout=30) as c:
                c.sendall("你好\n".encode())
                self.assertEqual(c.recv(100), "你好\n".encode())
        finally:
            rc = srv.stop()
        err = srv.stderr().decode("utf-8", "replace")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("accept", err)


if __name__ == "__main__":
    unittest.main()
