"""ftrecv.exe (cross-built by the `windows` preset) under Wine: the Linux
ftsend and ftsend.exe hand files in to it, and every guarantee of the Linux
ftrecv holds: names UTF-8 on the wire and UTF-16 on disk (seen from Linux as
UTF-8 again, since Wine's Z: drive is the Linux root), the names Windows
cannot hold refused with a message, resume only from a prefix whose SHA-256
is the sender's (CHECK/DIGEST), IDENTICAL on a rerun, and no symlink ever
followed out of the inbox.

What Wine 8 does with links, found out for these tests: a Linux symlink is
no reparse point to CreateFileW, even with FILE_FLAG_OPEN_REPARSE_POINT it
opens what the link leads to (GetFileAttributesW says REPARSE_POINT for a
link to a directory only), and DeleteFileW/RemoveDirectoryW remove the
link's target. The platform layer therefore also compares each handle's
final path with the name it opened; these tests plant Linux symlinks. A
Windows-made symlink or junction cannot be tested: Wine 8's
CreateSymbolicLinkW says it succeeded and makes nothing.
"""
# labels: windows
import glob
import os
import re
import struct
import subprocess
import tempfile
import time
import unittest

from socklab_test import connect, recv_exactly, tool
from test_ft import documented_key
from test_hostile_ft import HELLO, MTIME, crc32c, header, write
from wine_test import CHINESE, WINE, WineServer, exe, prefix_dir, start_wine, stop_wine, wine_env


def setUpModule():
    start_wine()


def tearDownModule():
    stop_wine()


class WindowsFtrecv(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.mkdtemp(prefix="socklab-ftrecv-", dir=prefix_dir())
        self.src, self.dst = os.path.join(tmp, "src"), os.path.join(tmp, "dst")
        self.outside = os.path.join(tmp, "outside")
        for d in (self.src, self.dst, self.outside):
            os.makedirs(d)
        self.rx = None

    def tearDown(self):
        if self.rx:
            self.rx.stop()

    def receiver(self, *args):
        """ftrecv.exe on DST (a Linux path: Wine reads it on drive Z:)."""
        self.rx = WineServer("ftrecv", "-d", self.dst, *args)
        return self.rx

    def wait_stderr(self, pattern, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            err = self.rx.stderr().decode("utf-8", "replace")
            if re.search(pattern, err):
                return err
            time.sleep(0.05)
        self.fail(f"ftrecv.exe never said {pattern!r}: {err}")

    def send(self, *args, rc=0, cwd=None):
        p = subprocess.run([tool("ftsend"), "-q", "-p", self.rx.port, "127.0.0.1", *args],
                           capture_output=True, timeout=120, cwd=cwd)
        self.assertEqual(p.returncode, rc, p.stderr.decode("utf-8", "replace"))
        return p.stderr.decode("utf-8", "replace")

    def stored(self):
        """What is in DST, as Linux sees it (the hand-in log aside)."""
        out = []
        for root, dirs, files in os.walk(self.dst):
            for n in dirs + files:
                path = os.path.relpath(os.path.join(root, n), self.dst)
                if path != ".ftrecv.log":
                    out.append(path)
        return sorted(out)

    def content(self, *parts):
        with open(os.path.join(self.dst, *parts), "rb") as f:
            return f.read()

    def test_linux_ftsend_chinese_names_then_identical(self):
        self.receiver("--trace")
        write(os.path.join(self.src, "作业一.txt"), CHINESE)
        os.makedirs(os.path.join(self.src, "报告"))
        blob = os.urandom(3 << 20)
        write(os.path.join(self.src, "报告", "第二章 网络.bin"), blob)
        os.chmod(os.path.join(self.src, "作业一.txt"), 0o644)
        self.send("-r", "作业一.txt", "报告", cwd=self.src)
        self.assertEqual(self.stored(), ["作业一.txt", "报告", "报告/第二章 网络.bin"])
        self.assertEqual(self.content("作业一.txt"), CHINESE)
        self.assertEqual(self.content("报告", "第二章 网络.bin"), blob)
        # SetFileTime: the sender's modification time, seen from Linux.
        self.assertEqual(int(os.stat(os.path.join(self.dst, "作业一.txt")).st_mtime), MTIME)
        with open(os.path.join(self.dst, ".ftrecv.log"), encoding="utf-8") as f:
            log = f.read()
        self.assertIn('"报告/第二章 网络.bin",3145728,', log)
        # ISO 8601 with the offset (the Windows C runtime's %z is no offset).
        self.assertRegex(log, r'\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4},"127\.0\.0\.1",')
        # Sent again: SHA-256 checked, IDENTICAL, no "作业一.1.txt".
        err = self.send("-r", "作业一.txt", "报告", cwd=self.src)
        self.assertIn("作业一.txt: already stored, identical", err)
        self.assertIn("报告/第二章 网络.bin: already stored, identical", err)
        self.assertEqual(self.stored(), ["作业一.txt", "报告", "报告/第二章 网络.bin"])
        rc = self.rx.stop()
        err = self.rx.stderr().decode("utf-8", "replace")
        self.assertRegex(err, r'\[1/9\] WSAStartup\(2\.2\) = 0: Winsock version 2\.2, "[^"]+"')
        self.assertIn("[9/9] WSACleanup() = 0", err)
        self.assertEqual(rc, 0, err)

    def test_windows_ftsend_to_windows_ftrecv(self):
        self.receiver()
        write(os.path.join(self.src, "实验报告.txt"), CHINESE)
        blob = os.urandom(500000)
        os.makedirs(os.path.join(self.src, "子目录"))
        write(os.path.join(self.src, "子目录", "数据.bin"), blob)
        p = subprocess.run([WINE, exe("ftsend"), "-q", "-p", self.rx.port, "-r", "127.0.0.1",
                            os.path.join(self.src, "实验报告.txt"),
                            os.path.join(self.src, "子目录")],
                           env=wine_env(), capture_output=True, timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        self.assertEqual(self.stored(), ["子目录", "子目录/数据.bin", "实验报告.txt"])
        self.assertEqual(self.content("实验报告.txt"), CHINESE)
        self.assertEqual(self.content("子目录", "数据.bin"), blob)

    def test_windows_reserved_names_refused_nothing_written(self):
        self.receiver()
        names = {"CON": "is the Windows device CON",
                 "nul.txt": "is the Windows device nul",
                 "Com1.tar.gz": "is the Windows device Com1",
                 "a.": "ends in '.'",
                 "b ": "ends in ' '",
                 "x:y": "':' names an NTFS stream",
                 "q?": "'?' in \"q?\"",
                 "lpt3/inner.txt": "is the Windows device lpt3"}
        for n in names:
            write(self._nested(n), b"data\n")
        write(os.path.join(self.src, "fine.txt"), b"fine\n")
        sent = [n for n in names if "/" not in n] + ["lpt3"]  # lpt3/ as a tree
        err = self.send("-r", *sent, "fine.txt", cwd=self.src, rc=1)
        for n, why in names.items():
            self.assertRegex(err, rf"ftsend: {re.escape(n)}: refused by receiver: .*{re.escape(why)}")
        # Nothing written for them (no file, no partial, no directory), and
        # the connection went on to the next file.
        self.assertEqual(self.stored(), ["fine.txt"])
        self.wait_stderr(r"x:y refused: ':' in \"x:y\"")
        # A sender name Windows cannot hold is refused too (--per-sender).
        err = self.send("--as", "aux", "fine.txt", rc=1, cwd=self.src)
        self.assertIn("is the Windows device aux", err)

    def test_per_sender_address_folders_windows_can_hold(self):
        """An IPv6 sender's folder: ':' is no name character on Windows (it
        would name a stream), so "::1" becomes "--1"; IPv4 and --as as they are."""
        self.receiver("--per-sender")
        write(os.path.join(self.src, "a.txt"), b"hi")
        subprocess.run([tool("ftsend"), "-q", "-p", self.rx.port, "::1", "a.txt"],
                       cwd=self.src, check=True, capture_output=True, timeout=60)
        self.send("a.txt", cwd=self.src)
        self.send("--as", "小明", "a.txt", cwd=self.src)
        self.assertEqual(self.stored(), ["--1", "--1/a.txt", "127.0.0.1", "127.0.0.1/a.txt",
                                         "小明", "小明/a.txt"])

    def _nested(self, name):
        path = os.path.join(self.src, *name.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def plant_prefix(self, name, prefix, size):
        """An interrupted transfer: a raw sender sends PREFIX of NAME's SIZE
        bytes and leaves; ftrecv.exe keeps it as NAME's partial file."""
        s = connect(int(self.rx.port))
        s.sendall(HELLO)
        self.assertEqual(recv_exactly(s, 8), HELLO)
        s.sendall(header(name, size))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO 0
        s.sendall(prefix)
        s.close()
        self.wait_stderr(re.escape(name) + " interrupted")

    def test_resume_after_an_interrupted_transfer(self):
        self.receiver()
        data = os.urandom(3 << 20)
        path = write(os.path.join(self.src, "论文.bin"), data)
        cut = (1 << 20) + 12345
        self.plant_prefix("论文.bin", data[:cut], len(data))
        part = os.path.join(self.dst, ".ftpart-" + documented_key("论文.bin".encode(), len(data),
                                                                    MTIME))
        with open(part, "rb") as f:  # the temporary name docs/protocol.md defines
            self.assertEqual(f.read(), data[:cut])
        self.assertFalse(os.path.exists(os.path.join(self.dst, "论文.bin")))  # no half file
        err = self.send(path)
        self.assertIn(f"论文.bin: resuming at byte {cut} of {len(data)}", err)
        self.assertEqual(self.content("论文.bin"), data)
        self.assertEqual(self.stored(), ["论文.bin"])
        with open(os.path.join(self.dst, ".ftrecv.log"), encoding="utf-8") as f:
            self.assertRegex(f.read(), r'"论文\.bin",3145728,[0-9a-f]{8},yes')

    def test_planted_prefix_not_the_senders_starts_over(self):
        self.receiver()
        data = os.urandom(100000)
        path = write(os.path.join(self.src, "hw.bin"), data)
        self.plant_prefix("hw.bin", b"ATTACKER" * 1000, len(data))
        err = self.send(path)
        self.assertNotIn("resuming", err)
        self.assertEqual(self.content("hw.bin"), data)
        self.wait_stderr(r"hw\.bin the 8000 bytes kept are not the sender's: starting over")
        self.assertEqual(self.stored(), ["hw.bin"])

    def test_planted_symlinks_are_never_followed(self):
        self.receiver()
        secret = write(os.path.join(self.outside, "secret"), b"not for the inbox")
        # A directory link: sub/ leads outside the inbox.
        os.symlink(self.outside, os.path.join(self.dst, "sub"))
        write(self._nested("sub/f.txt"), b"through the link?")
        err = self.send("-r", "sub", rc=1, cwd=self.src)
        self.assertIn("sub/f.txt: refused by receiver: cannot use directory sub: "
                      "it is a symbolic link", err)
        self.assertEqual(sorted(os.listdir(self.outside)), ["secret"])
        # A file link under the final name: a new name, the target untouched.
        os.symlink(secret, os.path.join(self.dst, "notes.txt"))
        write(os.path.join(self.src, "notes.txt"), b"my notes")
        err = self.send("notes.txt", cwd=self.src)
        self.assertEqual(self.content("notes.1.txt"), b"my notes")
        self.assertTrue(os.path.islink(os.path.join(self.dst, "notes.txt")))
        with open(secret, "rb") as f:
            self.assertEqual(f.read(), b"not for the inbox")

    def test_link_planted_as_the_temporary_name_is_not_written_through(self):
        """Linux removes such a link and stores the file; under Wine the link
        cannot be removed by itself (its delete calls reach the target), so
        the file is refused, and the target stays as it was."""
        self.receiver()
        secret = write(os.path.join(self.outside, "secret"), b"not for the inbox")
        path = write(os.path.join(self.src, "t.txt"), b"data")
        tmp = ".ftpart-" + documented_key(b"t.txt", 4, MTIME)
        os.symlink(secret, os.path.join(self.dst, tmp))
        err = self.send(path, rc=1)
        self.assertIn(f"t.txt: refused by receiver: cannot create a temporary file: {tmp} is a "
                      "link, not followed", err)
        with open(secret, "rb") as f:
            self.assertEqual(f.read(), b"not for the inbox")
        self.assertEqual(self.stored(), [tmp])
        self.assertTrue(os.path.islink(os.path.join(self.dst, tmp)))

    def test_overwrite_replaces_a_planted_link_not_its_target(self):
        self.receiver("--overwrite")
        secret = write(os.path.join(self.outside, "secret"), b"not for the inbox")
        os.symlink(secret, os.path.join(self.dst, "notes.txt"))
        write(os.path.join(self.src, "notes.txt"), b"my notes")
        self.send("notes.txt", cwd=self.src)
        self.assertFalse(os.path.islink(os.path.join(self.dst, "notes.txt")))
        self.assertEqual(self.content("notes.txt"), b"my notes")
        with open(secret, "rb") as f:
            self.assertEqual(f.read(), b"not for the inbox")

    def test_temporary_file_swapped_for_a_symlink_is_never_stored(self):
        self.receiver()
        secret = write(os.path.join(self.outside, "secret"), b"not for the inbox")
        data = os.urandom(1 << 16)
        s = connect(int(self.rx.port))
        s.sendall(HELLO)
        self.assertEqual(recv_exactly(s, 8), HELLO)
        s.sendall(header("swap.txt", len(data)))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO 0
        s.sendall(data[:1000])
        deadline = time.monotonic() + 20
        part = []
        while time.monotonic() < deadline:  # ftrecv.exe has written what we sent
            part = glob.glob(os.path.join(self.dst, ".ftpart-*"))
            if part and os.path.getsize(part[0]) == 1000:
                break
            time.sleep(0.02)
        self.assertTrue(part)
        os.unlink(part[0])
        os.symlink(secret, part[0])
        s.sendall(data[1000:] + struct.pack(">I", crc32c(data)))
        status = recv_exactly(s, 1)[0]
        code = struct.unpack(">H", recv_exactly(s, 2))[0]
        msg = recv_exactly(s, struct.unpack(">H", recv_exactly(s, 2))[0]).decode()
        s.close()
        self.assertEqual((status, code), (1, 6), msg)  # FAILED, never STORED
        self.assertIn("the temporary file was replaced during the transfer", msg)
        self.assertFalse(os.path.lexists(os.path.join(self.dst, "swap.txt")))
        with open(secret, "rb") as f:
            self.assertEqual(f.read(), b"not for the inbox")

    def test_failed_file_leaves_no_directories(self):
        """A wrong checksum: the file is not stored, and the directories made
        for it are removed again (through handles, FileDispositionInfo)."""
        self.receiver()
        s = connect(int(self.rx.port))
        s.sendall(HELLO)
        self.assertEqual(recv_exactly(s, 8), HELLO)
        s.sendall(header("新/目录/f.txt", 10))
        self.assertEqual(recv_exactly(s, 9), b"\x00" + bytes(8))  # GO 0
        s.sendall(b"0123456789" + struct.pack(">I", crc32c(b"something else")))
        status, code = recv_exactly(s, 1)[0], struct.unpack(">H", recv_exactly(s, 2))[0]
        msg = recv_exactly(s, struct.unpack(">H", recv_exactly(s, 2))[0]).decode()
        s.close()
        self.assertEqual((status, code), (1, 7), msg)  # FAILED, SL_FT_E_CHECKSUM
        self.assertIn("checksum mismatch", msg)
        self.assertEqual(self.stored(), [])

    def test_list_and_clean_partial_files(self):
        self.receiver()
        data = os.urandom(50000)
        self.plant_prefix("old.bin", data[:7000], len(data))
        self.rx.stop()
        self.rx = None
        p = subprocess.run([WINE, exe("ftrecv"), "-d", self.dst, "--list-partial"],
                           env=wine_env(), capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.decode(), r"0\.0 h +7000 bytes +.*\.ftpart-[0-9a-f]{16}")
        p = subprocess.run([WINE, exe("ftrecv"), "-d", self.dst, "--clean-partial", "0"],
                           env=wine_env(), capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"1 partial files, 1 removed", p.stdout)
        self.assertEqual(self.stored(), [])

    def test_windows_made_links(self):
        self.skipTest("Wine 8 cannot make a Windows symlink or junction (CreateSymbolicLinkW "
                      "says it did and makes nothing), so FILE_ATTRIBUTE_REPARSE_POINT on an "
                      "opened handle is not tested here; Linux symlinks are (the tests above)")


if __name__ == "__main__":
    unittest.main()
