"""ftsend and ftrecv, end to end on loopback, including hostile senders."""
# labels: threaded
import glob
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from socklab_test import Server, connect, recv_exactly, recv_until_eof, run, serve_once, tool


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


HANDIN_LOG = ".ftrecv.log"  # ftrecv's hand-in log, in every inbox


def documented_key(name, size, mtime):
    """docs/protocol.md, "Temporary file and resume": 64-bit FNV-1a."""
    x = 0xCBF29CE484222325
    for b in name:
        x = ((x ^ b) * 0x100000001B3) % 2**64
    x = ((x ^ size) * 0x100000001B3) % 2**64
    x = ((x ^ (mtime % 2**64)) * 0x100000001B3) % 2**64
    return f"{x:016x}"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


class FtTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.src = os.path.join(self.tmp.name, "src")
        self.dst = os.path.join(self.tmp.name, "dst")
        os.makedirs(self.src)
        os.makedirs(self.dst)
        self.extra = ()

    def receiver(self, *args):
        self.rx = Server(self, "ftrecv", "-d", self.dst, *args)
        self.port = str(self.rx.port)
        return self.rx

    def send(self, *args, rc=0):
        return run(self, "ftsend", "-p", self.port, *args, timeout=120, check_rc=rc)

    def listing(self):
        """What is stored under the inbox, without ftrecv's hand-in log."""
        out = []
        for root, dirs, files in os.walk(self.dst):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), self.dst))
        return sorted(n for n in out if n != HANDIN_LOG)

    def test_sizes_byte_exact(self):
        self.receiver()
        sizes = {"zero": 0, "one": 1, "sixtyfour": 64 * 1024 + 1, "hundred": 100 << 20}
        paths = [write(os.path.join(self.src, n), os.urandom(s)) for n, s in sizes.items()]
        self.send("127.0.0.1", *paths)
        for name, size in sizes.items():
            out = os.path.join(self.dst, name)
            self.assertEqual(os.path.getsize(out), size)
            self.assertEqual(digest(out), digest(os.path.join(self.src, name)))
        self.assertEqual(self.listing(), sorted(sizes))  # no temporary files left

    def test_names_that_show_as_something_else_are_refused(self):
        self.receiver()
        for name, why in (("homework\u202etxt.exe", "U+202E"), ("ali\u200bce.c", "U+200B"),
                          ("\u2066lab.c", "U+2066")):
            path = write(os.path.join(self.src, name), b"x")
            p = self.send("127.0.0.1", path, rc=1)
            self.assertIn(f"refused by receiver: ", p.stderr.decode())
            self.assertIn(why, p.stderr.decode())
        self.assertEqual(self.listing(), [])

    def test_tree_and_chinese_names_one_connection(self):
        rx = self.receiver()
        write(os.path.join(self.src, "作业", "第一章", "练习.c"), "int main(void) {}\n".encode())
        write(os.path.join(self.src, "作业", "说明.txt"), "中文内容\n".encode())
        write(os.path.join(self.src, "作业", "empty"), b"")
        single = write(os.path.join(self.src, "读我.md"), b"# hi\n")
        self.send("-r", "localhost", os.path.join(self.src, "作业"), single)
        self.assertEqual(self.listing(), sorted(["作业/第一章/练习.c", "作业/说明.txt",
                                                 "作业/empty", "读我.md"]))
        with open(os.path.join(self.dst, "作业", "说明.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "中文内容\n")
        # Printed before the answer went out, but the drain thread may lag.
        rx.wait_stdout("作业/第一章/练习.c stored".encode())
        rx.wait_stdout(rb"(?s)( stored \(.*){4}")
        self.assertEqual(rx.stdout.count(b" stored ("), 4)

    def test_tree_given_as_dot_goes_under_its_real_name(self):
        self.receiver()
        tree = os.path.join(self.src, "lab3")
        write(os.path.join(tree, "a.c"), b"a\n")
        p = subprocess.run([tool("ftsend"), "-p", self.port, "-r", "localhost", "."], cwd=tree,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.listing(), ["lab3/a.c"])
        p = subprocess.run([tool("ftsend"), "-p", self.port, "-r", "localhost", "/"],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"/: has no name to send it under", p.stderr)

    def test_name_clash_and_overwrite(self):
        self.receiver()
        path = write(os.path.join(self.src, "homework.c"), b"version 1\n")
        self.send("localhost", path)
        write(path, b"version 2\n")
        p = self.send("localhost", path)
        self.assertIn(b"ftsend: homework.c: stored as homework.1.c\n", p.stderr)
        with open(os.path.join(self.dst, "homework.c"), "rb") as f:
            self.assertEqual(f.read(), b"version 1\n")  # never silently overwritten
        with open(os.path.join(self.dst, "homework.1.c"), "rb") as f:
            self.assertEqual(f.read(), b"version 2\n")
        self.rx.stop()
        self.receiver("--overwrite")
        write(path, b"version 3\n")
        self.send("localhost", path)
        with open(os.path.join(self.dst, "homework.c"), "rb") as f:
            self.assertEqual(f.read(), b"version 3\n")

    def test_mode_kept_but_never_setuid(self):
        self.receiver()
        path = write(os.path.join(self.src, "tool.sh"), b"#!/bin/sh\n")
        os.chmod(path, 0o4755)
        os.utime(path, (1_600_000_000, 1_600_000_000))
        self.send("localhost", path)
        st = os.stat(os.path.join(self.dst, "tool.sh"))
        self.assertEqual(st.st_mode & 0o7777, 0o755)
        self.assertEqual(int(st.st_mtime), 1_600_000_000)

    def test_killed_sender_leaves_no_file_then_resumes(self):
        rx = self.receiver()
        data = os.urandom(300 << 20)
        path = write(os.path.join(self.src, "big.bin"), data)
        sender = subprocess.Popen([tool("ftsend"), "-q", "-p", self.port, "localhost", path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        partial = []
        while time.monotonic() < deadline:
            partial = glob.glob(os.path.join(self.dst, ".ftpart-*"))
            if partial and os.path.getsize(partial[0]) > (20 << 20):
                break
            time.sleep(0.01)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        rx.wait_stderr(r"big\.bin interrupted")
        self.assertFalse(os.path.exists(os.path.join(self.dst, "big.bin")))  # no half file
        self.assertTrue(partial)
        # The temporary name is the one docs/protocol.md defines.
        self.assertEqual(os.path.basename(partial[0]),
                         ".ftpart-" + documented_key(b"big.bin", len(data),
                                                     int(os.stat(path).st_mtime)))
        kept = os.path.getsize(partial[0])
        self.assertGreater(kept, 0)
        self.assertLess(kept, len(data))
        p = self.send("-q", "localhost", path)
        # The sender says it resumed, and from where.
        m = re.search(rb"big\.bin: resuming at byte (\d+) of 314572800 \((\d+)% already there\)",
                      p.stderr)
        self.assertIsNotNone(m, p.stderr)
        self.assertTrue(0 < int(m.group(1)) < len(data))
        self.assertEqual(int(m.group(2)), round(100 * int(m.group(1)) / len(data)))
        rx.wait_stdout(rb"big\.bin stored \(314572800 bytes, resumed")
        self.assertEqual(digest(os.path.join(self.dst, "big.bin")), digest(path))
        self.assertEqual(self.listing(), ["big.bin"])

    def test_refusals(self):
        self.receiver("--max-size", "1K")
        small = write(os.path.join(self.src, "small"), b"x" * 1024)
        big = write(os.path.join(self.src, "big"), b"x" * 1025)
        p = self.send("localhost", big, small, rc=1)
        self.assertIn(b"ftsend: big: refused by receiver: 1025 bytes is over the limit of 1024",
                      p.stderr)
        self.assertEqual(self.listing(), ["small"])  # the connection went on
        self.rx.wait_stderr(r"big refused: 1025 bytes is over the limit")

    def test_not_enough_space_refused_before_data(self):
        # A 1 MiB tmpfs as the receiver's directory, in a mount namespace of
        # its own (root only): a 2 MiB file is refused before any byte moves.
        proc = self.small_tmpfs_receiver("1m")
        big = write(os.path.join(self.src, "big.bin"), os.urandom(2 << 20))
        small = write(os.path.join(self.src, "small.txt"), "放得下\n".encode())
        p = self.send("localhost", big, small, rc=1)
        self.assertRegex(p.stderr.decode(), r"ftsend: big\.bin: refused by receiver: not enough "
                                            r"free space \(2097152 bytes needed, \d+ free\)")
        self.assertNotIn(b"small.txt", p.stderr)  # the next file went through
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("small.txt stored".encode(), out)
        self.assertIn(b"big.bin refused: not enough free space", err)

    def test_sizes_around_the_pipe_and_the_page(self):
        # The content goes socket -> pipe (1 MiB) -> file and is checksummed
        # from the page cache in windows of 2 MiB: sizes on either side of
        # those boundaries, and not multiples of the page size.
        rx = self.receiver()
        sizes = {"page-1": 4095, "page+1": 4097, "pipe-1": (1 << 20) - 1,
                 "pipe+1": (1 << 20) + 1, "window+page+1": (2 << 20) + 4097,
                 "odd": (7 << 20) + 12345}
        paths = [write(os.path.join(self.src, n), os.urandom(s)) for n, s in sizes.items()]
        self.send("-q", "127.0.0.1", *paths)
        for name, size in sizes.items():
            out = os.path.join(self.dst, name)
            self.assertEqual(os.path.getsize(out), size)
            self.assertEqual(digest(out), digest(os.path.join(self.src, name)))
        rx.wait_stdout(rb"(?s)( stored \(.*){6}")
        self.assertEqual(self.listing(), sorted(sizes))

    def small_tmpfs_receiver(self, size):
        """ftrecv on a tmpfs of SIZE of its own (a mount namespace, root only)."""
        if os.geteuid() != 0 or subprocess.run(["unshare", "-m", "true"],
                                               capture_output=True).returncode != 0:
            self.skipTest("needs root and unshare -m for a small tmpfs")
        script = ('mount -t tmpfs -o size=%s socklab-ft "$0" && exec "$1" -p 0 -b 127.0.0.1 '
                  '-d "$0"' % size)
        proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script, self.dst, tool("ftrecv")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait()))
        line = proc.stderr.readline().decode()
        m = re.search(r"listening on \S+:(\d+)", line)
        self.assertIsNotNone(m, line)
        self.port = m.group(1)
        return proc

    def test_disk_filling_during_the_transfer_fails_and_leaves_nothing(self):
        # Two 3 MiB files for a 4 MiB disk: both pass the free-space check
        # before a byte arrives, so the second fills the disk mid-splice
        # (ENOSPC). It fails, its temporary file is removed, the first stays.
        proc = self.small_tmpfs_receiver("4m")
        s = connect(int(self.port))
        s.sendall(b"SLFT\x02\x00\x00\x00")
        self.assertEqual(recv_exactly(s, 8), b"SLFT\x02\x00\x00\x00")
        raw = "late.bin".encode()
        s.sendall(struct.pack(">BHIQq", 1, len(raw), 0o644, 3 << 20, 0) + raw)
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO: it fits, for now
        first = write(os.path.join(self.src, "first.bin"), os.urandom(3 << 20))
        self.send("-q", "localhost", first)
        try:
            s.sendall(os.urandom(3 << 20))
            self.assertEqual(recv_until_eof(s), b"")  # no answer: the connection ends
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.close()
        small = write(os.path.join(self.src, "small.txt"), b"still room\n")
        self.send("-q", "localhost", small)  # the late file's blocks were freed
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"late.bin failed: write: No space left on device", err)
        self.assertIn(b"first.bin stored", out)
        self.assertIn(b"small.txt stored", out)

    def test_over_4_gib(self):
        # Sizes beyond 32 bits: a sparse 4 GiB + 5 bytes source on tmpfs.
        shm = "/dev/shm"
        if not os.path.isdir(shm) or os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize < 9 << 30:
            self.skipTest("needs 9 GiB free on /dev/shm")
        work = tempfile.TemporaryDirectory(dir=shm)
        self.addCleanup(work.cleanup)
        self.dst = os.path.join(work.name, "dst")
        os.makedirs(self.dst)
        path = os.path.join(work.name, "huge.img")
        size = (4 << 30) + 5
        with open(path, "wb") as f:
            f.truncate(size)
            f.seek(size - 5)
            f.write(b"tail!")
        rx = self.receiver()
        self.send("-q", "localhost", path)
        out = os.path.join(self.dst, "huge.img")
        self.assertEqual(os.path.getsize(out), size)
        with open(out, "rb") as f:
            f.seek(size - 5)
            self.assertEqual(f.read(), b"tail!")
        rx.wait_stdout(rb"huge\.img stored \(4294967301 bytes")
        os.unlink(out)

    def test_receiver_absent(self):
        self.receiver()
        port = self.port
        self.rx.stop()
        path = write(os.path.join(self.src, "f"), b"f")
        p = run(self, "ftsend", "-p", port, "127.0.0.1", path, check_rc=1)
        self.assertRegex(p.stderr.decode(), r"^ftsend: connect 127\.0\.0\.1:\d+: Connection "
                                            r"refused\n$")

    def test_two_senders_at_once(self):
        self.receiver()
        a = write(os.path.join(self.src, "a", "a.bin"), os.urandom(30 << 20))
        b = write(os.path.join(self.src, "b", "b.bin"), os.urandom(30 << 20))
        procs = [subprocess.Popen([tool("ftsend"), "-q", "-p", self.port, "localhost", f],
                                  stderr=subprocess.PIPE) for f in (a, b)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(digest(os.path.join(self.dst, "a.bin")), digest(a))
        self.assertEqual(digest(os.path.join(self.dst, "b.bin")), digest(b))

    def test_once(self):
        self.receiver("--once")
        path = write(os.path.join(self.src, "once"), b"1")
        self.send("localhost", path)
        self.rx.proc.wait(20)
        self.assertEqual(self.rx.proc.returncode, 0)

    def test_once_failed_transfer_exits_one(self):
        self.receiver("--once")
        s = socket.create_connection(("127.0.0.1", self.rx.port))
        s.sendall(b"GARBAGE!")  # not a hello
        self.rx.proc.wait(20)
        self.assertEqual(self.rx.proc.returncode, 1)
        s.close()

    def test_once_sigterm_with_a_silent_sender_connected(self):
        # The sender's thread is stuck in recv(): the signal must still end
        # the wait, cut the transfer off and exit.
        self.receiver("--once")
        s = socket.create_connection(("127.0.0.1", self.rx.port))
        time.sleep(0.3)
        self.assertEqual(self.rx.stop(signal.SIGTERM, timeout=5), 1)
        self.assertEqual(s.recv(16), b"")  # the receiver closed the connection
        s.close()

    def test_same_file_from_many_senders_in_a_race(self):
        # Senders of one file racing for its temporary file: each one is
        # either stored complete, told it is already stored (identical, no
        # numbered copy), or told busy; nothing else, and no final name
        # ever holds less.
        self.receiver()
        data = os.urandom(300_000)
        path = write(os.path.join(self.src, "race.bin"), data)
        stored = identical = 0
        for _ in range(8):
            procs = [subprocess.Popen([tool("ftsend"), "-q", "-p", self.port, "127.0.0.1", path],
                                      stderr=subprocess.PIPE) for _ in range(6)]
            for p in procs:
                _, err = p.communicate(timeout=60)
                if p.returncode == 0 and b"already stored, identical" in err:
                    identical += 1
                elif p.returncode == 0:
                    stored += 1
                else:
                    self.assertIn(b"being received from another sender", err)
        names = [n for n in os.listdir(self.dst)
                 if not n.startswith(".ftpart-") and n != HANDIN_LOG]
        self.assertEqual(names, ["race.bin"])
        self.assertEqual(stored, 1)
        self.assertGreater(identical, 0)
        for n in names:
            self.assertEqual(digest(os.path.join(self.dst, n)), hashlib.sha256(data).hexdigest(), n)

    def test_missing_directory_is_created(self):
        self.dst = os.path.join(self.tmp.name, "inbox")
        old = os.umask(0o022)
        try:
            rx = self.receiver()
        finally:
            os.umask(old)
        self.assertIn("ftrecv: created directory " + self.dst, rx.stderr)
        self.assertEqual(os.stat(self.dst).st_mode & 0o7777, 0o755)
        self.send("127.0.0.1", write(os.path.join(self.src, "作业.c"), b"int x;\n"))
        self.assertEqual(self.listing(), ["作业.c"])

    def test_rate_of_a_small_file_is_not_zero(self):
        rx = self.receiver()
        self.send("127.0.0.1", write(os.path.join(self.src, "tiny"), b"30 bytes of homework, no more\n"))
        m = rx.wait_stdout(rb"tiny stored \(30 bytes, ([\d.]+) ([kMGT]?)B/s\)")
        self.assertGreater(float(m.group(1)), 0)
        self.assertLess(len(m.group(1).replace(b".", b"")), 4)  # three significant digits

    def test_cli(self):
        for name in ("ftsend", "ftrecv"):
            self.assertIn(b"Usage: " + name.encode(), run(self, name, "--help", check_rc=0).stdout)
            run(self, name, "--version", check_rc=0)
            run(self, name, "--bogus", check_rc=2)
        run(self, "ftsend", "onlyhost", check_rc=2)
        run(self, "ftrecv", "--max-size", "lots", check_rc=2)
        p = run(self, "ftrecv", "-d", os.path.join(self.tmp.name, "missing", "inbox"), check_rc=1)
        self.assertIn(b"ftrecv: directory ", p.stderr)
        self.assertIn(b"(only its last component is created)", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "missing")))
        write(os.path.join(self.tmp.name, "plain"), b"x")
        p = run(self, "ftrecv", "-d", os.path.join(self.tmp.name, "plain"), check_rc=1)
        self.assertIn(b"Not a directory", p.stderr)
        p = run(self, "ftsend", "localhost", self.src, check_rc=1)
        self.assertIn(b"is a directory (use -r", p.stderr)


class HandInTest(FtTest):
    """Homework hand-in as a teacher needs it: a directory per sender, a log
    a spreadsheet opens, partial files listed and cleaned."""

    def log_rows(self):
        import csv
        with open(os.path.join(self.dst, HANDIN_LOG), newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def test_same_name_from_two_students_per_sender(self):
        self.receiver("--per-sender")
        for who, text in (("alice", b"int main(void) { return 1; }\n"),
                          ("李雷", b"int main(void) { return 2; }\n")):
            path = write(os.path.join(self.src, who, "作业.c"), text)
            self.send("--as", who, "127.0.0.1", path)
        self.send("127.0.0.1", path)  # no --as: a directory named after the address
        self.assertEqual(self.listing(), ["127.0.0.1/作业.c", "alice/作业.c", "李雷/作业.c"])
        with open(os.path.join(self.dst, "李雷", "作业.c"), "rb") as f:
            self.assertEqual(f.read(), b"int main(void) { return 2; }\n")
        rows = self.log_rows()
        self.assertEqual([(r["sender"], r["as"], r["stored"], r["bytes"], r["resumed"])
                          for r in rows],
                         [("127.0.0.1", "alice", "alice/作业.c", "29", "no"),
                          ("127.0.0.1", "李雷", "李雷/作业.c", "29", "no"),
                          ("127.0.0.1", "", "127.0.0.1/作业.c", "29", "no")])
        for r in rows:
            self.assertRegex(r["crc32c"], r"^[0-9a-f]{8}$")
            self.assertRegex(r["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")

    def test_log_without_per_sender_and_a_bad_sender_name(self):
        self.receiver()
        path = write(os.path.join(self.src, "lab1.txt"), b"x" * 100)
        self.send("--as", "bob", "127.0.0.1", path)
        self.assertEqual([(r["as"], r["stored"]) for r in self.log_rows()], [("bob", "lab1.txt")])
        for bad in ("../up", "a/b", ".hidden", "rtl\u202eexe"):
            p = self.send("--as", bad, "127.0.0.1", path, rc=1)
            self.assertIn("refused by receiver", p.stderr.decode())
        self.assertEqual(self.listing(), ["lab1.txt"])

    def test_per_sender_never_follows_a_planted_symlink(self):
        outside = os.path.join(self.tmp.name, "outside")
        os.makedirs(outside)
        os.symlink(outside, os.path.join(self.dst, "mallory"))
        self.receiver("--per-sender")
        path = write(os.path.join(self.src, "x.txt"), b"x")
        p = self.send("--as", "mallory", "127.0.0.1", path, rc=1)
        self.assertIn("symbolic link", p.stderr.decode())
        self.assertEqual(os.listdir(outside), [])

    def test_list_and_clean_partial_files(self):
        import fcntl
        old = write(os.path.join(self.dst, "a", ".ftpart-00000000000000aa"), b"o" * 10)
        new = write(os.path.join(self.dst, ".ftpart-00000000000000bb"), b"n" * 20)
        busy = write(os.path.join(self.dst, ".ftpart-00000000000000cc"), b"b" * 30)
        three_days_ago = time.time() - 3 * 86400
        for f in (old, busy):
            os.utime(f, (three_days_ago, three_days_ago))
        out = run(self, "ftrecv", "-d", self.dst, "--list-partial", check_rc=0).stdout.decode()
        self.assertEqual(len(out.splitlines()), 3, out)
        self.assertRegex(out, r"72\.0 h +10 bytes +.*/a/\.ftpart-00000000000000aa")
        self.assertRegex(out, r"0\.0 h +20 bytes +.*\.ftpart-00000000000000bb")
        with open(busy, "rb") as held:  # a transfer holds it: never removed
            fcntl.flock(held, fcntl.LOCK_EX)
            out = run(self, "ftrecv", "-d", self.dst, "--clean-partial", "2",
                      check_rc=0).stdout.decode()
            self.assertIn("3 partial files, 1 removed", out)
            self.assertFalse(os.path.exists(old))
            self.assertTrue(os.path.exists(new) and os.path.exists(busy))
            run(self, "ftrecv", "-d", self.dst, "--clean-partial", "0", check_rc=0)
            self.assertFalse(os.path.exists(new))
            self.assertTrue(os.path.exists(busy))
        run(self, "ftrecv", "--clean-partial", "x", check_rc=2)


class HostileSenderTest(unittest.TestCase):
    """A raw client speaking the protocol with lies and traversal names."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dst = os.path.join(self.tmp.name, "dst")
        self.outside = os.path.join(self.tmp.name, "outside")
        os.makedirs(self.dst)
        os.makedirs(self.outside)
        os.symlink(self.outside, os.path.join(self.dst, "planted"))
        self.rx = Server(self, "ftrecv", "-d", self.dst)

    def hello(self):
        s = connect(self.rx.port)
        s.sendall(b"SLFT\x02\x00\x00\x00")
        self.assertEqual(recv_exactly(s, 8), b"SLFT\x02\x00\x00\x00")
        return s

    @staticmethod
    def header(name, size, mode=0o644, name_len=None):
        raw = name.encode() if isinstance(name, str) else name
        n = len(raw) if name_len is None else name_len
        return struct.pack(">BHIQq", 1, n, mode, size, 0) + raw

    def refused(self, s):
        status, code, n = struct.unpack(">BHH", recv_exactly(s, 5))
        self.assertEqual(status, 1)
        return code, recv_exactly(s, n).decode()

    def test_same_file_from_two_senders_at_once_is_busy(self):
        first = self.hello()
        first.sendall(self.header("same.bin", 1000))
        self.assertEqual(recv_exactly(first, 9), b"\x00" + bytes(8))  # GO from offset 0
        first.sendall(b"x" * 100)  # ... and stalls, holding the temporary file
        second = self.hello()
        second.sendall(self.header("same.bin", 1000))
        code, msg = self.refused(second)
        self.assertEqual((code, msg), (5, "the same file is being received from another sender"))
        second.sendall(b"\x02")
        second.close()
        first.close()  # the 100 bytes stay for a resume, under no final name
        self.rx.wait_stderr(r"same\.bin interrupted")
        self.assertFalse(os.path.exists(os.path.join(self.dst, "same.bin")))

    def test_bad_checksum_never_stores(self):
        os.makedirs(os.path.join(self.dst, "old"))
        s = self.hello()
        s.sendall(self.header("old/new/deeper/wrong.txt", 5))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))
        s.sendall(b"hello" + b"\x00\x00\x00\x00")  # not the CRC-32C of "hello"
        status, code, n = struct.unpack(">BHH", recv_exactly(s, 5))
        self.assertEqual((status, code), (1, 7))
        self.assertIn(b"checksum mismatch", recv_exactly(s, n))
        s.sendall(b"\x02")
        s.close()
        self.rx.wait_stderr(r"wrong\.txt failed: checksum mismatch")
        # No file, no temporary file, and no directory made for it; the one
        # that was there already stays.
        self.assertEqual(sorted(os.listdir(self.dst)), [HANDIN_LOG, "old", "planted"])
        self.assertEqual(os.listdir(os.path.join(self.dst, "old")), [])

    def test_traversal_names_refused_nothing_outside(self):
        s = self.hello()
        for name in ("../escape", "/tmp/abs", "a/../../b", "planted/inside", "./x", "a//b",
                     b"nul\x00byte", "\x1b[2Jansi", b"bad\xffutf8"):
            s.sendall(self.header(name, 3))
            code, msg = self.refused(s)
            self.assertIn(code, (2,), (name, msg))
        s.sendall(b"\x02")  # END
        s.close()
        self.assertEqual(os.listdir(self.outside), [])
        self.assertEqual(sorted(os.listdir(self.dst)), [HANDIN_LOG, "planted"])
        self.assertEqual(sorted(os.listdir(self.tmp.name)), ["dst", "outside"])
        self.rx.wait_stderr(r"planted/inside refused: cannot use directory planted: it is a "
                            r"symbolic link")
        self.rx.wait_stderr(r"\^\[\[2Jansi refused")  # the log shows escapes escaped

    def test_lying_sizes_never_create_the_file(self):
        s = self.hello()
        s.sendall(self.header("short.txt", 1000))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO from offset 0
        s.sendall(b"only ten b")
        s.close()  # 990 bytes short
        self.rx.wait_stderr(r"short\.txt interrupted")
        self.assertFalse(os.path.exists(os.path.join(self.dst, "short.txt")))

        s = self.hello()
        s.sendall(self.header("wrongsum.txt", 4))
        recv_exactly(s, 9)
        s.sendall(b"abcd" + struct.pack(">I", 12345))  # a checksum that does not match
        code, msg = self.refused(s)
        self.assertEqual(code, 7)
        self.assertIn("checksum mismatch", msg)
        self.assertFalse(os.path.exists(os.path.join(self.dst, "wrongsum.txt")))
        s.close()

    def test_malformed_headers_close_the_connection(self):
        for bad in (self.header("x", 1, name_len=65535)[:23],  # huge name length
                    self.header("x", 2**63),                  # size overflow
                    b"\x09"):                                 # unknown type
            s = self.hello()
            s.sendall(bad)
            code, msg = self.refused(s)
            self.assertEqual(code, 1, msg)
            self.assertEqual(s.recv(10), b"")
            s.close()
        s = connect(self.rx.port)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")  # not our protocol at all
        self.assertEqual(s.recv(10), b"")
        s.close()
        self.rx.wait_stderr(r"bad magic")

    def test_still_serving_after_all_that(self):
        self.test_traversal_names_refused_nothing_outside()
        self.test_malformed_headers_close_the_connection()
        path = os.path.join(self.tmp.name, "good.txt")
        with open(path, "wb") as f:
            f.write(b"fine\n")
        run(self, "ftsend", "-p", str(self.rx.port), "localhost", path, check_rc=0)
        with open(os.path.join(self.dst, "good.txt"), "rb") as f:
            self.assertEqual(f.read(), b"fine\n")
        self.assertEqual(self.rx.stop(), 0)


class HostileReceiverTest(unittest.TestCase):
    """A raw receiver that answers ftsend with bytes no ftrecv sends: the
    sender must give up with a clear message, never read what a bad length
    announces, and never print the receiver's words raw."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.path = write(os.path.join(self.tmp.name, "f.txt"), b"data\n")

    def send_to(self, after_header, after_trailer=None):
        def serve(c):
            recv_exactly(c, 8)
            c.sendall(b"SLFT\x02\x00\x00\x00")
            fixed = recv_exactly(c, 23)
            name_len, _, size = struct.unpack(">HIQ", fixed[1:15])
            recv_exactly(c, name_len)
            c.sendall(after_header)
            if after_trailer is not None:
                recv_exactly(c, size + 4)
                c.sendall(after_trailer)
            c.shutdown(socket.SHUT_WR)  # all it gets; then wait for ftsend to be done
            try:
                recv_until_eof(c)
            except ConnectionResetError:
                pass  # it left without reading all we sent, as it should

        port, t = serve_once(self, serve)
        p = run(self, "ftsend", "-p", str(port), "127.0.0.1", self.path)
        t.join(30)
        return p

    def test_file_shrinking_while_sent_is_an_error_not_a_crash(self):
        # The file is cut while it is being sent: sendfile() comes back short,
        # or the checksum's mapping reads past the new end (a SIGBUS without
        # the guard). ftsend must say so and exit 1, not die of a signal.
        size = 64 << 20
        big = write(os.path.join(self.tmp.name, "big.bin"), os.urandom(size))
        cut = (24 << 20) + 5
        got = []

        def serve(c):
            recv_exactly(c, 8)
            c.sendall(b"SLFT\x02\x00\x00\x00")
            fixed = recv_exactly(c, 23)
            recv_exactly(c, struct.unpack(">H", fixed[1:3])[0])
            c.sendall(b"\x00" + bytes(8))  # GO
            first = recv_exactly(c, 1 << 20)
            os.truncate(big, cut)
            got.append(len(first) + len(recv_until_eof(c)))

        port, t = serve_once(self, serve)
        p = run(self, "ftsend", "-q", "-p", str(port), "127.0.0.1", big, check_rc=1)
        t.join(30)
        self.assertIn(b"big.bin: the file changed or could not be read while sending", p.stderr)
        self.assertTrue(got)
        self.assertLessEqual(got[0], cut)  # never more than the file still had

    def test_unknown_status_is_malformed(self):
        # Before sl_ft_decode_answer, any status but GO was read as REFUSED.
        p = self.send_to(b"\x07" + bytes(8))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"ftsend: f.txt: malformed answer: unknown status 7", p.stderr)

    def test_oversize_message_is_malformed(self):
        p = self.send_to(struct.pack(">BHH", 1, 2, 300) + b"m" * 300)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"f.txt: malformed answer: text length 300 (0-256 allowed)", p.stderr)

    def test_cut_answer_is_a_lost_connection(self):
        p = self.send_to(b"\x00\x00\x00")  # GO cut after 3 of its 9 bytes
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"f.txt: connection lost: connection ended inside an answer", p.stderr)

    def test_stored_name_is_shown_escaped(self):
        go = b"\x00" + bytes(8)
        p = self.send_to(go, b"\x00" + struct.pack(">H", 6) + b"x\x1b[2Jy")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"ftsend: f.txt: stored as x^[[2Jy", p.stderr)


if __name__ == "__main__":
    unittest.main()
