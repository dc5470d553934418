"""The man pages (docs/man/*.1): each renders without a warning from man or
groff, documents every option its tool's --help lists, and shows the
--step prompt as a line of its own, as the program prints it."""
import glob
import os
import re
import shutil
import subprocess
import unittest

from socklab_test import run

MAN = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "man")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z0-9])(?![\w-])")


def pages():
    return sorted(glob.glob(os.path.join(MAN, "*.1")))


def options_in_help(text):
    """The options --help lists: the first words of its indented lines."""
    found = set()
    for line in text.splitlines():
        m = re.match(r"^\s+((?:-[a-zA-Z0-9], )?--?[a-zA-Z0-9][\w-]*)", line)
        if m:
            found.update(OPTION.findall(m.group(1)))
    return found


class ManPagesTest(unittest.TestCase):
    def setUp(self):
        for cmd in ("man", "groff"):
            if not shutil.which(cmd):
                self.skipTest(f"{cmd} not installed")
        self.assertTrue(pages(), "no man pages")

    def render(self, page):
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
        p = subprocess.run(["man", "--warnings=all", "-l", page], capture_output=True, env=env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stderr.decode(), "", f"{page}: man warns")
        # groff itself, every warning on (-ww), UTF-8 input through preconv (-k)
        g = subprocess.run(["groff", "-k", "-man", "-ww", "-z", "-Tutf8", page],
                           capture_output=True, env=env, timeout=60)
        self.assertEqual(g.stderr.decode(), "", f"{page}: groff warns")
        # man pipes through col -b when not on a terminal; strip any overstrike left
        return re.sub(r".\x08", "", p.stdout.decode())

    def test_every_page_renders_without_warnings(self):
        for page in pages():
            with self.subTest(page=os.path.basename(page)):
                self.render(page)

    def test_every_option_of_help_is_in_the_man_page(self):
        for page in pages():
            name = os.path.basename(page)[:-2]
            with self.subTest(tool=name):
                listed = options_in_help(run(self, name, "--help", check_rc=0).stdout.decode())
                self.assertIn("--help", listed)
                self.assertIn("--version", listed)
                documented = set(OPTION.findall(self.render(page).replace("\u2010", "-")))
                self.assertEqual(listed - documented, set(), f"{name}.1 lacks these options")

    def test_step_prompt_is_shown_as_printed(self):
        prompt = re.compile(r"^\s+--step: next \[\d+/\d+\] [a-z ]+: press Enter "
                            r"\(or kill -USR1 \d+\)$", re.M)
        for page in pages():
            text = self.render(page)
            if "--step" in text:
                with self.subTest(page=os.path.basename(page)):
                    self.assertRegex(text, prompt)


if __name__ == "__main__":
    unittest.main()
