#!/usr/bin/env python3
"""Loopback UDP request/response with known sizes, for exact counts.

  udp_peer.py HOST PORT N X Y [unconnected] [from=ADDR,ADDR...]
      A server of its own on HOST:PORT (127.0.0.1 or ::1) answers each datagram
      with Y bytes; a client sends N datagrams of X bytes, one at a time, each
      waiting for its answer. The client connect()s its socket unless
      "unconnected" is given (then it uses sendto/recvfrom). With from=, one
      client per address listed, each bound to it (any 127.0.0.0/8 address
      works on loopback), one after the other.
Exits non-zero when a datagram is missing or has the wrong size.
"""
import socket
import sys
import threading


def client(family, host, port, n, x, y, connected, source):
    cli = socket.socket(family, socket.SOCK_DGRAM)
    cli.settimeout(10)
    if source:
        cli.bind((source, 0))
    if connected:
        cli.connect((host, port))
    for _ in range(n):
        if connected:
            cli.send(b"q" * x)
            data = cli.recv(65536)
        else:
            cli.sendto(b"q" * x, (host, port))
            data = cli.recvfrom(65536)[0]
        if len(data) != y:
            sys.exit(f"client: got {len(data)} bytes, not {y}")
    cli.close()


def main(host, port, n, x, y, connected, sources):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_DGRAM)
    srv.bind((host, port))

    def serve():
        for _ in range(n * len(sources)):
            data, peer = srv.recvfrom(65536)
            if len(data) != x:
                sys.exit(f"server: got {len(data)} bytes, not {x}")
            srv.sendto(b"r" * y, peer)

    server = threading.Thread(target=serve)
    server.start()
    for source in sources:
        client(family, host, port, n, x, y, connected, source)
    server.join()


if __name__ == "__main__":
    host, port, n, x, y = sys.argv[1], *map(int, sys.argv[2:6])
    opts = sys.argv[6:]
    sources = [None]
    for opt in opts:
        if opt.startswith("from="):
            sources = opt[len("from="):].split(",")
    main(host, port, n, x, y, "unconnected" not in opts, sources)
