"""Holds ports the way another program would: a TCP listener and a bound UDP
socket on 127.0.0.1 and on ::1 for each port that is free there.

A student's machine often runs a tool on its default port while the suite
runs (the README's first command leaves tcpchat-server on 7070). The suite
must pass then: scripts/check runs it with the default ports held by

    python3 tests/integration/hold_ports.py [PORT...]

which prints "holding N sockets ..." once they are bound and holds them until
it is signalled or the program that started it is gone. Tests import held_ports() for the same.
"""
import contextlib
import errno
import os
import signal
import socket
import sys
import time

from socklab_test import DEFAULT_PORTS

LOOPBACKS = ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"))


def hold(ports):
    """Binds what it can on each port; returns the sockets (a port another
    program already has, or an address this machine lacks, is skipped)."""
    held = []
    for port in ports:
        for family, addr in LOOPBACKS:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                s = socket.socket(family, kind)
                try:
                    s.bind((addr, port))
                    if kind == socket.SOCK_STREAM:
                        s.listen(8)
                except OSError as e:
                    s.close()
                    if e.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                        raise
                    continue
                held.append(s)
    return held


@contextlib.contextmanager
def held_ports(ports=DEFAULT_PORTS):
    held = hold(ports)
    try:
        yield held
    finally:
        for s in held:
            s.close()


def main(argv):
    ports = [int(a) for a in argv] or DEFAULT_PORTS
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with held_ports(ports) as held:
        print(f"holding {len(held)} sockets on ports {' '.join(map(str, ports))}", flush=True)
        try:
            # A killed parent cannot stop us: outlive it by a second at most.
            while os.getppid() == parent:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
