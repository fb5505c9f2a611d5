#!/usr/bin/env python3
"""Byte-counting TCP relay for deploy/bench/sync-vs-rsync.sh.

usage: relay.py LISTEN_PORT TARGET_PORT COUNTS_FILE
Accepts on 127.0.0.1:LISTEN_PORT, connects each client to 127.0.0.1:TARGET_PORT and copies both
ways, counting TCP payload bytes: 'down' (server to client, i.e. the server's egress) and 'up'.
Every 0.1 s and after every closed connection it rewrites COUNTS_FILE as 'down up connections'
(atomic rename): keep-alive connections (a proxy's pool) may never close during a run.
"""
import os
import socket
import sys
import threading
import time

listen_port, target_port, counts_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
totals = {"down": 0, "up": 0, "connections": 0}


def write_counts():
    tmp = counts_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{totals['down']} {totals['up']} {totals['connections']}\n")
    os.replace(tmp, counts_file)


def pump(src, dst, key, done):
    try:
        while True:
            data = src.recv(1 << 16)
            if not data:
                break
            dst.sendall(data)
            with lock:
                totals[key] += len(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        done.release()


def serve(client):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    done = threading.Semaphore(0)
    threading.Thread(target=pump, args=(client, upstream, "up", done), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client, "down", done), daemon=True).start()
    done.acquire()
    done.acquire()
    client.close()
    upstream.close()
    with lock:
        totals["connections"] += 1
        write_counts()


def flusher():
    while True:
        time.sleep(0.1)
        with lock:
            write_counts()


threading.Thread(target=flusher, daemon=True).start()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(128)
with lock:
    write_counts()
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
