"""Serve a certificate and connect to it with Python 3.13's default verification.

Python 3.13 turned on VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN in
ssl.create_default_context(); older Pythons on the test machine get the same
behaviour by setting the flags. Everything stays on 127.0.0.1.

usage: strict_client.py CERT KEY CAFILE HOSTNAME
"""
import socket
import ssl
import sys
import threading

cert, key, cafile, hostname = sys.argv[1:5]

server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain(cert, key)

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
port = listener.getsockname()[1]


def serve():
    conn, _ = listener.accept()
    try:
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")
    except (ssl.SSLError, OSError):
        pass


threading.Thread(target=serve, daemon=True).start()

client_ctx = ssl.create_default_context(cafile=cafile)
client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with client_ctx.wrap_socket(raw, server_hostname=hostname) as tls:
        assert tls.recv(2) == b"ok"
        print(tls.version())
