"""Runs every command of the lab guide (docs/lab/{en,zh}/*.md), so it cannot rot.
(The Windows page, windows.md, is for cmd: test_lab_guide_windows.py runs it under Wine.)

A guide page marks each shell block with an HTML comment (invisible when rendered):

    <!-- lab: bg NAME wait=REGEX -->    start the next block in the background as NAME and
                                        wait until its output matches REGEX
    <!-- lab: run expect=REGEX -->      run the next block; it must exit 0 and its output
                                        (stdout + stderr) must match REGEX (optional; expect=
                                        may be repeated: each must match)
    <!-- lab: run rc=N expect=REGEX --> the same, but it must exit with status N
    <!-- lab: stop NAME expect=REGEX --> SIGINT to NAME; it must exit 0 and everything it
                                        printed must match REGEX (optional)
    <!-- lab: ends NAME expect=REGEX --> NAME ends by itself (no signal: one sent while it is
                                        already exiting would race); it must exit 0 and its
                                        output must match REGEX (optional)
    <!-- lab: bg NAME keys wait=REGEX --> as bg, with a keyboard: its standard input is a pipe
                                        that `type` writes to (without `keys`: /dev/null)
    <!-- lab: type NAME wait=REGEX -->  type the block's lines on NAME's keyboard, Enter after
                                        each, at a person's speed (a pause between lines, so
                                        each line is a read of its own); then wait until NAME's
                                        output matches REGEX (optional)
    <!-- lab: type NAME eof -->         the same, then Ctrl-D: NAME's keyboard is closed
    <!-- lab: look NAME expect=REGEX --> wait until NAME's output matches REGEX, as a person
                                        watches its terminal before going on

Blocks run with bash, in a fresh temporary directory, with the freshly built tools first
on PATH. A page finds its programs as a student does, with `pidof NAME`; so that other
programs of the same name on this machine (other tests) are not found too, a `pidof`
first on PATH answers only with the page's own background programs. The Chinese and English pages must carry exactly the same commands and marks,
which are run once.

The guide names fixed ports (7007, 7070, ...) as a student types them, and a student's
machine may already run something there. So each page runs in a network namespace of
its own (`unshare -rn`, loopback up, every command joined to it with nsenter) where it
can; elsewhere every port number 7000-7099 in a page's commands and marks is moved to a
free port (the guide's commands therefore name their ports). Meanwhile this test holds
the tools' default ports itself, as another program would.
"""
# labels: threaded
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from hold_ports import held_ports
from socklab_test import BIN, SANITIZER_MARKS, netns_unavailable

LAB = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "lab")
MARK = re.compile(r"<!-- lab: (.*?) -->\s*\n```(?:sh|bash|console|text)?\n(.*?)```", re.S)
GUIDE_PORT = re.compile(r"\b70\d\d\b")
# The Windows page's commands are for cmd and run under Wine: test_lab_guide_windows.py.
WINDOWS_PAGE = "windows.md"


def parse(path):
    with open(path, encoding="utf-8") as f:
        return parse_text(f.read())


def parse_text(text, mark=MARK):
    """The steps of TEXT's blocks marked with MARK (test_lab_guide_windows.py
    passes its own mark, <!-- win: ... -->)."""
    steps = []
    for m in mark.finditer(text):
        words = shlex.split(m.group(1))
        kind, args = words[0], words[1:]
        opts = {}
        for a in args:
            if "=" in a:
                key, value = a.split("=", 1)
                opts.setdefault(key, []).append(value)
        opts = {k: tuple(v) for k, v in opts.items()}
        names = [a for a in args if "=" not in a]
        for flag in names[1:]:
            opts[flag] = ("",)
        # Comment lines may be translated; the commands may not differ.
        script = "\n".join(l for l in m.group(2).splitlines() if not l.lstrip().startswith("#"))
        steps.append((kind, names[0] if names else None, opts,
                      script if kind not in ("stop", "ends", "look") else ""))
    return steps


def free_port():
    """A port free for TCP and UDP on every loopback address, for now."""
    while True:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as tcp, \
                socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp:
            tcp.bind(("::", 0))
            try:
                udp.bind(("::", tcp.getsockname()[1]))
            except OSError:
                continue
            return tcp.getsockname()[1]


class OwnNetwork:
    """A network namespace for one page: its loopback is up and every port
    free. A shell holds it open until its stdin closes; commands join it."""

    def __init__(self):
        self.holder = subprocess.Popen(
            ["unshare", "-rn", "sh", "-c", "ip link set lo up && echo up && exec cat"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.up = self.holder.stdout.readline() == b"up\n"
        self.prefix = ["nsenter", "--preserve-credentials", "-U", "-n",
                       "-t", str(self.holder.pid)]

    def close(self):
        self.holder.stdin.close()
        self.holder.wait()
        self.holder.stdout.close()


def own_network():
    """An OwnNetwork, or None (and why) where this machine gives none."""
    why = netns_unavailable() or (None if shutil.which("nsenter") else "nsenter missing")
    if why:
        return None, why
    net = OwnNetwork()
    if net.up and subprocess.run(net.prefix + ["true"], capture_output=True).returncode == 0:
        return net, None
    net.close()
    return None, "nsenter into the namespace failed"


def move_ports(steps):
    """The steps with each port 7000-7099 they name moved to a free port."""
    moved = {}

    def repl(m):
        return str(moved.setdefault(m.group(0), free_port()))

    def sub(text):
        return GUIDE_PORT.sub(repl, text)

    return [(kind, name, {k: tuple(map(sub, v)) for k, v in opts.items()}, sub(script))
            for kind, name, opts, script in steps]


class Background:
    def __init__(self, script, cwd, env, prefix=(), keys=False):
        # bash execs the program (and nsenter execs bash): proc.pid is the program's.
        self.proc = subprocess.Popen([*prefix, "bash", "-c", "exec " + script.strip()], cwd=cwd,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if keys else subprocess.DEVNULL)
        self.out = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            with self.lock:
                self.out.extend(chunk)
        self.proc.stdout.close()

    def text(self):
        with self.lock:
            return bytes(self.out).decode("utf-8", "replace")

    def type(self, text, eof):
        """Types TEXT's lines as a person does: a pause before each key that
        ends a read (Enter, Ctrl-D), and after the last."""
        for line in text.splitlines():
            time.sleep(0.3)
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        if eof:
            time.sleep(0.3)
            self.proc.stdin.close()
        time.sleep(0.3)


PIDOF = """#!/bin/sh
# pidof, as on a machine where only this page's programs run
pids=
for pid in $({real} "$@"); do
    case " $SOCKLAB_LAB_PIDS " in *" $pid "*) pids="$pids${{pids:+ }}$pid" ;; esac
done
[ -n "$pids" ] && echo "$pids"
"""


def page_pidof(where):
    """A directory holding the page's pidof (see the docstring)."""
    path = os.path.join(where, "pidof")
    with open(path, "w") as f:
        f.write(PIDOF.format(real=shutil.which("pidof") or "pidof"))
    os.chmod(path, 0o755)
    return where


class LabGuideTest(unittest.TestCase):
    def pages(self):
        en = sorted(p for p in glob.glob(os.path.join(LAB, "en", "*.md"))
                    if os.path.basename(p) != WINDOWS_PAGE)
        if not en:
            self.skipTest("no lab guide pages")
        return en

    def test_both_languages_have_the_same_commands(self):
        for en in self.pages():
            zh = en.replace(os.sep + "en" + os.sep, os.sep + "zh" + os.sep)
            self.assertTrue(os.path.exists(zh), f"no Chinese page for {en}")
            self.assertEqual(parse(en), parse(zh), f"{en} and {zh} differ in commands")
            self.assertTrue(parse(en), f"{en} has no runnable command")

    def test_every_command_runs(self):
        # SOCKLAB_LAB_NETNS=0 asks for the fallback (free ports) where a
        # namespace could be had, so that the fallback is tested too.
        use_netns = os.environ.get("SOCKLAB_LAB_NETNS", "1") != "0"
        with held_ports():
            for page in self.pages():
                with self.subTest(page=os.path.basename(page)):
                    net, why = own_network() if use_netns else (None, "SOCKLAB_LAB_NETNS=0")
                    if net is None:
                        print(f"lab guide: {why}; moving the guide's ports to free ones")
                    try:
                        self.run_page(page, net)
                    finally:
                        if net:
                            net.close()

    def test_moved_ports_are_moved_alike_everywhere(self):
        steps = [("bg", "srv", {"wait": ("listening on",)}, "tcpecho-server -p 7007\n"),
                 ("run", None, {"expect": (r"127\.0\.0\.1:7007 ", r"port 7011")},
                  "tcpstate -p 7007; x -p 7011 localhost 17007"),
                 ("stop", "srv", {}, "")]
        moved = move_ports(steps)
        port = re.search(r"-p (\d+)", moved[0][3]).group(1)
        self.assertNotEqual(port, "7007")
        self.assertEqual(moved[1][3], f"tcpstate -p {port}; x -p "
                         + re.search(r"x -p (\d+)", moved[1][3]).group(1) + " localhost 17007")
        self.assertEqual(moved[1][2]["expect"][0], rf"127\.0\.0\.1:{port} ")
        self.assertNotIn("7011", moved[1][3] + moved[1][2]["expect"][1])
        self.assertEqual(moved[2], steps[2])

    def run_page(self, page, net):
        prefix = net.prefix if net else []
        steps = parse(page) if net else move_ports(parse(page))
        bg = {}
        with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as shim:
            env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8",
                       PATH=os.pathsep.join([page_pidof(shim), os.path.abspath(BIN),
                                             os.environ["PATH"]]))
            try:
                for kind, name, opts, script in steps:
                    where = f"{os.path.basename(page)}: {script.strip()}"
                    env["SOCKLAB_LAB_PIDS"] = " ".join(str(b.proc.pid) for b in bg.values())
                    if kind == "bg":
                        bg[name] = Background(script, cwd, env, prefix, keys="keys" in opts)
                        self.wait_for(bg[name], opts.get("wait", (".",))[0], where)
                    elif kind == "type":
                        bg[name].type(script, eof="eof" in opts)
                        if "wait" in opts:
                            self.wait_for(bg[name], opts["wait"][0], where)
                    elif kind == "look":
                        self.wait_for(bg[name], opts["expect"][0], where)
                    elif kind == "run":
                        p = subprocess.run([*prefix, "bash", "-c", script], cwd=cwd, env=env,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, timeout=60)
                        out = p.stdout.decode("utf-8", "replace")
                        self.assertEqual(p.returncode, int(opts.get("rc", ("0",))[0]),
                                         f"{where}\nexit {p.returncode}:\n{out}")
                        self.check(out, opts.get("expect"), where)
                    elif kind in ("stop", "ends"):
                        proc = bg.pop(name)
                        if kind == "stop":
                            proc.proc.send_signal(signal.SIGINT)
                        rc = proc.proc.wait(20)
                        time.sleep(0.05)
                        self.assertEqual(rc, 0, f"{where}: {name} exit {rc}:\n{proc.text()}")
                        self.check(proc.text(), opts.get("expect"), where)
                    else:
                        self.fail(f"{page}: unknown lab mark {kind}")
            finally:
                for proc in bg.values():
                    proc.proc.kill()
                    proc.proc.wait()
                    if proc.proc.stdin:
                        proc.proc.stdin.close()

    def wait_for(self, proc, pattern, where):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if re.search(pattern, proc.text(), re.M):
                return
            if proc.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.fail(f"{where}: no /{pattern}/ in:\n{proc.text()}")

    def check(self, out, patterns, where):
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, out, where)
        for pattern in patterns or ():
            self.assertRegex(out, re.compile(pattern, re.M), where)


if __name__ == "__main__":
    unittest.main()
