"""udppeer: the UDP peer messenger and the reliability probe, end to end."""
# labels: threaded
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from socklab_test import (BIN, Server, Tmux, check_sanitizers, netns_unavailable, run,
                          stop_process, tool)
from udp_relay import ImpairmentRelay, parse_report


def udp_socket(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.settimeout(10)
    return s


def start_nc(testcase, *args):
    """netcat-openbsd's `nc -u ARGS`, pipes on stdin and stdout."""
    nc = shutil.which("nc")
    if not nc:
        testcase.skipTest("netcat-openbsd not installed")
    p = subprocess.Popen([nc, "-u", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    for done in (p.stdout.close, p.stdin.close, p.wait, p.kill):  # run last to first
        testcase.addCleanup(done)
    return p


def read_upto(pipe, n, timeout=5.0):
    """What PIPE gives within TIMEOUT seconds, stopping at N bytes: a peer
    that sends less than expected fails the test instead of hanging it."""
    got = b""
    end = time.monotonic() + timeout
    while len(got) < n and select.select([pipe], [], [], max(0, end - time.monotonic()))[0]:
        chunk = os.read(pipe.fileno(), n - len(got))
        if not chunk:
            break
        got += chunk
    return got


class Messenger(unittest.TestCase):
    def peer(self, *args, stdin=subprocess.PIPE):
        return Server(self, "udppeer", *args, stdin=stdin)

    def test_two_peers_both_ways_ipv4_and_ipv6(self):
        for host in ("127.0.0.1", "::1"):
            with self.subTest(host=host):
                a = self.peer("-b", host, "--raw")
                b = self.peer("-b", host, "--raw", host, str(a.port))
                b.proc.stdin.write("hello from b\n你好，世界\n".encode())
                b.proc.stdin.flush()
                a.wait_stdout(rb"hello from b\n\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c\n")
                # a named no peer: it answers whoever wrote last, b.
                a.proc.stdin.write(b"hi b\n")
                a.proc.stdin.flush()
                b.wait_stdout(rb"^hi b\n")
                for p in (a, b):
                    p.proc.stdin.close()
                    self.assertEqual(p.stop(), 0)

    def test_piped_stdin_sends_every_line_then_exits_0(self):
        s = udp_socket()
        port = s.getsockname()[1]
        lines = [f"line {i} 中文".encode() for i in range(50)]
        p = run(self, "udppeer", "-p", "0", "127.0.0.1", str(port),
                input=b"\n".join(lines) + b"\n", check_rc=0)
        got = [s.recvfrom(65536)[0] for _ in lines]
        self.assertEqual(got, [line + b"\n" for line in lines])  # a datagram per line, ending it
        self.assertEqual(p.stdout, b"")

    def nc(self, *args):
        return start_nc(self, *args)

    def test_nc_as_the_peer_both_ways(self):
        # A trailing newline ends a message both ways. Once nc printed
        # udppeer's lines glued together ("从 udppeer第二行") and udppeer
        # showed nc's newline as a blank line (or "^J" on a terminal).
        s = udp_socket()
        port = s.getsockname()[1]
        s.close()
        ncp = self.nc("-l", "127.0.0.1", str(port))
        time.sleep(0.3)
        u = self.peer("127.0.0.1", str(port))
        u.proc.stdin.write("从 udppeer\n第二行\n".encode())
        u.proc.stdin.flush()
        want = "从 udppeer\n第二行\n".encode()
        self.assertEqual(read_upto(ncp.stdout, len(want)), want)
        ncp.stdin.write("从 nc\n".encode())
        ncp.stdin.flush()
        u.wait_stdout("^从 nc\n".encode())
        ncp.stdin.write("再来\n".encode())
        ncp.stdin.flush()
        u.wait_stdout("再来\n".encode())
        self.assertEqual(u.stdout, "从 nc\n再来\n".encode())  # no blank lines
        u.proc.stdin.close()
        self.assertEqual(u.stop(), 0)

    def test_raw_sends_the_line_alone_to_nc(self):
        v = self.peer("--raw")
        ncp = self.nc("-w", "3", "127.0.0.1", str(v.port))
        ncp.stdin.write("问候\n".encode())
        ncp.stdin.flush()
        v.wait_stdout("^问候\n".encode())
        v.proc.stdin.write(b"answer\n")
        v.proc.stdin.flush()
        self.assertEqual(read_upto(ncp.stdout, 7, timeout=1), b"answer")  # --raw: no newline
        v.proc.stdin.close()
        self.assertEqual(v.stop(), 0)

    def test_one_newline_is_taken_off_crlf_too(self):
        u = self.peer("--raw")
        s = udp_socket()
        for payload in (b"lf\n", b"crlf\r\n", b"two\n\n", b"none", b"\n"):
            s.sendto(payload, ("127.0.0.1", u.port))
        u.wait_stdout(rb"none\n\n")
        self.assertEqual(u.stdout, b"lf\ncrlf\ntwo\n\nnone\n\n")
        u.proc.stdin.close()
        self.assertEqual(u.stop(), 0)

    def test_several_peers_each_get_every_line(self):
        socks = [udp_socket() for _ in range(3)]
        args = []
        for s in socks[:2]:
            args += ["--peer", f"127.0.0.1:{s.getsockname()[1]}"]
        run(self, "udppeer", "-p", "0", *args, "127.0.0.1", str(socks[2].getsockname()[1]),
            input=b"one\ntwo\n", check_rc=0)
        for s in socks:
            self.assertEqual([s.recvfrom(100)[0] for _ in range(2)], [b"one\n", b"two\n"])

    def test_no_peer_yet_is_reported_not_silent(self):
        p = run(self, "udppeer", "-p", "0", input=b"into the void\n")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"no peer yet: line not sent", p.stderr)

    def test_terminal_format_and_escapes_neutralised(self):
        # Not a tty here, so the default is raw; --raw is what tests read.
        # The sender's address and sanitising show on a terminal: checked
        # through `script`, which gives the program a pty.
        script = shutil.which("script")
        if not script:
            self.skipTest("util-linux script missing")
        s = udp_socket()
        out = tempfile.NamedTemporaryFile(delete=False)
        out.close()
        self.addCleanup(os.unlink, out.name)
        cmd = f"{tool('udppeer')} -p 0 --wait 2 127.0.0.1 {s.getsockname()[1]}"
        proc = subprocess.Popen([script, "-qec", cmd, out.name], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(proc.kill)
        proc.stdin.write(b"ping\n")
        proc.stdin.flush()
        data, addr = s.recvfrom(100)
        self.assertEqual(data, b"ping\n")
        s.sendto("\x1b[2J中文\x07".encode(), addr)
        time.sleep(0.3)
        proc.stdin.close()
        proc.wait(10)
        text = open(out.name, "rb").read()
        self.assertIn(f"127.0.0.1:{s.getsockname()[1]}: ^[[2J中文^G".encode(), text)
        self.assertNotIn(b"\x1b[2J", text)

    def test_truncated_datagram_is_reported(self):
        # Sizes take K/M/G: 1K keeps 1024 bytes, and --rcvbuf 8M (once "not
        # a size") is accepted.
        for args, sent, kept in ((["--bufsize", "16"], 100, 16),
                                 (["--rcvbuf", "8M", "--bufsize", "1K"], 1500, 1024)):
            with self.subTest(args=args):
                u = self.peer("--raw", *args)
                self.assertIsNotNone(u.port, u.stderr)  # refused at start: no port
                s = udp_socket()
                s.sendto(b"A" * sent, ("127.0.0.1", u.port))
                u.wait_stderr(rf"truncated: {sent} bytes, only the first {kept} kept")
                u.wait_stdout(rb"^A{%d}\n" % kept)
                u.proc.stdin.close()
                self.assertEqual(u.stop(), 0)

    def test_bad_sizes_are_usage_errors(self):
        for args in (["--rcvbuf", "8X"], ["--rcvbuf", "8MB"], ["--rcvbuf", "2G"], ["--rcvbuf", "-1"],
                     ["--bufsize", "2M"], ["--bufsize", "0K"], ["-s", "64K", "--probe", "x"]):
            p = run(self, "udppeer", "-p", "0", *args)
            self.assertEqual(p.returncode, 2, args)
            self.assertRegex(p.stderr.decode(), r"^udppeer: (--rcvbuf|--bufsize|-s): not a size",
                             args)

    def test_line_too_long_for_a_datagram_is_an_error_not_a_crash(self):
        s = udp_socket()
        big = b"x" * 70000
        p = run(self, "udppeer", "-p", "0", "127.0.0.1", str(s.getsockname()[1]),
                input=b"small\n" + big + b"\n" + b"y" * 65600 + b"\nafter\n")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"too long for one datagram", p.stderr)
        self.assertEqual([s.recvfrom(100)[0] for _ in range(2)], [b"small\n", b"after\n"])

    def test_unreachable_peer_is_reported_and_the_program_keeps_running(self):
        s = udp_socket()
        port = s.getsockname()[1]
        s.close()  # nothing listens there now: ICMP port unreachable
        u = self.peer("--raw", "127.0.0.1", str(port))
        u.proc.stdin.write(b"first\n")
        u.proc.stdin.flush()
        u.wait_stderr(r"127\.0\.0\.1:%d: port unreachable \(ICMP\)" % port)
        self.assertTrue(u.alive())
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.settimeout(10)
        u.proc.stdin.write(b"second\n")
        u.proc.stdin.flush()
        self.assertEqual(s.recvfrom(100)[0], b"second")  # --raw: no newline
        u.proc.stdin.close()
        # Exit 1 all the same: the first line went nowhere.
        self.assertEqual(u.stop(), 1)

    def test_usage_errors(self):
        for args in (["--probe"], ["-4", "-6"], ["--broadcast", "-6"], ["-s", "10", "--probe", "x"],
                     ["--rate", "fast", "--probe", "x"], ["--probe-listen", "host"]):
            p = run(self, "udppeer", *args)
            self.assertEqual(p.returncode, 2, args)
        self.assertEqual(run(self, "udppeer", "--help").returncode, 0)
        self.assertIn(b"udppeer (socklab)", run(self, "udppeer", "--version").stdout)


    def test_trace_shows_each_recvfrom_one_whole_datagram(self):
        # Three datagrams waiting together (the peer stopped) still come out
        # of three recvfrom()s, each whole: UDP keeps the boundaries.
        a = self.peer("-b", "127.0.0.1", "--trace")
        s = udp_socket()
        stop_process(a.proc.pid)
        try:
            for part in (b"one", b"four", b"three"):
                s.sendto(part, ("127.0.0.1", a.port))
        finally:
            os.kill(a.proc.pid, signal.SIGCONT)
        a.wait_stdout(rb"three\n")
        self.assertEqual(a.stop(signal.SIGINT), 0)
        sender = f"127.0.0.1:{s.getsockname()[1]}"
        s.close()
        sizes = re.findall(rf"^\[5/7\] recvfrom {re.escape(sender)}: (\d+) bytes$", a.stderr, re.M)
        self.assertEqual(sizes, ["3", "4", "5"], a.stderr)
        self.assertEqual(a.stdout, b"one\nfour\nthree\n")

    def test_trace_steps_come_in_the_notes_order(self):
        # UDP server 1-7 (the messenger), UDP client 1-6 (the probe sender).
        s = udp_socket()
        port = str(s.getsockname()[1])
        s.close()  # nobody there: the sender fails after its steps, fast
        for args, total in ((["-p", "0", "--wait", "0"], 7),
                            (["--probe", "-n", "5", "--wait", "0.3", "127.0.0.1", port], 6)):
            p = run(self, "udppeer", "--trace", *args)
            steps = [int(n) for n in re.findall(rf"^\[(\d+)/{total}\]", p.stderr.decode(), re.M)]
            self.assertEqual(steps, list(range(1, total + 1)), p.stderr)


class MessengerTerminal(unittest.TestCase):
    """udppeer in a real terminal (tmux), typed into as a person types."""

    def start(self, *args):
        t = Tmux(self, [tool("udppeer"), "-p", "0", "-b", "127.0.0.1", *args])
        port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", t.wait(r"listening on")).group(1))
        return t, port

    def quit(self, t):
        t.keys("C-c")
        self.assertEqual(t.wait_exit(), 0)  # Ctrl-C: a clean end, nothing failed

    def test_incoming_datagram_does_not_clobber_the_half_typed_line(self):
        s = udp_socket()
        self.addCleanup(s.close)
        t, port = self.start("127.0.0.1", str(s.getsockname()[1]))
        t.type("half typed 你好")
        t.wait(r"half typed 你好")
        s.sendto("incoming 消息\n".encode(), ("127.0.0.1", port))
        t.wait(r"127\.0\.0\.1:\d+: incoming 消息")
        t.wait_last_line("> half typed 你好")  # intact, below what arrived
        t.keys("Enter")
        self.assertEqual(s.recvfrom(100)[0], "half typed 你好\n".encode())
        self.quit(t)

    def test_arrows_history_and_a_long_paste_arrive_whole(self):
        s = udp_socket()
        self.addCleanup(s.close)
        t, _ = self.start("127.0.0.1", str(s.getsockname()[1]))
        t.type("世界")
        t.keys("Home")
        t.type("你好 ")
        t.keys("End")
        t.type("!")
        t.keys("Left", "BSpace", "Enter")  # Backspace takes 界, whole
        self.assertEqual(s.recvfrom(100)[0], "你好 世!\n".encode())
        # 1,400 x 长 fits a datagram: it goes whole, nothing cut.
        t.type("长" * 1400)
        t.keys("Enter")
        self.assertEqual(s.recvfrom(65536)[0], ("长" * 1400 + "\n").encode())
        t.type("draft")
        t.keys("Up", "Up")
        t.wait(r"^> 你好 世!$")
        t.keys("Down", "Down")
        t.wait_last_line("> draft")
        t.keys("C-u", "Up", "Up", "Enter")
        self.assertEqual(s.recvfrom(100)[0], "你好 世!\n".encode())
        self.quit(t)

    def test_nc_messages_show_without_their_newline(self):
        # Once "127.0.0.1:PORT: 来自nc^J", and nc got the answer unended.
        t, port = self.start()
        ncp = start_nc(self, "127.0.0.1", str(port))
        ncp.stdin.write("来自nc\n".encode())
        ncp.stdin.flush()
        screen = t.wait(r"127\.0\.0\.1:\d+: 来自nc")
        self.assertNotIn("^J", screen)
        self.assertRegex(screen, r"(?m)^127\.0\.0\.1:\d+: 来自nc$")
        t.type("回答")
        t.keys("Enter")
        want = "回答\n".encode()
        self.assertEqual(read_upto(ncp.stdout, len(want)), want)
        self.quit(t)


class Namespace(unittest.TestCase):
    """Broadcast, multicast and kernel drops inside a network namespace."""

    def sh(self, script, timeout=60):
        why = netns_unavailable()
        if why:
            self.skipTest(why)
        p = subprocess.run(["unshare", "-rn", "bash", "-ec", script], capture_output=True,
                           timeout=timeout, env={**os.environ, "B": BIN})
        check_sanitizers(self, p.stderr.decode("utf-8", "replace"), "udppeer")
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout.decode()

    def test_broadcast_and_multicast_reach_the_class(self):
        out = self.sh(r'''
            ip link set lo up; ip link set lo multicast on; ip route add 224.0.0.0/4 dev lo
            d=$(mktemp -d)
            "$B/udppeer" -p 7072 --group 239.1.2.3 --raw --wait 2 </dev/null >$d/mc 2>$d/mc.err &
            "$B/udppeer" -p 7073 --broadcast --raw --wait 2 </dev/null >$d/bc 2>$d/bc.err &
            # IPv6: a link-scope group on a veth (lo does not carry IPv6 multicast).
            ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up
            ip -6 addr add fe80::1/64 dev v0 nodad
            "$B/udppeer" -p 7074 --group 'ff12::7072%v0' --raw --wait 2 </dev/null >$d/mc6 \
              2>$d/mc6.err &
            for f in mc bc mc6; do
              for i in $(seq 100); do grep -q listening $d/$f.err && break; sleep 0.02; done
            done
            echo '组播 hello' | "$B/udppeer" -p 7072 --group 239.1.2.3 --wait 0.2 >/dev/null
            echo '广播 hello' | "$B/udppeer" -p 7073 --broadcast 127.255.255.255 7073 --wait 0.2 >/dev/null
            echo 'IPv6 组播' | "$B/udppeer" -p 7074 --group 'ff12::7072%v0' --wait 0.2 >/dev/null
            wait
            echo "mc=$(cat $d/mc)"; echo "bc=$(cat $d/bc)"; echo "mc6=$(cat $d/mc6)"; rm -rf $d
        ''')
        self.assertIn("mc=组播 hello", out)
        self.assertIn("bc=广播 hello", out)
        self.assertIn("mc6=IPv6 组播", out)

    def test_probe_under_nftables_random_drops(self):
        if not shutil.which("nft"):
            self.skipTest("nft (nftables) not installed")
        out = self.sh(r'''
            ip link set lo up
            nft add table inet lab
            nft 'add chain inet lab in { type filter hook input priority 0; }'
            nft add rule inet lab in udp dport 7072 numgen random mod 100 '<' 10 drop
            d=$(mktemp -d)
            "$B/udppeer" --probe-listen --once --interval 0 >$d/rx 2>$d/rx.err &
            for i in $(seq 100); do grep -q listening $d/rx.err && break; sleep 0.02; done
            "$B/udppeer" --probe -n 5000 --rate 5000 --wait 10 127.0.0.1 7072
            wait
            cat $d/rx; rm -rf $d
        ''')
        r = parse_report(out)
        self.assertIsNotNone(r, out)
        self.assertEqual(r["sent"], 5000)
        self.assertEqual(r["received"] + r["lost"], 5000)
        self.assertEqual((r["duplicates"], r["reordered"]), (0, 0))
        # A receiver starved of CPU (a loaded machine, TSan) also loses some
        # to a full buffer: those the kernel counts; the rule's are the rest
        # (give or take the ENDs, which either may have taken).
        full = kernel_dropped(out.encode()) - ends_lost(out.encode())
        by_rule = r["lost"] - max(full, 0)
        # 10% drop of 5000: 500 expected; 5 sigma is about +-106.
        self.assertTrue(350 <= by_rule <= 650, out)


def kernel_dropped(out):
    """What the receiver's note says the kernel dropped (0 without a note)."""
    return sum(int(n) for n in re.findall(rb"the kernel dropped (\d+) datagrams", out))


def ends_lost(out):
    """How many ENDs the receiver says were lost before one arrived."""
    return sum(int(n) for n in re.findall(rb"note: (\d+) earlier END datagrams? of this", out))


class Probe(unittest.TestCase):
    def listener(self, *args):
        return Server(self, "udppeer", "--probe-listen", "--interval", "0", *args)

    def test_clean_loopback_run_ipv4_and_ipv6(self):
        for host in ("127.0.0.1", "::1"):
            rx = self.listener("-b", host)
            p = run(self, "udppeer", "--probe", "-n", "3000", "--rate", "30000", host,
                    str(rx.port), check_rc=0)
            r = parse_report(p.stdout.decode())
            self.assertIn(b"sender: sent 3000 datagrams", p.stdout)
            # One rate unit in every tool: decimal bytes per second, not Mbit/s.
            self.assertRegex(p.stdout.decode(), r"datagrams/s, \d+(\.\d+)? [kMG]?B/s\n")
            self.assertEqual((r["sent"], r["duplicates"], r["reordered"]), (3000, 0, 0))
            self.assertEqual(r["received"] + r["lost"], 3000)
            rx.wait_stdout(rb"receiver: sent 3000 = received \d+ \+ lost \d+.* [kMG]?B/s over")
            self.assertEqual(rx.stop(), 0)
            # Loopback loses nothing on its own: any loss (a receiver starved
            # of CPU on a busy machine) is exactly what the kernel counted as
            # dropped for a full receive buffer, less the ENDs it dropped.
            self.assertEqual(r["lost"] + ends_lost(rx.stdout), kernel_dropped(rx.stdout),
                             rx.stdout)

    def test_counts_exact_through_the_impairment_relay(self):
        for seed, drop, dup, reorder in ((1, 0.05, 0.03, 0.04), (7, 0.2, 0.0, 0.1),
                                         (42, 0.0, 0.1, 0.0), (3, 1.0, 0.0, 0.0)):
            with self.subTest(seed=seed):
                rx = self.listener("-b", "127.0.0.1")
                relay = ImpairmentRelay(rx.port, seed, drop, dup, reorder)
                self.addCleanup(relay.close)
                p = run(self, "udppeer", "--probe", "-n", "2000", "--rate", "2000",
                        "127.0.0.1", str(relay.port), check_rc=0)
                r = parse_report(p.stdout.decode())
                c = relay.counts
                self.assertEqual(c["data"], 2000)
                self.assertEqual(r, {"sent": 2000, "received": 2000 - c["dropped"],
                                     "lost": c["dropped"], "duplicates": c["duplicated"],
                                     "reordered": c["reordered"]}, (c, p.stdout))
                if drop:
                    self.assertGreater(c["dropped"], 0)
                self.assertEqual(rx.stop(), 0)
                self.assertNotIn(b"the kernel dropped", rx.stdout)  # only the relay's doing

    def test_receive_buffer_overflow_is_counted_as_loss(self):
        rx = self.listener("-b", "127.0.0.1", "--rcvbuf", "2048")
        p = run(self, "udppeer", "--probe", "-n", "50000", "--rate", "max", "127.0.0.1",
                str(rx.port), check_rc=0)
        r = parse_report(p.stdout.decode())
        self.assertEqual(r["received"] + r["lost"], 50000)
        self.assertGreater(r["lost"], 0, p.stdout)
        rx.wait_stdout(rb"the kernel dropped \d+ datagrams")
        self.assertEqual(rx.stop(), 0)
        self.assertEqual(r["lost"] + ends_lost(rx.stdout), kernel_dropped(rx.stdout), rx.stdout)

    def test_lost_ends_are_told_apart_from_lost_data(self):
        # A stopped receiver with a tiny buffer: the buffer fills with DATA,
        # and the ENDs sent every 100 ms meanwhile are dropped too.
        rx = self.listener("-b", "127.0.0.1", "--rcvbuf", "2048")
        os.kill(rx.proc.pid, signal.SIGSTOP)
        try:
            tx = subprocess.Popen([tool("udppeer"), "--probe", "-n", "2000", "--rate", "max",
                                   "--wait", "5", "127.0.0.1", str(rx.port)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            first = tx.stdout.readline()  # "sender: sent ...": the first END goes now
            time.sleep(0.35)
        finally:
            os.kill(rx.proc.pid, signal.SIGCONT)
        out, err = tx.communicate(timeout=10)
        out = first + out
        check_sanitizers(self, err.decode("utf-8", "replace"), "udppeer")
        self.assertEqual(tx.returncode, 0, err)
        r = parse_report(out.decode())
        self.assertEqual(r["received"] + r["lost"], 2000)
        rx.wait_stdout(rb"the kernel dropped \d+ datagrams")
        self.assertEqual(rx.stop(), 0)
        self.assertGreaterEqual(ends_lost(rx.stdout), 2, rx.stdout)
        self.assertEqual(r["lost"] + ends_lost(rx.stdout), kernel_dropped(rx.stdout), rx.stdout)

    def test_tcp_contrast_never_loses_or_reorders(self):
        rx = self.listener("-b", "127.0.0.1")
        p = run(self, "udppeer", "--probe", "--tcp", "-n", "20000", "--rate", "max", "-s", "100",
                "127.0.0.1", str(rx.port), check_rc=0)
        r = parse_report(p.stdout.decode())
        self.assertEqual(r, {"sent": 20000, "received": 20000, "lost": 0, "duplicates": 0,
                             "reordered": 0})
        rx.wait_stdout(rb"receiver \(TCP\): sent 20000 = received 20000")
        self.assertEqual(rx.stop(), 0)

    def test_garbage_and_hostile_datagrams_do_not_disturb_a_run(self):
        rx = self.listener("-b", "127.0.0.1")
        s = udp_socket()
        hdr = b"SLPB\x01\x01\x00\x00" + b"\x00\x00\x00\x09" + (40).to_bytes(4, "big")
        for junk in (b"", b"GET / HTTP/1.0\r\n\r\n", b"SLPB", hdr + b"\xff" * 8 * 3,
                     b"SLPB\x01\x01\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff" + b"\x00" * 24):
            s.sendto(junk, ("127.0.0.1", rx.port))
        rx.wait_stderr(r"ignored a datagram from 127\.0\.0\.1:\d+")
        p = run(self, "udppeer", "--probe", "-n", "500", "--rate", "20000", "127.0.0.1",
                str(rx.port), check_rc=0)
        self.assertEqual(parse_report(p.stdout.decode())["received"], 500)
        self.assertEqual(rx.stop(), 0)

    def test_stalled_tcp_sender_cannot_hang_the_receiver(self):
        rx = self.listener("-b", "127.0.0.1")
        s = socket.create_connection(("127.0.0.1", rx.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"SLPB\x01\x01")  # half a header, then silence
        time.sleep(0.3)
        self.assertEqual(rx.stop(), 0)  # SIGTERM still ends it at once

    def test_no_receiver_is_a_clear_error(self):
        s = udp_socket()
        port = s.getsockname()[1]
        s.close()
        p = run(self, "udppeer", "--probe", "-n", "10", "--wait", "0.5", "127.0.0.1", str(port))
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr.decode(), r"no receiver at 127\.0\.0\.1:\d+: port unreachable")


if __name__ == "__main__":
    unittest.main()
