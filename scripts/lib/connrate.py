#!/usr/bin/env python3
"""connrate.py LISTEN_PORT TARGET_PORT LOG: a TCP relay on 127.0.0.1 that logs the time of every
connection it accepts (one line each, seconds since the epoch) and forwards it to TARGET_PORT,
so a benchmark can count the connections a scanner opens in any one second."""
import socket
import sys
import threading
import time


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen, target, log = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "a", buffering=1)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen))
    srv.listen(512)
    while True:
        c, _ = srv.accept()
        log.write("%.6f\n" % time.time())
        try:
            up = socket.create_connection(("127.0.0.1", target))
        except OSError:
            c.close()
            continue
        threading.Thread(target=pipe, args=(c, up), daemon=True).start()
        threading.Thread(target=pipe, args=(up, c), daemon=True).start()


if __name__ == "__main__":
    main()
