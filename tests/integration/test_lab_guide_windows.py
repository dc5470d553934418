"""Runs the lab guide's Windows page (docs/lab/{en,zh}/windows.md) for real:
its cmd commands under Wine against the cross-built .exe files, its Linux
commands with the Linux tools, and the output it shows is checked against
what the tools print, so the page cannot drift from them.

The page marks its blocks as test_lab_guide.py's pages do, but with `win:`
(test_lab_guide.py runs only `lab:` marks, and not this page):

    <!-- win: bg NAME wait=REGEX -->  a ```bat block `bin\\TOOL.exe ARGS`, started in the
                                      background under Wine, as in a cmd console of its
                                      own; wait until its output matches REGEX
    <!-- win: run expect=REGEX -->    each line of a ```bat block through Wine's `cmd /c`;
                                      each must exit 0 (rc=N: N), and their output must
                                      match every expect= (optional)
    <!-- win: linux expect=REGEX -->  a ```sh block run by bash on Linux, the Linux tools
                                      first on PATH; as run otherwise
    <!-- win: stop NAME -->           Ctrl-C to NAME (SIGINT: Wine makes it a console
                                      Ctrl-C); it must exit 0
    <!-- win: shows [NAME] -->        a ```text block of output the page shows: each of its
                                      lines must match a whole line NAME printed (without
                                      NAME: the block run just before), in order; `…`
                                      stands for text that differs between runs

Each `## ` section with marks is run on its own (a section naming an .exe the
Windows build lacks is skipped, saying which). The page's fixed ports are moved
to free ones, as test_lab_guide.py does without a namespace, and the classroom's
addresses (the teacher's PC 192.168.1.10, the student's 192.168.1.23) become
127.0.0.1: Wine shares this machine's network. The page names 127.0.0.1, never
`localhost`, so it holds whatever /etc/hosts says localhost is.
"""
# labels: windows
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
import unittest

from hold_ports import held_ports
from socklab_test import BIN, SANITIZER_MARKS
from test_lab_guide import LAB, WINDOWS_PAGE, Background, move_ports, parse_text
from wine_test import WIN_BIN, WINE, start_wine, stop_wine, wine_env

WIN_MARK = re.compile(r"<!-- win: (.*?) -->\s*\n```(?:sh|bat|text)?\n(.*?)```", re.S)
FENCE = re.compile(r"^```(sh|bat)$", re.M)
EXE = re.compile(r"\bbin\\([\w-]+)\.exe\b")
BACKGROUND = re.compile(r"bin\\([\w-]+)\.exe((?: [^\s\"]+)*)")
CLASSROOM = {"192.168.1.10": "127.0.0.1", "192.168.1.23": "127.0.0.1"}
ANY = "…"
STATE = "  state "
ANY_TEXT = "(?:(?!" + re.escape(STATE) + ").)+?"


def page(lang):
    return os.path.join(LAB, lang, WINDOWS_PAGE)


def sections(path):
    """The page's steps: a list for each `## ` section that has any."""
    with open(path, encoding="utf-8") as f:
        parts = f.read().split("\n## ")
    return [steps for steps in (parse_text(part, WIN_MARK) for part in parts) if steps]


def on_loopback(steps):
    """STEPS with the classroom's addresses made 127.0.0.1, in commands,
    marks and shown output alike."""

    def sub(text):
        for addr, here in CLASSROOM.items():
            text = text.replace(addr, here).replace(re.escape(addr), re.escape(here))
        return text

    return [(kind, name, {k: tuple(map(sub, v)) for k, v in opts.items()}, sub(script))
            for kind, name, opts, script in steps]


def shown_pattern(line):
    """The regex for a line the page shows: … is any text, but not none and
    not a `  state ` (so that the state stays checked)."""
    return re.compile(ANY_TEXT.join(map(re.escape, line.split(ANY))))


def missing_line(shown, out):
    """The first line of SHOWN that matches no whole line of OUT after the
    lines matched before it, or None. (A `--trace` line must show its TCP
    state: the Windows tools read it from the system's TCP table, asking
    again when the table grew between its size and its rows.)"""
    lines = out.splitlines()
    at = 0
    for want in shown.strip("\n").splitlines():
        pattern = shown_pattern(want)
        while at < len(lines) and not pattern.fullmatch(lines[at]):
            at += 1
        if at == len(lines):
            return want
        at += 1
    return None


def watch(proc, found, seconds=20):
    """Waits until found(proc's output so far), for SECONDS at most; returns
    whether found. It goes on after proc has ended: its reader thread may
    still be taking the last lines from the pipe."""
    deadline = time.monotonic() + seconds
    while not found(proc.text()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class WindowsPageText(unittest.TestCase):
    def test_both_languages_have_the_same_commands_and_output(self):
        en, zh = sections(page("en")), sections(page("zh"))
        self.assertEqual(en, zh, "the Windows page differs in commands or shown output")
        steps = [step for section in en for step in section]
        # Exercise 1 shows what WSAStartup negotiated; the hand-in goes Linux -> ftrecv.exe.
        self.assertTrue(any(k == "shows" and "WSAStartup(2.2)" in s for k, _, _, s in steps))
        self.assertTrue(any(k == "bg" and "bin\\ftrecv.exe" in s for k, _, _, s in steps))
        self.assertTrue(any(k == "linux" and "ftsend" in s for k, _, _, s in steps))

    def test_every_command_is_marked(self):
        for lang in ("en", "zh"):
            with open(page(lang), encoding="utf-8") as f:
                text = f.read()
            commands = len(FENCE.findall(text))
            marked = sum(1 for m in WIN_MARK.finditer(text)
                         if m.group(0).split("```", 1)[1].startswith(("sh", "bat")))
            self.assertEqual(commands, marked, f"{lang}: a command block without a win: mark")

    def test_shown_output_matches_whole_lines_in_order(self):
        out = "[1/9] WSAStartup(2.2) = 0\nlistening on [::]:7007\r\nhello\r\n"
        self.assertIsNone(missing_line("[1/9] WSAStartup(…) = 0\nhello\n", out))
        self.assertEqual(missing_line("hello\nlistening on …", out), "listening on …")
        self.assertEqual(missing_line("listening on [::]:…7", out), None)
        self.assertEqual(missing_line("listening on [::]:7007…", out), "listening on [::]:7007…")
        self.assertEqual(missing_line("[1/9] WSAStartup(2.2)", out), "[1/9] WSAStartup(2.2)")
        traced = "[5/9] listen backlog 1024\n[6/9] accept -> fd 84  state CLOSE_WAIT\n"
        self.assertIsNone(missing_line("[6/9] accept -> fd …  state …", traced))
        self.assertEqual(missing_line("[6/9] accept -> fd …  state LISTEN", traced),
                         "[6/9] accept -> fd …  state LISTEN")
        self.assertEqual(missing_line("[5/9] listen backlog …  state LISTEN", traced),
                         "[5/9] listen backlog …  state LISTEN")

    def test_classroom_addresses_become_loopback(self):
        steps = [("linux", None, {"expect": (r"192\.168\.1\.10:\d+",)},
                  "ftsend 192.168.1.10 作业.c\n"),
                 ("shows", "rx", {}, "192.168.1.23:…: 作业.c stored\n")]
        self.assertEqual(on_loopback(steps),
                         [("linux", None, {"expect": (r"127\.0\.0\.1:\d+",)},
                           "ftsend 127.0.0.1 作业.c\n"),
                          ("shows", "rx", {}, "127.0.0.1:…: 作业.c stored\n")])


class WindowsPageRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        start_wine()

    @classmethod
    def tearDownClass(cls):
        stop_wine()

    def test_every_command_runs(self):
        with held_ports():
            for number, steps in enumerate(sections(page("en")), 1):
                with self.subTest(section=number):
                    needed = {m for _, _, _, s in steps for m in EXE.findall(s)}
                    for name in sorted(needed):
                        if not os.path.isfile(os.path.join(WIN_BIN, name + ".exe")):
                            print(f"lab guide (Windows), section {number}: {name}.exe not built")
                            self.skipTest(f"{name}.exe not built")
                    self.run_section(on_loopback(move_ports(steps)))

    def run_section(self, steps):
        bg, last = {}, ""
        with tempfile.TemporaryDirectory() as cwd:
            os.symlink(os.path.abspath(WIN_BIN), os.path.join(cwd, "bin"))
            try:
                for kind, name, opts, script in steps:
                    where = f"{WINDOWS_PAGE}: {kind} {name or ''} {script.strip()}"
                    if kind == "bg":
                        bg[name] = Background(self.background_command(script, where), cwd,
                                              wine_env())
                        wait = opts.get("wait", (".",))[0]
                        self.assertTrue(watch(bg[name], lambda t: re.search(wait, t, re.M)),
                                        f"{where}: no /{wait}/ in:\n{bg[name].text()}")
                    elif kind in ("run", "linux"):
                        last = self.run_block(kind, script, cwd, opts, where)
                    elif kind == "stop":
                        bg[name].proc.send_signal(signal.SIGINT)
                        rc = bg[name].proc.wait(30)
                        self.assertEqual(rc, 0, f"{where}: exit {rc}:\n{bg[name].text()}")
                    elif kind == "shows":
                        self.check_shown(script, bg.get(name), last, where)
                    else:
                        self.fail(f"{where}: unknown mark {kind}")
            finally:
                for proc in bg.values():
                    if proc.proc.poll() is None:
                        proc.proc.kill()
                        proc.proc.wait()

    def background_command(self, script, where):
        """`bin\\TOOL.exe ARGS` as the shell line that runs it under Wine."""
        m = BACKGROUND.fullmatch(script.strip())
        self.assertIsNotNone(m, f"{where}: a background block is one line "
                                "`bin\\TOOL.exe ARGS`, no quotes")
        exe = os.path.join(os.path.abspath(WIN_BIN), m.group(1) + ".exe")
        return shlex.join([WINE, exe, *m.group(2).split()])

    def run_block(self, kind, script, cwd, opts, where):
        """Runs a run (cmd, each line) or linux (bash) block; its output."""
        if kind == "run":
            commands = [[WINE, "cmd", "/c", line] for line in script.splitlines() if line.strip()]
            env = wine_env()
        else:
            commands = [["bash", "-c", script]]
            env = dict(os.environ, LC_ALL="C.UTF-8",
                       PATH=os.pathsep.join([os.path.abspath(BIN), os.environ["PATH"]]))
        out = ""
        for command in commands:
            # Into a file, not a pipe: a Wine helper that cmd starts (the desktop
            # process, once per prefix) inherits it and lives on, so a pipe
            # would not end with the command.
            with tempfile.TemporaryFile() as output:
                p = subprocess.run(command, cwd=cwd, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   timeout=90)
                output.seek(0)
                out += output.read().decode("utf-8", "replace")
            self.assertEqual(p.returncode, int(opts.get("rc", ("0",))[0]),
                             f"{where}\nexit {p.returncode}:\n{out}")
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, out, where)
        for pattern in opts.get("expect", ()):
            self.assertRegex(out, re.compile(pattern, re.M), where)
        return out

    def check_shown(self, shown, proc, last, where):
        if proc is None:
            missing = missing_line(shown, last)
            out = last
        else:
            watch(proc, lambda t: missing_line(shown, t) is None)
            missing, out = missing_line(shown, proc.text()), proc.text()
        self.assertIsNone(missing, f"{where}\nthe page shows {missing!r}; the tool printed:\n{out}")


if __name__ == "__main__":
    unittest.main()
