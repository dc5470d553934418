"""--step and tcpstate together: the echo server and client driven one
numbered step at a time (SIGUSR1 stands in for the student's Enter), while
`tcpstate --watch` shows each side's TCP states, for both close orders.

On loopback the ACK of a FIN comes back within microseconds, so the short
states FIN_WAIT1 and LAST_ACK are over before a 5 ms poll. The states --step
holds open are required everywhere: LISTEN, ESTABLISHED, FIN_WAIT2 and
TIME_WAIT on the side that closes first, CLOSE_WAIT on the other. LAST_ACK
is required in a network namespace of our own (unshare -rn) where an
nftables rule drops the final ACK, as a lossy network would: the passive
side then waits in LAST_ACK and retransmits its FIN until the rule goes.
"""
# labels: threaded
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from socklab_test import Drained, check_sanitizers, tool
from test_tcpstate import Watcher

PROMPT = re.compile(r"^--step: next \[(\d+)/(\d+)\] ([a-z ]+): press Enter", re.M)


class Stepped(Drained):
    """A program run with --step --trace; releases its pauses one by one."""

    def __init__(self, testcase, name, *args, stdin=subprocess.DEVNULL):
        self.testcase, self.name = testcase, name
        self.released = 0
        super().__init__([tool(name), "--step", "--trace", *args], stdin=stdin)
        testcase.addCleanup(self.kill)

    def _usr1_pending(self):
        # SIGUSR1 is blocked in every thread and waits in the process's
        # shared pending set until a pause takes it. Two sent before one is
        # taken would merge into one: so never send while one is pending.
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("ShdPnd:"):
                        return int(line.split()[1], 16) & (1 << (signal.SIGUSR1 - 1))
        except FileNotFoundError:
            pass
        return False

    def _release_one(self):
        deadline = time.monotonic() + 10
        while self._usr1_pending() and time.monotonic() < deadline:
            time.sleep(0.002)
        self.proc.send_signal(signal.SIGUSR1)
        self.released += 1

    def prompts(self):
        return [(int(n), name) for n, _, name in PROMPT.findall(self.stderr)]

    def release_until(self, step_name, count=1, timeout=10.0):
        """Releases every pause until the COUNT-th pause before STEP_NAME is
        reached; that one is held (not released)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = self.prompts()
            seen = [i for i, (_, name) in enumerate(p) if name == step_name]
            if len(seen) >= count and self.released >= seen[count - 1]:
                return
            if self.released < len(p):
                # One signal per printed pause: none is ever left pending.
                self._release_one()
            time.sleep(0.02)
        self.testcase.fail(f"{self.name}: never paused before {step_name!r}:\n{self.stderr}")

    def release_all(self):
        while self.released < len(self.prompts()):
            self._release_one()

    def finish(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.release_all()
            time.sleep(0.02)
        self.testcase.assertIsNotNone(self.proc.poll(), f"{self.name} did not exit")
        self.read_to_end()
        check_sanitizers(self.testcase, self.stderr, self.name)
        return self.proc.returncode

    def kill(self):
        self.reap()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nft(*args):
    subprocess.run(["nft", *args], check=True, capture_output=True, timeout=10)


class StepAndStates(unittest.TestCase):
    # True inside the namespace: the final ACK is dropped, LAST_ACK required.
    DROP_FINAL_ACK = False

    def drop_acks_from(self, addr):
        """Drops pure ACKs sent from ADDR (the side that closed first)."""
        if self.DROP_FINAL_ACK:
            port = addr.rsplit(":", 1)[1]
            nft("add", "table", "inet", "lab")
            nft("add chain inet lab out { type filter hook output priority 0; }")
            nft("add", "rule", "inet", "lab", "out", "tcp", "sport", port, "tcp", "flags",
                "==", "ack", "drop")

    def let_acks_through(self, w, passive):
        if self.DROP_FINAL_ACK:
            w.wait_state(*passive, "LAST_ACK")
            nft("delete", "table", "inet", "lab")
            # The passive side's FIN, sent again, is now acknowledged.
            w.wait_state(*passive, "(gone)", timeout=10)

    def start(self):
        port = free_port()
        srv_addr = f"127.0.0.1:{port}"
        w = Watcher(self, "-4", "-p", str(port))
        srv = Stepped(self, "tcpecho-server", "-b", "127.0.0.1", "-p", str(port))
        srv.release_until("accept")
        self.assertIn(f"listening on {srv_addr}", srv.stderr)
        self.assertIn("[5/9] listen backlog", srv.stderr)
        w.wait_state(srv_addr, "0.0.0.0:0", "LISTEN")
        srv.release_all()  # into accept()
        cli = Stepped(self, "tcpecho-client", "-p", str(port), "127.0.0.1",
                      stdin=subprocess.PIPE)
        cli.release_until("communicate")
        m = re.search(r"\[4/7\] connect \S+ from (\S+)  state ESTABLISHED", cli.stderr)
        self.assertIsNotNone(m, cli.stderr)
        cli_addr = m.group(1)
        w.wait_state(cli_addr, srv_addr, "ESTABLISHED")
        w.wait_state(srv_addr, cli_addr, "ESTABLISHED")
        srv.release_until("communicate")
        return w, srv, cli, srv_addr, cli_addr

    def test_client_closes_first(self):
        w, srv, cli, srv_addr, cli_addr = self.start()
        srv.release_all()
        cli.release_all()
        cli.proc.stdin.write(b"hello\n")
        cli.proc.stdin.close()  # end of input: the client sends FIN first
        srv.release_until("close")  # held: the server sits in CLOSE_WAIT
        w.wait_state(srv_addr, cli_addr, "CLOSE_WAIT")
        w.wait_state(cli_addr, srv_addr, "FIN_WAIT2")
        time.sleep(0.1)
        self.assertTrue(w.changes(srv_addr, cli_addr)[-1][1] == "CLOSE_WAIT")  # still held
        self.drop_acks_from(cli_addr)
        srv.release_all()
        w.wait_state(cli_addr, srv_addr, "TIME_WAIT")
        self.let_acks_through(w, (srv_addr, cli_addr))
        if self.DROP_FINAL_ACK:
            self.assertRegex(srv.stderr, r"\[8/9\] close fd \d+ \(\S+\)  state LAST_ACK")
        self.assertEqual(cli.finish(), 0)
        self.assertEqual(cli.stdout, b"hello\n")
        self.assertRegex(srv.stderr, r"\[7/9\] communicate fd \d+: echoed 6 bytes  state CLOSE_WAIT")
        self.assert_sequences(w, active=(cli_addr, srv_addr), passive=(srv_addr, cli_addr))
        srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(srv.finish(), 0)
        self.assertEqual(w.stop(), 0)

    def test_server_closes_first(self):
        w, srv, cli, srv_addr, cli_addr = self.start()
        srv.release_all()
        cli.release_all()
        cli.proc.stdin.write(b"hi\n")
        cli.proc.stdin.flush()
        # SIGTERM: the server shuts every connection down (its FIN first).
        time.sleep(0.2)
        srv.proc.send_signal(signal.SIGTERM)
        cli.release_until("close")  # held: the client sits in CLOSE_WAIT
        w.wait_state(cli_addr, srv_addr, "CLOSE_WAIT")
        w.wait_state(srv_addr, cli_addr, "FIN_WAIT2")
        self.drop_acks_from(srv_addr)
        cli.release_all()
        w.wait_state(srv_addr, cli_addr, "TIME_WAIT")
        self.let_acks_through(w, (cli_addr, srv_addr))
        if self.DROP_FINAL_ACK:
            self.assertRegex(cli.stderr, r"\[6/7\] close fd \d+  state LAST_ACK")
        # The server went away before our input ended: that is an error.
        self.assertEqual(cli.finish(), 1, cli.stderr)
        self.assertIn("tcpecho-client: ", cli.stderr)
        self.assertEqual(srv.finish(), 0)
        self.assert_sequences(w, active=(srv_addr, cli_addr), passive=(cli_addr, srv_addr))
        self.assertEqual(w.stop(), 0)

    def assert_sequences(self, w, active, passive):
        def path(conn):
            ch = w.changes(*conn)
            return [ch[0][0]] + [new for _, new in ch] if ch else []
        # Handshake states and FIN_WAIT1 last microseconds: seen at times.
        fleeting = ("SYN_SENT", "SYN_RECV", "FIN_WAIT1")
        a = [s for s in path(active) if s not in fleeting]
        p = [s for s in path(passive) if s not in fleeting]
        # The side that closes first: through FIN_WAIT2 to TIME_WAIT.
        self.assertEqual(a[:4],
                         ["(new)", "ESTABLISHED", "FIN_WAIT2", "TIME_WAIT"], "\n".join(w.lines))
        # The other side: CLOSE_WAIT, then LAST_ACK (if caught), then gone.
        if self.DROP_FINAL_ACK:
            self.assertEqual(p[:5], ["(new)", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "(gone)"],
                             "\n".join(w.lines))
        else:
            self.assertEqual([s for s in p if s != "LAST_ACK"][:3],
                             ["(new)", "ESTABLISHED", "CLOSE_WAIT"], "\n".join(w.lines))


class LostFinalAck(StepAndStates):
    """Run by NamespaceLastAck inside `unshare -rn`, never directly."""
    DROP_FINAL_ACK = True


class NamespaceLastAck(unittest.TestCase):
    def test_last_ack_held_by_a_lost_ack_in_both_close_orders(self):
        for cmd in ("unshare", "ip", "nft"):
            if not shutil.which(cmd):
                self.skipTest(f"{cmd} missing")
        if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
            self.skipTest("unshare -rn not permitted here")
        p = subprocess.run(["unshare", "-rn", sys.executable, __file__, "--in-namespace"],
                           capture_output=True, timeout=120,
                           cwd=os.path.dirname(os.path.abspath(__file__)))
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("Ran 2 tests", out)


class PauseAfterShutdown(unittest.TestCase):
    def test_cleanup_pause_waits_and_ctrl_c_then_ends_the_program(self):
        # ftrecv --once --step: after the one sender, the shutdown watcher is
        # gone before the cleanup step. Its pause must still wait (it was
        # once skipped through the stale pipe fd), and Ctrl-C must end it
        # (it was blocked with nobody to take it); the exit status stays
        # the transfer's.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "note.txt"), "wb") as f:
                f.write("笔记\n".encode())
            os.mkdir(os.path.join(d, "in"))
            port = str(free_port())
            rx = Stepped(self, "ftrecv", "--once", "-p", port, "-b", "127.0.0.1", "-d",
                         os.path.join(d, "in"))
            rx.release_until("accept")
            tx = subprocess.Popen([tool("ftsend"), "-q", "-p", port, "127.0.0.1",
                                   os.path.join(d, "note.txt")], stderr=subprocess.PIPE)
            rx.release_until("cleanup")
            _, err = tx.communicate(timeout=10)
            self.assertEqual(tx.returncode, 0, err)
            time.sleep(0.3)
            self.assertIsNone(rx.proc.poll(), f"the cleanup pause did not wait:\n{rx.stderr}")
            rx.proc.send_signal(signal.SIGINT)
            self.assertEqual(rx.proc.wait(10), 0, rx.stderr)
            with open(os.path.join(d, "in", "note.txt"), "rb") as f:
                self.assertEqual(f.read(), "笔记\n".encode())


def load_tests(loader, tests, pattern):
    # LostFinalAck needs the namespace: only NamespaceLastAck runs it.
    suite = unittest.TestSuite()
    for case in (StepAndStates, NamespaceLastAck, PauseAfterShutdown):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    if sys.argv[1:] == ["--in-namespace"]:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(LostFinalAck)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        sys.exit(0 if result.wasSuccessful() else 1)
    unittest.main()
