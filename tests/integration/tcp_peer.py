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
  tcp_peer.py transfer HOST PORT N X Y N connections to a server of its own on
                                       HOST:PORT (127.0.0.1 or ::1), one after the
                                       other: each client sends X bytes, reads Y
                                       and the end; the server reads X, sends Y,
                                       closes.
  tcp_peer.py serve HOST PORT N Y      serve N connections: send Y bytes, half-close,
                                       wait for the client's end, close. Prints
                                       "ready" once listening.
  tcp_peer.py fetch HOST PORT Y        one connection: read until the end, which
                                       must come after exactly Y bytes; close.
  tcp_peer.py fastopen-serve HOST PORT N  serve N TCP Fast Open connections: read the
                                       client's byte (sent with its SYN), send one;
                                       for every second connection wait for the
                                       client's next byte; close. Prints "ready"
                                       once listening.
  tcp_peer.py fastopen-fetch HOST PORT N  N connections to it, one after the other,
                                       each with its first byte in the SYN
                                       (MSG_FASTOPEN); read one byte, send the next
                                       where the server waits for it, read the end.
  tcp_peer.py hold HOST PORT K         K connections to a server of its own, held
                                       open; prints "ready" when all are
                                       established. SIGUSR1: the clients close;
                                       SIGUSR2: they reset (SO_LINGER 0). The
                                       server closes each end after EOF or RST.
  tcp_peer.py timed HOST PORT N        N connections, one after the other, to a server
                                       thread of its own; then one line per
                                       connection, "LPORT T0 T1 T2": the client's
                                       port, and CLOCK_MONOTONIC ns just before the
                                       client's connect(), just after it returned,
                                       and just after the server's accept()
                                       returned that connection.
  tcp_peer.py self-connect PORT        a socket bound to 127.0.0.1:PORT connects to
                                       itself: the kernel makes it a simultaneous
                                       open (SYN_SENT -> SYN_RECV -> ESTABLISHED);
                                       it reads back the byte it sends, and closes.
  tcp_peer.py timeout PORT N           N connects in parallel with TCP_SYNCNT=1;
                                       each must fail with ETIMEDOUT (~3 s).
  tcp_peer.py abort PORT N             N non-blocking connects closed before
                                       they complete.
  tcp_peer.py burst PORT N             listen, print "ready"; on SIGUSR1 make N
                                       connections one after the other (connect,
                                       accept, close both), print "done"; keep
                                       listening until SIGTERM.
  tcp_peer.py flood HOST PORT N        N non-blocking connects at once, all held;
                                       prints "sent K" once every SYN is out (K:
                                       how many had ended by then, up to 1023),
                                       then waits for each to end: all must fail
                                       with ETIMEDOUT (a path that drops SYNs).
  tcp_peer.py renamed PORT N [NAME...] N connections, one after the other, to a
                                       server thread of its own; before each the
                                       client thread renames itself (prctl) n0,
                                       n1, ... or, given NAMEs, the i-th NAME; the
                                       server accepts and closes, the client reads
                                       the end and closes.
Exits non-zero when an outcome differs from the one asked for.
"""
import collections
import ctypes
import errno
import resource
import select
import signal
import struct
import socket
import sys
import threading
import time

PR_SET_NAME = 15


def stuck_listener(port):
    s = listener(port, 0)
    while signal.sigwait([signal.SIGTERM, signal.SIGINT, signal.SIGUSR1]) == signal.SIGUSR1:
        s.accept()[0].close()


def listener(port, backlog, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(backlog)
    return s


def slow_acceptor(port, n):
    s = listener(port, n)
    signal.sigwait([signal.SIGUSR1])
    for _ in range(n):
        s.accept()[0].close()


def blocked_acceptor(port):
    listener(port, 1).accept()[0].close()


def recv_exactly(sock, n):
    got = 0
    while got < n:
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            sys.exit(f"transfer: peer closed after {got} of {n} bytes")
        got += len(chunk)


def transfer(host, port, n, x, y):
    srv = listener(port, n, host)

    def serve():
        for _ in range(n):
            conn = srv.accept()[0]
            recv_exactly(conn, x)
            conn.sendall(b"s" * y)
            conn.close()

    server = threading.Thread(target=serve)
    server.start()
    for _ in range(n):
        c = socket.create_connection((host, port), timeout=20)
        c.sendall(b"c" * x)
        recv_exactly(c, y)
        if c.recv(1):
            sys.exit("transfer: more bytes than asked for")
        c.close()
    server.join()


def serve(host, port, n, y):
    srv = listener(port, n, host)
    print("ready", flush=True)
    for _ in range(n):
        conn = srv.accept()[0]
        conn.sendall(b"s" * y)
        conn.shutdown(socket.SHUT_WR)
        if conn.recv(1):
            sys.exit("serve: the client sent data")
        conn.close()


def fetch(host, port, y):
    c = socket.create_connection((host, port), timeout=60)
    got = 0
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    c.close()
    if got != y:
        sys.exit(f"fetch: got {got} bytes, not {y}")


def fastopen_serve(host, port, n):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, n)
    srv.bind((host, port))
    srv.listen(n)
    print("ready", flush=True)
    for i in range(n):
        conn = srv.accept()[0]
        if conn.recv(1) != b"q":
            sys.exit("fastopen-serve: no first byte")
        conn.sendall(b"h")
        if i % 2 and conn.recv(1) != b"m":
            sys.exit("fastopen-serve: no second byte")
        conn.close()  # shutdown() does nothing in SYN_RECV; close() sends the FIN


def fastopen_fetch(host, port, n):
    for i in range(n):
        c = socket.socket()
        c.settimeout(60)
        c.sendto(b"q", socket.MSG_FASTOPEN, (host, port))
        if c.recv(1) != b"h":
            sys.exit("fastopen-fetch: no reply")
        if i % 2:
            c.sendall(b"m")
        if c.recv(1):
            sys.exit("fastopen-fetch: more than one byte")
        c.close()


def close_served(s):
    """Close a server's side once its client has: its EOF (or reset) first."""
    try:
        if s.recv(1):
            sys.exit("hold: unexpected data")
    except ConnectionResetError:
        pass
    s.close()


def hold(host, port, k, unlisten):
    """K connections held until SIGUSR1 (closed) or SIGUSR2 (clients reset them); with
    unlisten the server closes its listener once it has accepted them."""
    srv = listener(port, k, host)
    clients = [socket.create_connection((host, port), timeout=20) for _ in range(k)]
    servers = [srv.accept()[0] for _ in range(k)]
    if unlisten:
        srv.close()  # a server that stops listening and serves what it has
    print("ready", flush=True)
    sig = signal.sigwait([signal.SIGUSR1, signal.SIGUSR2])
    for c in clients:
        if sig == signal.SIGUSR2:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    for s in servers:
        close_served(s)


def churn(host, port, k):
    """K connections open; from SIGUSR1 on, every 4 ms the oldest closes and a new one
    opens, until SIGUSR2, when all close."""
    srv = listener(port, k, host)

    def pair():
        c = socket.create_connection((host, port), timeout=20)
        return c, srv.accept()[0]

    pairs = collections.deque(pair() for _ in range(k))
    print("ready", flush=True)
    signal.sigwait([signal.SIGUSR1])
    while signal.SIGUSR2 not in signal.sigpending():
        c, s = pairs.popleft()
        c.close()
        close_served(s)
        pairs.append(pair())
        time.sleep(0.004)
    for c, s in pairs:
        c.close()
        close_served(s)


def connect(port):
    socket.create_connection(("127.0.0.1", port), timeout=20).close()


def timed(host, port, n):
    srv = listener(port, n, host)
    accepted = {}

    def serve():
        for _ in range(n):
            conn, peer = srv.accept()
            accepted[peer[1]] = time.monotonic_ns()
            conn.recv(1)  # the client's end
            conn.close()

    server = threading.Thread(target=serve)
    server.start()
    rows = []
    for _ in range(n):
        c = socket.socket(srv.family)
        c.settimeout(20)
        t0 = time.monotonic_ns()
        c.connect((host, port))
        rows.append((c.getsockname()[1], t0, time.monotonic_ns()))
        c.close()
    server.join()
    for lport, t0, t1 in rows:
        print(lport, t0, t1, accepted[lport])


def self_connect(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.settimeout(20)
    s.connect(("127.0.0.1", port))
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit("self-connect: the byte did not come back")
    s.close()


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


def burst(port, n):
    s = listener(port, 128)
    print("ready", flush=True)
    signal.sigwait([signal.SIGUSR1])
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port))
        a = s.accept()[0]
        a.close()
        c.close()
    print("done", flush=True)
    signal.sigwait([signal.SIGTERM])


def renamed(port, n, names):
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    s = listener(port, 128)

    def serve():
        for _ in range(n):
            s.accept()[0].close()

    server = threading.Thread(target=serve)  # named as the process: one owner for "in"
    server.start()
    for i in range(n):
        if prctl(PR_SET_NAME, (names[i] if names else f"n{i}").encode(), 0, 0, 0):
            sys.exit(f"renamed: prctl(PR_SET_NAME): errno {ctypes.get_errno()}")
        c = socket.create_connection(("127.0.0.1", port))
        if c.recv(1) != b"":
            sys.exit("renamed: the server sent data")
        c.close()
    server.join()


def flood(host, port, n):
    resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
    ep = select.epoll()
    socks = {}
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc != errno.EINPROGRESS:
            sys.exit(f"flood: connect returned {errno.errorcode.get(rc, rc)}, not EINPROGRESS")
        socks[s.fileno()] = s
        ep.register(s, select.EPOLLOUT)
    print("sent", len(ep.poll(0)), flush=True)
    results = {}
    while socks:
        for fd, _ in ep.poll():
            s = socks.pop(fd)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            name = errno.errorcode.get(err, str(err)) if err else "connected"
            results[name] = results.get(name, 0) + 1
            ep.unregister(s)
            s.close()
    if results != {"ETIMEDOUT": n}:
        sys.exit(f"flood: expected {n} x ETIMEDOUT, got {results}")


if __name__ == "__main__":
    if sys.argv[1] == "transfer":
        transfer(sys.argv[2], *map(int, sys.argv[3:7]))
        sys.exit(0)
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        sys.exit(0)
    if sys.argv[1] == "fetch":
        fetch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    if sys.argv[1] in ("fastopen-serve", "fastopen-fetch"):
        {"fastopen-serve": fastopen_serve, "fastopen-fetch": fastopen_fetch}[sys.argv[1]](
            sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    if sys.argv[1] == "timed":
        timed(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    if sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    if sys.argv[1] in ("hold", "hold-unlisten", "churn"):
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGUSR2])
        args = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        if sys.argv[1] == "churn":
            churn(*args)
        else:
            hold(*args, sys.argv[1] == "hold-unlisten")
        sys.exit(0)
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "stuck-listener":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
        stuck_listener(port)
    elif mode == "slow-acceptor":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
        slow_acceptor(port, int(sys.argv[3]))
    elif mode == "burst":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGTERM])
        burst(port, int(sys.argv[3]))
    elif mode == "blocked-acceptor":
        blocked_acceptor(port)
    elif mode == "connect":
        connect(port)
    elif mode == "self-connect":
        self_connect(port)
    elif mode == "renamed":
        names = sys.argv[4:]
        if names and len(names) != int(sys.argv[3]):
            sys.exit("renamed: N NAMEs, one per connection, or none")
        renamed(port, int(sys.argv[3]), names)
    elif mode in ("timeout", "abort"):
        {"timeout": timeout, "abort": abort}[mode](port, int(sys.argv[3]))
    else:
        sys.exit(f"unknown mode {mode}")
