"""An impairment relay for the UDP probe tests: this kernel has no netem.

It sits between a probe sender and receiver, and for DATA datagrams draws
from a seeded random generator to drop, duplicate or hold back (reorder)
each one, counting exactly what it did so the probe's report can be
compared number for number. Anything else (END, REPORT) passes untouched.

Reordering: a held datagram is released right after the next DATA datagram
that is forwarded, so it always arrives behind a higher sequence number;
one still held when END comes is released first and is then not counted
as reordered (nothing overtook it).
"""
import random
import select
import socket
import threading

MAGIC = b"SLPB"
DATA = 1


class ImpairmentRelay:
    def __init__(self, target_port, seed, drop=0.0, dup=0.0, reorder=0.0,
                 target_host="127.0.0.1"):
        self.rng = random.Random(seed)
        self.drop, self.dup, self.reorder = drop, dup, reorder
        self.target = (target_host, target_port)
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A starved test process must not lose datagrams the relay did not
        # choose to drop: as big a buffer as the system allows.
        self.front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.front.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.sender = None
        self.held = None
        self.counts = {"data": 0, "dropped": 0, "duplicated": 0, "reordered": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self.front.close()
        self.back.close()

    def _forward(self, dgram):
        self.back.sendto(dgram, self.target)

    def _data(self, dgram):
        self.counts["data"] += 1
        if self.rng.random() < self.drop:
            self.counts["dropped"] += 1
            return
        copies = 2 if self.rng.random() < self.dup else 1
        self.counts["duplicated"] += copies - 1
        if self.held is None and self.rng.random() < self.reorder:
            self.held = [dgram] * copies
            return
        for _ in range(copies):
            self._forward(dgram)
        if self.held is not None:
            for d in self.held:
                self._forward(d)
            self.held = None
            self.counts["reordered"] += 1

    def _run(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self.front, self.back], [], [], 0.05)
            for s in ready:
                dgram, addr = s.recvfrom(65536)
                if s is self.back:
                    if self.sender:
                        self.front.sendto(dgram, self.sender)
                    continue
                self.sender = addr
                is_data = (len(dgram) >= 40 and dgram[:4] == MAGIC and dgram[5] == DATA)
                if is_data:
                    self._data(dgram)
                    continue
                if self.held is not None:
                    for d in self.held:
                        self._forward(d)
                    self.held = None
                self._forward(dgram)


def parse_report(text):
    """The numbers of a probe result line: sent, received, lost, duplicates,
    out of order."""
    import re
    m = re.search(r"sent (\d+) = received (\d+) \+ lost (\d+) .*?duplicates (\d+), "
                  r"out of order (\d+)", text)
    if not m:
        return None
    keys = ("sent", "received", "lost", "duplicates", "reordered")
    return dict(zip(keys, map(int, m.groups())))

