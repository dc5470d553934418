"""udppeer --probe-listen against a hostile class: forged probe datagrams and
TCP clients that hold on without sending a run (issue 13, items 13 and 14)."""
# labels: threaded
import socket
import struct
import threading
import time
import unittest

from socklab_test import Server, connect, run
from udp_relay import parse_report

TCP_RUNS_MAX = 8  # probe_listen.c: TCP runs served at once


def probe_record(kind, session, seq, count, time_ns, length=40):
    """A probe header (docs/protocol.md, "UDP probe"), padded to LENGTH."""
    head = b"SLPB" + bytes([1, kind, 0, 0]) + struct.pack(">IIQQQ", session, length, seq, count,
                                                          time_ns)
    return head + bytes(length - len(head))


def listener(testcase, *args):
    return Server(testcase, "udppeer", "--probe-listen", "--interval", "0", "-b", "127.0.0.1",
                  *args)


def udp_run_seconds(testcase, port):
    """Times a small UDP probe run to PORT; it must complete with its report.
    (On a loaded machine a starved receiver's socket buffer may overflow: such
    losses are UDP's, counted, and not what these tests are about; the run
    must still end, and most datagrams arrive.)"""
    began = time.monotonic()
    p = run(testcase, "udppeer", "--probe", "-n", "300", "--rate", "20000", "--wait", "20",
            "127.0.0.1", str(port), timeout=30, check_rc=0)
    report = parse_report(p.stdout.decode())
    testcase.assertEqual(report["received"] + report["lost"], 300, p.stdout)
    testcase.assertGreater(report["received"], 150, p.stdout)
    return time.monotonic() - began


class Drip(threading.Thread):
    """A TCP probe client that sends a header one byte every INTERVAL s,
    never fast enough to finish a record, never silent long enough to be
    idle by the per-read limit."""

    def __init__(self, port, interval):
        super().__init__(daemon=True)
        self.sock = connect(port)
        self.interval = interval
        self.stopped = threading.Event()
        self.closed_by_peer = threading.Event()

    def run(self):
        record = probe_record(1, 7, 0, 10, 0, 64)
        for i in range(len(record)):
            try:
                self.sock.send(record[i:i + 1])
            except OSError:
                self.closed_by_peer.set()
                return
            if self.stopped.wait(self.interval):
                return

    def close(self):
        self.stopped.set()
        self.join(5)
        self.sock.close()


class ForgedSendTimes(unittest.TestCase):
    def test_send_times_2_63_apart_are_survived_and_reported(self):
        rx = listener(self)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        s.settimeout(10)
        session = 0x0BADC10C
        for seq, t in ((0, 5), (1, 5 + (1 << 63)), (2, 6)):
            s.sendto(probe_record(1, session, seq, 3, t, 64), ("127.0.0.1", rx.port))
        s.sendto(probe_record(2, session, 0, 3, 7), ("127.0.0.1", rx.port))
        report, _ = s.recvfrom(200)
        self.assertEqual(len(report), 96)
        received, lost, dups, reordered, jitter = struct.unpack(">5Q", report[40:80])
        # Datagram 1 is refused, not counted: 0 and 2 arrived, 1 is lost.
        self.assertEqual((received, lost, dups, reordered), (2, 1, 0, 0))
        self.assertLess(jitter, 10**9)  # no nonsense from the forged time
        rx.wait_stdout(rb"receiver: sent 3 = received 2 \+ lost 1")
        rx.wait_stdout(rb"note: 1 DATA datagram of this run had an absurd send time")
        rx.wait_stderr(r"ignored a datagram from 127\.0\.0\.1:\d+: send time more than")
        # It still works for honest runs afterwards.
        self.assertLess(udp_run_seconds(self, rx.port), 15)
        self.assertEqual(rx.stop(), 0)


class SlowTcpClients(unittest.TestCase):
    def test_dripping_tcp_client_holds_no_udp_run_up(self):
        rx = listener(self)
        drip = Drip(rx.port, 1.0)
        self.addCleanup(drip.close)
        drip.start()
        time.sleep(1.5)  # the receiver has taken the connection and two bytes
        self.assertLess(udp_run_seconds(self, rx.port), 5)
        # A record must arrive whole within 10 s of its first byte.
        rx.wait_stderr(r"TCP run: the sender stalled", timeout=20)
        self.assertTrue(drip.closed_by_peer.wait(5))
        self.assertEqual(rx.stop(), 0)

    def test_tcp_runs_beyond_the_cap_are_refused_and_sigterm_stays_prompt(self):
        rx = listener(self)
        holders = []
        for _ in range(TCP_RUNS_MAX):
            c = connect(rx.port)
            self.addCleanup(c.close)
            c.sendall(b"SLPB\x01")  # half a header, then silence
            holders.append(c)
        late = connect(rx.port)
        self.addCleanup(late.close)
        rx.wait_stderr(r"TCP run from 127\.0\.0\.1:\d+ refused: 8 TCP runs at once already")
        self.assertEqual(late.recv(100), b"")  # closed without a word
        self.assertLess(udp_run_seconds(self, rx.port), 5)
        began = time.monotonic()
        self.assertEqual(rx.stop(), 0)
        self.assertLess(time.monotonic() - began, 3)

    def test_a_tcp_run_still_works_beside_a_held_connection(self):
        rx = listener(self)
        holder = connect(rx.port)
        self.addCleanup(holder.close)
        holder.sendall(b"SLPB")
        p = run(self, "udppeer", "--probe", "--tcp", "-n", "2000", "-s", "100", "127.0.0.1",
                str(rx.port), timeout=30, check_rc=0)
        self.assertEqual(parse_report(p.stdout.decode())["received"], 2000)
        rx.wait_stdout(rb"receiver \(TCP\): sent 2000 = received 2000")
        self.assertEqual(rx.stop(), 0)


if __name__ == "__main__":
    unittest.main()
