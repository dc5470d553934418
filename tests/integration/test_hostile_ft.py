"""ftrecv and ftsend against what a class of students does to them (issue 13,
items 7-11): an inbox without free descriptors, a temporary file swapped
mid-transfer, a planted prefix with a forged CRC, a v1 peer, a killed
multi-file sender sent again, a 255-byte name sent twice."""
# labels: threaded
import glob
import os
import resource
import signal
import struct
import subprocess
import tempfile
import time
import unittest

from socklab_test import Server, connect, recv_exactly, recv_until_eof, run, serve_once, tool

HELLO = b"SLFT\x02\x00\x00\x00"
MTIME = 1_700_000_000


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()
CRC_TOP = {c >> 24: i for i, c in enumerate(CRC_TABLE)}  # top bytes are unique


def crc_register(data, reg=0xFFFFFFFF):
    for b in data:
        reg = CRC_TABLE[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg


def crc32c(data):
    return crc_register(data) ^ 0xFFFFFFFF


def forge(lead, target):
    """LEAD plus 4 bytes whose CRC-32C register equals TARGET's: the CRC of
    anything that follows is then the same as after TARGET (same length)."""
    want = crc_register(target)
    idx, r = [], want
    for _ in range(4):  # backwards: each table index from the register's top byte
        i = CRC_TOP[r >> 24]
        idx.append(i)
        r = ((r ^ CRC_TABLE[i]) << 8) & 0xFFFFFFFF
    reg, tail = crc_register(lead), bytearray()
    for i in reversed(idx):  # forwards: the byte that selects each index
        tail.append((reg ^ i) & 0xFF)
        reg = CRC_TABLE[i] ^ (reg >> 8)
    forged = lead + bytes(tail)
    assert crc_register(forged) == want and len(forged) == len(target)
    return forged


def header(name, size, mtime=MTIME, mode=0o644):
    raw = name.encode()
    return struct.pack(">BHIQq", 1, len(raw), mode, size, mtime) + raw


def write(path, data, mtime=MTIME):
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (mtime, mtime))
    return path


class HostileFtTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.src = os.path.join(self.tmp.name, "src")
        self.dst = os.path.join(self.tmp.name, "dst")
        os.makedirs(self.src)
        os.makedirs(self.dst)
        self.rx = Server(self, "ftrecv", "-d", self.dst)

    def hello(self):
        s = connect(self.rx.port)
        s.sendall(HELLO)
        self.assertEqual(recv_exactly(s, 8), HELLO)
        return s

    def send(self, *args, rc=0):
        return run(self, "ftsend", "-q", "-p", str(self.rx.port), "127.0.0.1", *args,
                   timeout=120, check_rc=rc)

    def answer(self, s):
        """(status, code, text) of an answer with text (REFUSED/FAILED/STORED)."""
        status = recv_exactly(s, 1)[0]
        code = struct.unpack(">H", recv_exactly(s, 2))[0] if status == 1 else 0
        n = struct.unpack(">H", recv_exactly(s, 2))[0]
        return status, code, recv_exactly(s, n).decode(errors="replace")

    def names(self):
        return sorted(n for n in os.listdir(self.dst) if n != ".ftrecv.log")

    # item 7
    def test_out_of_descriptors_gives_a_readable_refusal(self):
        # Lower ftrecv's fd limit so that accept() gets the last descriptor
        # and open_parent()'s dup() fails: before, REFUSED 0 and garbage.
        pid = self.rx.proc.pid
        used = {int(n) for n in os.listdir(f"/proc/{pid}/fd")}
        free = [n for n in range(max(used) + 3) if n not in used][:2]
        old = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (free[1], old[1]))
        try:
            s = self.hello()
            s.sendall(header("fd.txt", 3))
            status, code, msg = self.answer(s)
            self.assertEqual((status, code), (1, 6), msg)
            self.assertEqual(msg, "cannot open the receiving directory: Too many open files")
            s.sendall(b"\x02")
            s.close()
        finally:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, old)
        self.send(write(os.path.join(self.src, "fd.txt"), b"abc"))  # still serving
        self.assertEqual(self.names(), ["fd.txt"])

    # item 8
    def swap_mid_transfer(self, swap):
        data = os.urandom(1 << 16)
        s = self.hello()
        s.sendall(header("swap.txt", len(data)))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO 0
        s.sendall(data[:1000])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the receiver has written what we sent
            part = glob.glob(os.path.join(self.dst, ".ftpart-*"))
            if part and os.path.getsize(part[0]) == 1000:
                break
            time.sleep(0.01)
        swap(part[0])
        s.sendall(data[1000:] + struct.pack(">I", crc32c(data)))
        status, code, msg = self.answer(s)
        s.close()
        self.assertEqual((status, code), (1, 6), msg)  # FAILED, never STORED
        self.assertIn("the temporary file was replaced during the transfer", msg)
        self.assertFalse(os.path.lexists(os.path.join(self.dst, "swap.txt")))

    def test_temporary_file_swapped_for_a_symlink_is_never_stored(self):
        secret = write(os.path.join(self.tmp.name, "secret"), b"not for the inbox")

        def to_symlink(part):
            os.unlink(part)
            os.symlink(secret, part)

        self.swap_mid_transfer(to_symlink)
        with open(secret, "rb") as f:
            self.assertEqual(f.read(), b"not for the inbox")

    def test_temporary_file_swapped_for_another_file_is_never_stored(self):
        def to_own_file(part):
            planted = write(os.path.join(self.dst, "planted"), b"A" * (1 << 16))
            os.rename(planted, part)

        self.swap_mid_transfer(to_own_file)
        part = glob.glob(os.path.join(self.dst, ".ftpart-*"))
        with open(part[0], "rb") as f:  # the planted file is not ours to remove
            self.assertEqual(f.read(), b"A" * (1 << 16))

    # item 9
    def plant_prefix(self, name, prefix, size):
        s = self.hello()
        s.sendall(header(name, size))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))
        s.sendall(prefix)
        s.close()
        self.rx.wait_stderr(name.replace(".", r"\.") + " interrupted")

    def test_forged_prefix_with_the_right_crc_is_not_resumed(self):
        data = os.urandom(1 << 16)
        path = write(os.path.join(self.src, "hw.bin"), data)
        cut = 1 << 14
        forged = forge((b"ATTACKER WAS HERE " * 1000)[:cut - 4], data[:cut])
        self.assertEqual(crc32c(forged + data[cut:]), crc32c(data))  # CRC cannot tell
        self.plant_prefix("hw.bin", forged, len(data))
        self.send(path)
        with open(os.path.join(self.dst, "hw.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.rx.wait_stderr(r"hw\.bin the 16384 bytes kept are not the sender's: starting over")
        self.assertEqual(self.names(), ["hw.bin"])

    def test_planted_partial_does_not_fail_the_real_hand_in(self):
        data = os.urandom(5000)
        path = write(os.path.join(self.src, "essay.txt"), data)
        self.plant_prefix("essay.txt", b"junk" * 100, len(data))
        self.send(path)  # before: "checksum mismatch", exit 1
        with open(os.path.join(self.dst, "essay.txt"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_honest_resume_is_checked_and_kept(self):
        data = os.urandom(1 << 16)
        path = write(os.path.join(self.src, "mine.bin"), data)
        self.plant_prefix("mine.bin", data[:20000], len(data))  # the sender's own bytes
        self.send(path)
        self.rx.wait_stdout(rb"mine\.bin stored \(65536 bytes, resumed")
        with open(os.path.join(self.dst, "mine.bin"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_resume_from_an_odd_offset_past_the_pipe_size(self):
        # The kept prefix ends inside a page and past the 1 MiB pipe: the
        # rest is spliced from there and checksummed from an unaligned start.
        data = os.urandom((3 << 20) + 999)
        path = write(os.path.join(self.src, "odd.bin"), data)
        cut = (1 << 20) + 4097 + 2
        self.plant_prefix("odd.bin", data[:cut], len(data))
        self.send(path)
        self.rx.wait_stdout(rb"odd\.bin stored \(%d bytes, resumed" % len(data))
        with open(os.path.join(self.dst, "odd.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(self.names(), ["odd.bin"])

    def test_resume_needs_the_senders_digest(self):
        # A raw v2 sender that answers CHECK with a wrong digest starts over.
        data = b"0123456789" * 100
        self.plant_prefix("d.txt", data[:300], len(data))
        s = self.hello()
        s.sendall(header("d.txt", len(data)))
        self.assertEqual(recv_exactly(s, 9), b"\x02" + struct.pack(">Q", 300))  # CHECK 300
        s.sendall(b"\x03" + struct.pack(">Q", 300) + bytes(32))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO from 0
        s.sendall(data + struct.pack(">I", crc32c(data)))
        self.assertEqual(self.answer(s), (0, 0, "d.txt"))
        s.close()

    def test_v1_sender_gets_a_clear_error(self):
        s = connect(self.rx.port)
        s.sendall(b"SLFT\x01\x00\x00\x00")
        self.assertEqual(recv_exactly(s, 8), HELLO)  # what a v1 ftsend reports as version 2
        self.assertEqual(recv_until_eof(s), b"")
        s.close()
        self.rx.wait_stderr(r"protocol version 1, this program speaks 2")

    def fake_receiver(self, answer):
        def serve(c):
            recv_exactly(c, 8)
            c.sendall(answer)

        port, t = serve_once(self, serve)
        path = write(os.path.join(self.src, "v.txt"), b"v")
        p = run(self, "ftsend", "-p", str(port), "127.0.0.1", path, check_rc=1)
        t.join(30)
        return p.stderr

    def test_v1_receiver_gives_a_clear_error(self):
        err = self.fake_receiver(b"SLFT\x01\x00\x00\x00")
        self.assertIn(b"protocol version 1, this program speaks 2", err)
        err = self.fake_receiver(b"")  # a v1 ftrecv closes without a word
        self.assertIn(b"another protocol version", err)

    # item 10
    def test_killed_multi_file_sender_sent_again_stores_no_duplicates(self):
        small = [write(os.path.join(self.src, f"f{i:02}.txt"), os.urandom(1000 + i))
                 for i in range(20)]
        big_data = os.urandom(80 << 20)
        big = write(os.path.join(self.src, "zbig.bin"), big_data)
        argv = [tool("ftsend"), "-q", "-p", str(self.rx.port), "127.0.0.1", *small, big]
        sender = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sizes = []
            for part in glob.glob(os.path.join(self.dst, ".ftpart-*")):
                try:  # a small file's partial may be stored (renamed) meanwhile
                    sizes.append(os.path.getsize(part))
                except FileNotFoundError:
                    pass
            if any(size > (1 << 20) for size in sizes):
                break
            time.sleep(0.005)
        sender.send_signal(signal.SIGKILL)
        sender.wait()
        self.rx.wait_stderr(r"zbig\.bin interrupted")
        p = self.send(*small, big)
        self.assertEqual(p.stderr.count(b"already stored, identical"), 20, p.stderr)
        self.assertEqual(self.names(), sorted(os.path.basename(f) for f in small) + ["zbig.bin"])
        with open(os.path.join(self.dst, "zbig.bin"), "rb") as f:
            self.assertEqual(f.read(), big_data)
        self.rx.wait_stdout(rb"f00\.txt already stored, identical")

    def test_same_size_other_content_is_stored_not_skipped(self):
        # A classmate's file of the same name and size: a CRC could be made to
        # match, the SHA-256 cannot; the real upload is stored beside it.
        write(os.path.join(self.dst, "hw.txt"), b"B" * 100)
        path = write(os.path.join(self.src, "hw.txt"), b"A" * 100)
        p = self.send(path)
        self.assertIn(b"hw.txt: stored as hw.1.txt", p.stderr)
        self.assertEqual(self.names(), ["hw.1.txt", "hw.txt"])

    # item 11
    def test_255_byte_names_sent_twice_are_shortened_not_failed(self):
        for name, second in (("x" * 251 + ".txt", "x" * 249 + ".1.txt"),
                             ("作" * 85, "作" * 84 + ".1")):
            self.assertEqual(len(name.encode()), 255)
            path = os.path.join(self.src, name)
            write(path, b"first")
            self.send(path)
            write(path, b"second")
            p = self.send(path)
            self.assertIn(b"stored as " + second.encode(), p.stderr)
            with open(os.path.join(self.dst, second), "rb") as f:
                self.assertEqual(f.read(), b"second")
            with open(os.path.join(self.dst, name), "rb") as f:
                self.assertEqual(f.read(), b"first")


if __name__ == "__main__":
    unittest.main()
