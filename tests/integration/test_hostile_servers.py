"""What a class does to a server, for every server at once: more clients than the
host can carry, connections that never speak or fall silent, refusals that must
arrive although the client is still talking. (sl_server: cap, lingering refusal,
hello and idle limits; ftsend's answer timeout.)"""
# labels: threaded
import os
import resource
import socket
import tempfile
import threading
import time
import unittest

from socklab_test import Server, connect, recv_exactly, recv_until_eof, run

FT_HELLO = b"SLFT\x02\x00\x00\x00"  # protocol version 2


def limit_fds(n):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


class DefaultCapTest(unittest.TestCase):
    def test_echo_cap_is_derived_from_the_descriptor_limit(self):
        # 40 descriptors, half kept for the server's own: 20 clients, the 21st is
        # refused at once instead of waiting in the backlog for a descriptor.
        srv = Server(self, "tcpecho-server", "-4", "-b", "127.0.0.1", "-v",
                     preexec_fn=limit_fds(40))
        srv.wait_stderr(r"at most 20 clients at once")
        socks = [connect(srv.port) for _ in range(20)]
        try:
            for s in socks:  # every one of them is served
                s.sendall(b"x")
                self.assertEqual(recv_exactly(s, 1), b"x")
            extra = connect(srv.port)
            self.assertEqual(recv_until_eof(extra), b"")
            extra.close()
            srv.wait_stderr(r"refused: --max-clients 20 reached")
        finally:
            for s in socks:
                s.close()
        self.assertEqual(srv.stop(), 0)

    def test_chat_cap_counts_one_thread_per_client(self):
        srv = Server(self, "tcpchat-server", "-4", "-b", "127.0.0.1", "-v")
        cap = int(srv.wait_stderr(r"at most (\d+) clients at once").group(1))
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
        with open("/proc/sys/kernel/threads-max") as f:
            threads_max = int(f.read())
        # One thread a client (writes need none of their own), half of the
        # machine's tasks left to everyone else: a flood of clients can no
        # longer make fork() fail for every program.
        self.assertLessEqual(cap, min(pid_max, threads_max) // 2)
        self.assertGreater(cap, 100)
        self.assertEqual(srv.stop(), 0)


class RefusalArrivesTest(unittest.TestCase):
    def test_server_full_line_reaches_a_client_that_already_talks(self):
        # The refused client has sent a line the server never reads: a plain
        # close would answer with a reset that can destroy the refusal line.
        srv = Server(self, "tcpchat-server", "--max-clients", "1")
        first = connect(srv.port)
        recv_exactly(first, 10)  # its welcome has started
        for _ in range(20):
            c = connect(srv.port)
            c.sendall("你好, anyone there?\n".encode() * 50)
            self.assertEqual(recv_until_eof(c), b"!!! server full (1 clients), try again later\n")
            c.close()
        first.close()
        self.assertEqual(srv.stop(), 0)

    def test_ftrecv_says_busy_and_ftsend_reports_it(self):
        with tempfile.TemporaryDirectory() as inbox, tempfile.TemporaryDirectory() as src:
            srv = Server(self, "ftrecv", "-d", inbox, "--max-clients", "1", "-v")
            holder = connect(srv.port)
            holder.sendall(FT_HELLO)
            self.assertEqual(recv_exactly(holder, 8), FT_HELLO)  # served: the one slot is taken
            path = os.path.join(src, "作业.c")
            with open(path, "wb") as f:
                f.write(b"int main(void) { return 0; }\n")
            p = run(self, "ftsend", "-p", str(srv.port), "127.0.0.1", path, check_rc=1)
            self.assertIn("busy", p.stderr.decode())
            self.assertEqual(os.listdir(inbox), [".ftrecv.log"])  # and nothing stored
            holder.close()
            for _ in range(100):  # the slot comes free once its thread has ended
                p = run(self, "ftsend", "-q", "-p", str(srv.port), "127.0.0.1", path)
                if p.returncode == 0:
                    break
                time.sleep(0.05)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            with open(os.path.join(inbox, "作业.c"), "rb") as f:
                self.assertEqual(f.read(), b"int main(void) { return 0; }\n")
            self.assertEqual(srv.stop(), 0)


class SilentConnectionsTest(unittest.TestCase):
    def test_ftrecv_drops_a_connection_that_never_says_hello(self):
        with tempfile.TemporaryDirectory() as inbox:
            srv = Server(self, "ftrecv", "-d", inbox, "--timeout", "1")
            s = connect(srv.port)
            start = time.monotonic()
            self.assertEqual(recv_until_eof(s), b"")
            took = time.monotonic() - start
            self.assertGreater(took, 0.8)
            self.assertLess(took, 5)
            s.close()
            self.assertEqual(srv.stop(), 0)

    def test_ftrecv_drops_a_sender_that_falls_silent(self):
        with tempfile.TemporaryDirectory() as inbox:
            srv = Server(self, "ftrecv", "-d", inbox, "--timeout", "1")
            s = connect(srv.port)
            s.sendall(FT_HELLO)
            self.assertEqual(recv_exactly(s, 8), FT_HELLO)
            s.sendall(b"\x01\x00")  # half a header, then nothing
            start = time.monotonic()
            recv_until_eof(s)
            self.assertLess(time.monotonic() - start, 5)
            s.close()
            srv.wait_stderr(r"timed out")
            # Others are served all along.
            with connect(srv.port) as t:
                t.sendall(FT_HELLO)
                self.assertEqual(recv_exactly(t, 8), FT_HELLO)
            self.assertEqual(srv.stop(), 0)

    def test_many_silent_connections_do_not_hold_the_receiver(self):
        with tempfile.TemporaryDirectory() as inbox, tempfile.TemporaryDirectory() as src:
            srv = Server(self, "ftrecv", "-d", inbox, "--timeout", "1", "--max-clients", "50")
            silent = [connect(srv.port) for _ in range(50)]
            path = os.path.join(src, "lab.txt")
            with open(path, "wb") as f:
                f.write(b"x" * 1000)
            try:
                # Within a few seconds the silent ones are gone and a real sender gets in.
                deadline = time.monotonic() + 10
                while True:
                    p = run(self, "ftsend", "-q", "-p", str(srv.port), "127.0.0.1", path)
                    if p.returncode == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                self.assertEqual(p.returncode, 0, p.stderr.decode())
            finally:
                for s in silent:
                    s.close()
            self.assertEqual(srv.stop(), 0)

    def test_ftsend_gives_up_on_a_receiver_that_never_answers(self):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(4)
        port = lsock.getsockname()[1]
        held = []
        accepter = threading.Thread(target=lambda: held.append(lsock.accept()[0]), daemon=True)
        accepter.start()
        with tempfile.TemporaryDirectory() as src:
            path = os.path.join(src, "a.txt")
            with open(path, "wb") as f:
                f.write(b"a")
            start = time.monotonic()
            p = run(self, "ftsend", "-w", "1", "-p", str(port), "127.0.0.1", path, check_rc=1)
            took = time.monotonic() - start
        self.assertIn("timed out", p.stderr.decode())
        self.assertLess(took, 5)
        accepter.join(5)
        for s in held:
            s.close()
        lsock.close()


if __name__ == "__main__":
    unittest.main()
