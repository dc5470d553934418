"""The README's quick-start line works as written, as root on a machine
without sudo and as a user with sudo: run with stand-ins for apt-get, sudo,
cmake and the server that log what they were asked to do."""
import os
import subprocess
import tempfile
import unittest

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
LOGGER = '#!/bin/sh\necho "${0##*/} $*" >> "$LOG"\n'
SUDO = '#!/bin/sh\necho "sudo $*" >> "$LOG"\nexec "$@"\n'


def quick_start_lines():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [l.strip() for l in section.splitlines() if l.startswith("    ")]


class QuickStartTest(unittest.TestCase):
    def run_build_line(self, with_sudo):
        line = next(l for l in quick_start_lines() if "apt-get" in l)
        with tempfile.TemporaryDirectory() as d:
            stubs = os.path.join(d, "stubs")
            os.makedirs(stubs)
            os.makedirs(os.path.join(d, "build", "bin"))
            scripts = {"apt-get": LOGGER, "cmake": LOGGER,
                       os.path.join("..", "build", "bin", "tcpchat-server"): LOGGER}
            if with_sudo:
                scripts["sudo"] = SUDO
            for name, body in scripts.items():
                path = os.path.join(stubs, name)
                with open(path, "w") as f:
                    f.write(body)
                os.chmod(path, 0o755)
            log = os.path.join(d, "log")
            p = subprocess.run(["/bin/bash", "-c", line], cwd=d, capture_output=True,
                               env={"PATH": stubs, "LOG": log})
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            with open(log) as f:
                return f.read().splitlines()

    def test_as_root_without_sudo(self):
        calls = self.run_build_line(with_sudo=False)
        self.assertEqual(calls[:2], ["apt-get update", "apt-get install -y cmake gcc make"])
        self.assertEqual(calls[2:], ["cmake --preset release", "cmake --build --preset release",
                                     "tcpchat-server "])

    def test_as_a_user_with_sudo(self):
        calls = self.run_build_line(with_sudo=True)
        self.assertEqual([c for c in calls if c.startswith("sudo")],
                         ["sudo apt-get update", "sudo apt-get install -y cmake gcc make"])
        self.assertEqual(calls[-1], "tcpchat-server ")

    def test_then_the_suite(self):
        self.assertIn("./scripts/check", quick_start_lines())
        self.assertTrue(os.access(os.path.join(os.path.dirname(README), "scripts", "check"),
                                  os.X_OK))


if __name__ == "__main__":
    unittest.main()
