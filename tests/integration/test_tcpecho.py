"""tcpecho-server and tcpecho-client, end to end on loopback."""
# labels: threaded
import os
import re
import resource
import signal
import shutil
import socket
import struct
import subprocess
import threading
import time
import unittest

from socklab_test import Server, connect, recv_exactly, recv_until_eof, run, stop_process, tool


class EchoServerTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, "tcpecho-server")

    def echo(self, payload, host="127.0.0.1"):
        with connect(self.srv.port, host) as s:
            # Send from a thread: a big payload must flow both ways at once.
            t = threading.Thread(target=lambda: (s.sendall(payload), s.shutdown(socket.SHUT_WR)))
            t.start()
            back = recv_until_eof(s)
            t.join()
        return back

    def test_text(self):
        self.assertEqual(self.echo("hello, 你好\n".encode()), "hello, 你好\n".encode())

    def test_all_byte_values(self):
        payload = bytes(range(256)) * 4
        self.assertEqual(self.echo(payload), payload)

    def test_ten_mebibytes(self):
        payload = os.urandom(10 << 20)
        self.assertEqual(self.echo(payload), payload)

    def test_ipv4_client_of_dual_stack_server_and_ipv6(self):
        self.assertEqual(self.echo(b"v4", "127.0.0.1"), b"v4")
        self.assertEqual(self.echo(b"v6", "::1"), b"v6")

    def test_200_concurrent_clients(self):
        socks = [connect(self.srv.port) for _ in range(200)]
        try:
            for i, s in enumerate(socks):
                s.sendall(b"client %03d\n" % i)
            for i, s in enumerate(socks):
                self.assertEqual(recv_exactly(s, 11), b"client %03d\n" % i)
        finally:
            for s in socks:
                s.close()
        self.assertEqual(self.srv.stop(), 0)

    def test_client_reset_mid_stream_does_not_stop_server(self):
        for _ in range(5):
            s = connect(self.srv.port)
            s.sendall(os.urandom(1 << 20))
            # SO_LINGER 0: close() sends RST while the echo is in flight.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.assertEqual(self.echo(b"still here"), b"still here")
        self.assertTrue(self.srv.alive())

    def test_client_vanishes_without_reading(self):
        # The server's send fails with EPIPE/ECONNRESET, never SIGPIPE.
        for _ in range(3):
            s = connect(self.srv.port)
            s.sendall(os.urandom(4 << 20)[: 1 << 20])
            s.shutdown(socket.SHUT_RDWR)
            s.close()
        self.assertEqual(self.echo(b"ok"), b"ok")

    def test_sigterm_with_clients_connected_exits_zero(self):
        s = connect(self.srv.port)
        s.sendall(b"x")
        self.assertEqual(recv_exactly(s, 1), b"x")
        self.assertEqual(self.srv.stop(), 0)
        self.assertEqual(s.recv(10), b"")  # the server closed us
        s.close()


class EchoServerOptionsTest(unittest.TestCase):
    def test_ipv6_only(self):
        srv = Server(self, "tcpecho-server", "-6", "-b", "::1")
        self.assertEqual(srv.host, "[::1]")
        with connect(srv.port, "::1") as s:
            s.sendall(b"six")
            self.assertEqual(recv_exactly(s, 3), b"six")
        with self.assertRaises(OSError):
            connect(srv.port, "127.0.0.1").close()

    def test_ipv4_only(self):
        srv = Server(self, "tcpecho-server", "-4")
        self.assertEqual(srv.host, "0.0.0.0")
        with self.assertRaises(OSError):
            connect(srv.port, "::1").close()

    def test_max_clients(self):
        srv = Server(self, "tcpecho-server", "--max-clients", "2", "-v")
        a, b = connect(srv.port), connect(srv.port)
        for s in (a, b):
            s.sendall(b"in")
            self.assertEqual(recv_exactly(s, 2), b"in")
        c = connect(srv.port)
        self.assertEqual(c.recv(10), b"")  # closed at once
        c.close()
        srv.wait_stderr(r"refused: --max-clients 2 reached")
        a.close()
        srv.wait_stderr(r"left after 2 bytes \(1 clients\)")
        with connect(srv.port) as d:
            d.sendall(b"room again")
            self.assertEqual(recv_exactly(d, 10), b"room again")
        b.close()
        self.assertEqual(srv.stop(), 0)

    def test_port_in_use_is_a_clear_error(self):
        srv = Server(self, "tcpecho-server", "-4", "-b", "127.0.0.1")
        p = run(self, "tcpecho-server", "-4", "-b", "127.0.0.1", "-p", str(srv.port), check_rc=1)
        self.assertRegex(p.stderr.decode(),
                         r"^tcpecho-server: bind 127\.0\.0\.1:\d+: Address already in use\n")

    def test_trace_shows_each_recv_and_sends_merge_while_the_server_waits(self):
        # TCP keeps no message boundaries: three sends made while the server
        # is stopped come back from one recv(), which --trace shows.
        srv = Server(self, "tcpecho-server", "-4", "-b", "127.0.0.1", "--trace")
        with connect(srv.port) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(b"one\n")
            self.assertEqual(recv_exactly(s, 4), b"one\n")
            stop_process(srv.proc.pid)
            try:
                for part in (b"four\n", b"five\n", b"six\n"):
                    s.sendall(part)
                    time.sleep(0.05)
            finally:
                os.kill(srv.proc.pid, signal.SIGCONT)
            self.assertEqual(recv_exactly(s, 14), b"four\nfive\nsix\n")
            s.shutdown(socket.SHUT_WR)
            self.assertEqual(recv_until_eof(s), b"")
        srv.wait_stderr(r"\[8/9\] close fd")
        self.assertEqual(srv.stop(), 0)
        reads = re.findall(r"^\[7/9\] recv fd \d+: (\d+) bytes", srv.stderr, re.M)
        self.assertEqual(reads, ["4", "14", "0"], srv.stderr)
        self.assertRegex(srv.stderr, r"recv fd \d+: 0 bytes \(end of stream\)  state CLOSE_WAIT")
        self.assertRegex(srv.stderr, r"communicate fd \d+: echoed 18 bytes")

    def test_trace_prints_the_nine_steps(self):
        srv = Server(self, "tcpecho-server", "--trace")
        with connect(srv.port) as s:
            s.sendall(b"t")
            self.assertEqual(recv_exactly(s, 1), b"t")
        srv.wait_stderr(r"\[8/9\] close fd")
        self.assertEqual(srv.stop(), 0)
        err = srv.stderr
        for pattern in (r"\[1/9\] protocol version: POSIX sockets",
                        r"\[2/9\] socket\(AF_INET6, SOCK_STREAM\) = \d+",
                        r"\[3/9\] server address \[::\]:0",
                        r"\[4/9\] bind \[::\]:\d+", r"\[5/9\] listen backlog \d+  state LISTEN",
                        r"\[6/9\] accept -> fd \d+ from 127\.0\.0\.1:\d+",
                        r"\[7/9\] communicate fd \d+: echoed 1 bytes",
                        r"\[8/9\] close fd \d+", r"\[9/9\] cleanup"):
            self.assertRegex(err, pattern)
        self.assertEqual(err.count("listening on"), 1)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class OutOfDescriptorsTest(unittest.TestCase):
    def test_emfile_backs_off_and_recovers(self):
        # Hard limit 32: the server cannot raise it, so accept() hits EMFILE
        # (the cap derived from the limit is lifted by hand, as a teacher may).
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
        srv = Server(self, "tcpecho-server", "-4", "-b", "127.0.0.1", "--max-clients", "1000",
                     preexec_fn=limit)
        socks = [connect(srv.port) for _ in range(40)]  # the kernel queues them all
        try:
            srv.wait_stderr(r"accept: Too many open files")
            before = cpu_seconds(srv.proc.pid)
            time.sleep(1.0)
            used = cpu_seconds(srv.proc.pid) - before
            self.assertLess(used, 0.3, "the accept loop spins on EMFILE")
            # Served clients still echo while others wait in the backlog.
            socks[0].sendall(b"first")
            self.assertEqual(recv_exactly(socks[0], 5), b"first")
            for s in socks[:20]:
                s.close()
            # Descriptors are free again: the queued clients are served.
            for s in socks[-10:]:
                s.sendall(b"late")
                self.assertEqual(recv_exactly(s, 4), b"late")
        finally:
            for s in socks:
                s.close()
        self.assertEqual(srv.stop(), 0)


class CliConventionsTest(unittest.TestCase):
    def test_help_and_version(self):
        for name in ("tcpecho-server", "tcpecho-client"):
            p = run(self, name, "--help", check_rc=0)
            self.assertIn(b"Usage: " + name.encode(), p.stdout)
            self.assertEqual(p.stderr, b"")
            p = run(self, name, "-h", check_rc=0)
            self.assertIn(b"Usage:", p.stdout)
            p = run(self, name, "--version", check_rc=0)
            self.assertRegex(p.stdout.decode(), r"^%s \(socklab\) \d+\.\d+\.\d+\n$" % name)

    def test_usage_errors_exit_2(self):
        cases = [("tcpecho-server", "--bogus"), ("tcpecho-server", "-p", "65536"),
                 ("tcpecho-server", "-p", "nosuchservice"), ("tcpecho-server", "extra"),
                 ("tcpecho-server", "--max-clients", "0"), ("tcpecho-server", "-4", "-6"),
                 ("tcpecho-client", "-w", "soon"), ("tcpecho-client", "a", "b"),
                 ("tcpecho-client", "-p"), ("tcpecho-client", "--idle", "3"),
                 ("tcpecho-client", "a", "7007", "c"), ("tcpecho-client", "-p", "1", "a", "2"),
                 ("tcpecho-client", "-s", "1x"), ("tcpecho-client", "--bench", "-s", "65M")]
        for name, *args in cases:
            p = run(self, name, *args, check_rc=2)
            self.assertTrue(p.stderr.startswith(name.encode() + b": "), p.stderr)
            self.assertIn(b"--help", p.stderr)
            self.assertEqual(p.stdout, b"")


class EchoClientTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, "tcpecho-server")
        self.port = str(self.srv.port)

    def test_piped_lines(self):
        p = run(self, "tcpecho-client", "-p", self.port, input=b"a\nb\n", check_rc=0)
        self.assertEqual(p.stdout, b"a\nb\n")

    def test_binary_and_chinese_round_trip(self):
        data = bytes(range(256)) * 64 + "中文测试\n".encode() + os.urandom(1 << 20)
        p = run(self, "tcpecho-client", "-p", self.port, input=data, check_rc=0)
        self.assertEqual(p.stdout, data)

    def test_ten_mebibytes_piped(self):
        data = os.urandom(10 << 20)
        p = run(self, "tcpecho-client", "-p", self.port, "::1", input=data, check_rc=0)
        self.assertEqual(p.stdout, data)

    def test_empty_input(self):
        p = run(self, "tcpecho-client", "-p", self.port, "127.0.0.1", check_rc=0)
        self.assertEqual(p.stdout, b"")

    def test_trace_prints_the_seven_steps(self):
        p = run(self, "tcpecho-client", "--trace", "-p", self.port, input=b"x", check_rc=0)
        err = p.stderr.decode()
        for n, word in enumerate(("protocol version", "socket", "server address", "connect",
                                  "communicate", "close", "cleanup"), start=1):
            self.assertRegex(err, r"\[%d/7\] %s" % (n, word))
        # localhost is 127.0.0.1, or ::1 first where /etc/hosts lists both.
        self.assertRegex(err, r"\[4/7\] connect (127\.0\.0\.1|\[::1\]):%s from .*state ESTABLISHED"
                         % self.port)

    def test_host_and_port_as_nc_takes_them(self):
        for host in ("127.0.0.1", "::1", "localhost"):
            p = run(self, "tcpecho-client", host, self.port, input=b"operands\n", check_rc=0)
            self.assertEqual(p.stdout, b"operands\n")
        # the same port twice is no contradiction
        run(self, "tcpecho-client", "-p", self.port, "127.0.0.1", self.port, check_rc=0)

    def test_bench_size_takes_suffixes(self):
        p = run(self, "tcpecho-client", "--bench", "-p", self.port, "-s", "1K", "-n", "20",
                check_rc=0)
        self.assertRegex(p.stdout.decode(), r"round trips:\s+20 in")
        self.assertRegex(p.stdout.decode(), r"1024 bytes|1\.0 KiB|size 1024")

    def test_bench_mode(self):
        p = run(self, "tcpecho-client", "--bench", "-p", self.port, "-c", "3", "-n", "200",
                check_rc=0)
        out = p.stdout.decode()
        self.assertRegex(out, r"round trips:\s+600 in")
        self.assertRegex(out, r"round trips/s:\s+\d+")
        self.assertRegex(out, r"latency:\s+p50 [\d.]+ us  p99 [\d.]+ us  max [\d.]+ us")

    def test_bench_idle(self):
        p = run(self, "tcpecho-client", "--bench", "--idle", "50", "--hold", "0", "-p",
                self.port, check_rc=0)
        self.assertRegex(p.stdout.decode(), r"idle connections: 50 open and served")

    def test_server_absent(self):
        port = self.port
        self.assertEqual(self.srv.stop(), 0)
        p = run(self, "tcpecho-client", "-p", port, "127.0.0.1", check_rc=1)
        self.assertRegex(p.stderr.decode(),
                         r"^tcpecho-client: connect 127\.0\.0\.1:%s: Connection refused\n" % port)

    def test_unknown_host(self):
        p = run(self, "tcpecho-client", "no-such-host.invalid", check_rc=1)
        self.assertTrue(p.stderr.startswith(b"tcpecho-client: resolve no-such-host.invalid: "))


class NetcatInteropTest(unittest.TestCase):
    def test_nc_as_client(self):
        nc = shutil.which("nc")
        if nc is None:
            self.skipTest("nc (netcat-openbsd) not installed")
        srv = Server(self, "tcpecho-server")
        data = "netcat 你好\n".encode() + bytes(range(256))
        p = subprocess.run([nc, "-N", "127.0.0.1", str(srv.port)], input=data,
                           stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(p.stdout, data)
        self.assertEqual(srv.stop(), 0)


if __name__ == "__main__":
    unittest.main()
