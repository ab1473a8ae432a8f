#!/usr/bin/env python3
"""Loopback sockets for the `socktrace ports` tests, held open until SIGTERM or SIGINT.

  ports_peer.py listen tcp|udp HOST PORT   a TCP listener (never accepts) or an unconnected
                                           UDP socket on HOST:PORT (127.0.0.1, ::1 ...).
  ports_peer.py hold BIND PORT N [HOST]    a TCP server on BIND:PORT and N clients
                                           connected to it (at HOST, default BIND), all
                                           accepted and held open.
  ports_peer.py udp-hold PORT N            an unconnected UDP socket on 127.0.0.1:PORT
                                           and N UDP sockets connect()ed to it.
  ports_peer.py overflow PORT BACKLOG      a listener on 127.0.0.1:PORT with
                                           listen(BACKLOG) that never accepts; clients
                                           connect one after the other (TCP_SYNCNT=1),
                                           each waiting until the listener's accept queue
                                           holds it, until one times out because the full
                                           queue made the kernel drop its SYNs. The
                                           connected ones are held open.
  ports_peer.py udp-overflow PORT N        an unconnected UDP socket on 127.0.0.1:PORT with
                                           the smallest receive buffer, never read, and N
                                           datagrams sent to it: most are dropped. Pinned
                                           to one CPU, so that a marker datagram received
                                           after them proves the kernel has handled them.
Each mode prints "ready" (overflow: "ready K", K the connections in the accept queue) on
stdout once everything is in place. Exits non-zero when an outcome differs from the one
asked for.
"""
import errno
import os
import signal
import socket
import sys
import time


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_listener(host, port, backlog):
    s = socket.socket(family_of(host))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family_of(host) == socket.AF_INET6 and host == "::":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # dual stack
    s.bind((host, port))
    s.listen(backlog)
    return s


def ready(what="ready"):
    print(what, flush=True)


def wait_for_signal():
    signal.sigwait([signal.SIGTERM, signal.SIGINT])


def listen(proto, host, port):
    if proto == "tcp":
        s = tcp_listener(host, port, 5)
    else:
        s = socket.socket(family_of(host), socket.SOCK_DGRAM)
        s.bind((host, port))
    ready()
    wait_for_signal()
    s.close()


def hold(bind, port, n, host):
    srv = tcp_listener(bind, port, n)
    clients = [socket.create_connection((host, port), timeout=20) for _ in range(n)]
    servers = [srv.accept()[0] for _ in range(n)]
    ready()
    wait_for_signal()
    for s in clients + servers + [srv]:
        s.close()


def udp_hold(port, n):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    clients = []
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.connect(("127.0.0.1", port))
        clients.append(c)
    ready()
    wait_for_signal()
    for s in clients + [srv]:
        s.close()


def accept_queue_len(port):
    """The listener's accept queue length: rx_queue of its LISTEN line in /proc/net/tcp."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                return int(fields[4].split(":")[1], 16)
    sys.exit(f"overflow: no listener on port {port} in /proc/net/tcp")


def overflow(port, backlog):
    srv = tcp_listener("127.0.0.1", port, backlog)
    held = []
    for _ in range(backlog + 10):
        c = socket.socket()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
        try:
            c.connect(("127.0.0.1", port))
        except OSError as e:
            if e.errno != errno.ETIMEDOUT:
                sys.exit(f"overflow: connect failed with {errno.errorcode.get(e.errno)}")
            c.close()
            break
        held.append(c)
        # The server side enters the queue when our ACK is processed: wait for it, so
        # that the next SYN meets a queue of known length.
        deadline = time.monotonic() + 10
        while accept_queue_len(port) < len(held):
            if time.monotonic() > deadline:
                sys.exit("overflow: a connection never reached the accept queue")
            time.sleep(0.01)
    else:
        sys.exit(f"overflow: {backlog + 10} connections and no SYN dropped")
    ready(f"ready {len(held)}")
    wait_for_signal()
    for s in held + [srv]:
        s.close()


def udp_overflow(port, n):
    # Loopback queues each datagram on the sending CPU's backlog, in order.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the kernel's minimum
    rx.bind(("127.0.0.1", port))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        tx.sendto(b"x" * 1000, ("127.0.0.1", port))
    marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker.bind(("127.0.0.1", 0))
    marker.settimeout(10)
    tx.sendto(b"m", marker.getsockname())
    marker.recv(1)
    marker.close()
    tx.close()
    ready()
    wait_for_signal()
    rx.close()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "listen":
        listen(args[0], args[1], int(args[2]))
    elif mode == "hold":
        hold(args[0], int(args[1]), int(args[2]), args[3] if len(args) > 3 else args[0])
    elif mode == "udp-hold":
        udp_hold(int(args[0]), int(args[1]))
    elif mode == "overflow":
        overflow(int(args[0]), int(args[1]))
    elif mode == "udp-overflow":
        udp_overflow(int(args[0]), int(args[1]))
    else:
        sys.exit(f"unknown mode {mode}")
