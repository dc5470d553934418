"""tcpchat-server against hostile and unlucky clients: one test per finding of
the "classroom-proof servers" review (commands read past the line, spaces that
are not ASCII, nicks that pass for someone else or for the server)."""
# labels: threaded
import unittest

from socklab_test import Server
from test_tcpchat import Peer

INVALID_NICK = rb"^!!! invalid nick \(%s\): "


class HostileChatTest(unittest.TestCase):
    def setUp(self):
        self.srv = Server(self, "tcpchat-server")
        self.peers = []

    def tearDown(self):
        for p in self.peers:
            p.close()

    def peer(self, nick=None):
        p = Peer(self.srv.port)
        self.peers.append(p)
        if nick:
            p.send("/nick " + nick)
            p.expect(b"^\\*\\*\\* you are now known as " + nick.encode() + b"$")
        return p

    def assert_alive(self, p):
        """The server still answers P, and no sanitizer has spoken."""
        p.send("/who")
        p.expect(rb"^\*\*\* \d+ online: ")
        self.assertTrue(self.srv.alive(), self.srv.stderr)

    def test_full_line_then_nick_does_not_read_past_the_line(self):
        # A 4096-byte line with its CRLF fills every byte of the reader's
        # buffer (4098) with non-NUL bytes, however TCP splits it; the old
        # nick check ran strstr() from "x" through them and beyond.
        a, b = self.peer("alice"), self.peer()
        a.expect(b"joined$")
        b.send("a" * 4096 + "\r")
        a.expect(b"^" + b.nick.encode() + b": a{4096}$")
        b.send("/nick x")
        b.expect(rb"^\*\*\* you are now known as x$")
        self.assert_alive(b)

    def test_msg_text_may_hold_ideographic_space(self):
        a, b = self.peer("alice"), self.peer("bob")
        b.send("/msg alice 你好　世界")  # U+3000 between the words, as an IME types it
        a.expect("^\\[private\\] bob: 你好　世界$".encode())
        b.expect("^\\[private to alice\\] 你好　世界$".encode())

    def test_nick_accepted_after_a_line_with_no_break_space(self):
        # Left in the reader's buffer behind the shorter /nick line, the old
        # check found the U+00A0 of the previous line.
        a, b = self.peer("alice"), self.peer()
        b.send("the price is 100\u00a0元")  # the U+00A0 lies past the /nick line
        a.expect("^{}: the price is 100\u00a0元$".format(b.nick).encode())
        b.send("/nick 李雷")
        b.expect("^\\*\\*\\* you are now known as 李雷$".encode())

    def expect_refused(self, p, nick, why):
        p.send(b"/nick " + nick.encode())
        p.expect(INVALID_NICK % why)

    def test_nicks_with_any_unicode_white_space_refused(self):
        a = self.peer("alice")
        for ws in ("\u00a0", "\u1680", "\u2000", "\u2007", "\u200a", "\u2028", "\u2029",
                   "\u202f", "\u205f", "\u3000", "\t"):
            self.expect_refused(a, "ali" + ws + "ce", b"white space")
        self.expect_refused(a, "two words", b"white space")
        self.assert_still_called(a, "alice")

    def test_nicks_with_bidi_controls_refused(self):
        a = self.peer("alice")
        for bidi in ("\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c"):
            self.expect_refused(a, "admin" + bidi + "x", b"bidi control characters")
        self.assert_still_called(a, "alice")

    def test_nicks_with_zero_width_characters_refused(self):
        self.peer("alice")  # the nick the others would pass for
        b = self.peer("bob")
        for zw in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"):
            self.expect_refused(b, "ali" + zw + "ce", b"zero-width characters")
        self.assert_still_called(b, "bob")

    def test_nicks_that_look_like_the_server_refused(self):
        a = self.peer("alice")
        for fake in ("!!!x", "!!!", "***", "***admin", "[admin]", "[private]"):
            self.expect_refused(a, fake, rb"starts like a server line: \*\*\*, !!! or \[")
        self.assert_still_called(a, "alice")
        a.send("/nick x!!!")  # only the start matters
        a.expect(rb"^\*\*\* you are now known as x!!!$")

    def test_nicks_with_controls_refused(self):
        a = self.peer("alice")
        for ctl in ("\x1b[31m", "\x7f", "\u0085", "\u009b"):
            a.send(("/nick a" + ctl + "b").encode())
            a.expect(INVALID_NICK % (b"white space" if ctl == "\u0085" else b"control characters"))
        a.send(b"/nick a\xffb")
        a.expect(INVALID_NICK % b"invalid UTF-8")
        self.assert_still_called(a, "alice")

    def assert_still_called(self, p, nick):
        p.send("/who")
        m = p.expect(rb"^\*\*\* \d+ online: (.*)$")
        self.assertIn(nick.encode(), m.group(1).split(b", "))


if __name__ == "__main__":
    unittest.main()
