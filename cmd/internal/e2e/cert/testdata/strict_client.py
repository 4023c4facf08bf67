"""Serve certificates and connect to each with Python 3.13's default verification.

Python 3.13 turned on VERIFY_X509_STRICT and VERIFY_X509_PARTIAL_CHAIN in
ssl.create_default_context(); older Pythons on the test machine get the same
behaviour by setting the flags. Everything stays on 127.0.0.1.

usage: strict_client.py NAME CERT KEY CAFILE HOSTNAME [NAME CERT KEY CAFILE HOSTNAME]...

Each case has its own contexts and listener, and prints one line, "NAME: " and
the TLS version, or "NAME: refused: " and the error; the exit status is 1 when
any case was refused. One process for every case: starting Python and loading
its ssl module is most of what a case costs.
"""
import socket
import ssl
import sys
import threading


def check(cert, key, cafile, hostname):
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)  # a client that never connects does not hold the case up longer
    port = listener.getsockname()[1]

    def serve():
        try:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError):
            pass

    threading.Thread(target=serve, daemon=True).start()
    try:
        client_ctx = ssl.create_default_context(cafile=cafile)
        client_ctx.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with client_ctx.wrap_socket(raw, server_hostname=hostname) as tls:
                assert tls.recv(2) == b"ok"
                return tls.version()
    finally:
        listener.close()


args = sys.argv[1:]
if not args or len(args) % 5:
    sys.exit(__doc__)
failed = False
for i in range(0, len(args), 5):
    name = args[i]
    try:
        print(name + ": " + check(*args[i + 1:i + 5]), flush=True)
    except Exception as e:  # every failure is this case's verdict, not the run's end
        failed = True
        print(name + ": refused: " + repr(e), flush=True)
sys.exit(1 if failed else 0)
