#!/usr/bin/env python3
"""Loopback TCP peers for failure cases the common tools cannot make on purpose.

  tcp_peer.py stuck-listener PORT      listen(0) and never accept: once one
                                       connection fills the accept queue the
                                       kernel drops further SYNs. SIGUSR1
                                       accepts (and closes) one connection.
  tcp_peer.py slow-acceptor PORT N     listen(N) and accept nothing until SIGUSR1;
                                       then accept (and close) N connections, exit.
  tcp_peer.py blocked-acceptor PORT    block in accept() at once; accept (and close)
                                       one connection, exit.
  tcp_peer.py connect PORT             one blocking connect that must succeed.
  tcp_peer.py timeout PORT N           N connects in parallel with TCP_SYNCNT=1;
                                       each must fail with ETIMEDOUT (~3 s).
  tcp_peer.py abort PORT N             N non-blocking connects closed before
                                       they complete.
Exits non-zero when an outcome differs from the one asked for.
"""
import errno
import signal
import socket
import sys
import threading


def stuck_listener(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(0)
    while signal.sigwait([signal.SIGTERM, signal.SIGINT, signal.SIGUSR1]) == signal.SIGUSR1:
        s.accept()[0].close()


def listener(port, backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def slow_acceptor(port, n):
    s = listener(port, n)
    signal.sigwait([signal.SIGUSR1])
    for _ in range(n):
        s.accept()[0].close()


def blocked_acceptor(port):
    listener(port, 1).accept()[0].close()


def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=20).close()


def timeout(port, n):
    results = []

    def one():
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
        try:
            s.connect(("127.0.0.1", port))
            results.append("connected")
        except OSError as e:
            results.append(errno.errorcode.get(e.errno, str(e.errno)))
        finally:
            s.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if results != ["ETIMEDOUT"] * n:
        sys.exit(f"timeout: expected {n} x ETIMEDOUT, got {results}")


def abort(port, n):
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        rc = s.connect_ex(("127.0.0.1", port))
        if rc != errno.EINPROGRESS:
            sys.exit(f"abort: connect returned {errno.errorcode.get(rc, rc)}, not EINPROGRESS")
        s.close()


if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "stuck-listener":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
        stuck_listener(port)
    elif mode == "slow-acceptor":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        slow_acceptor(port, int(sys.argv[3]))
    elif mode == "blocked-acceptor":
        blocked_acceptor(port)
    elif mode == "connect":
        connect(port)
    elif mode in ("timeout", "abort"):
        {"timeout": timeout, "abort": abort}[mode](port, int(sys.argv[3]))
    else:
        sys.exit(f"unknown mode {mode}")
