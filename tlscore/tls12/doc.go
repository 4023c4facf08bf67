// Package tls12 is the TLS 1.2 key schedule and record protection (RFC 5246 sections 5, 6.2.3
// and 6.3; RFC 7627's extended master secret; RFC 5288 for GCM, RFC 7905 for ChaCha20-Poly1305)
// for the suites tlskit's own TLS 1.2 conversations use: the scanner's hand-built client (a
// renegotiation crypto/tls cannot start) and the handshake's session-ID resumption (which
// crypto/tls's client does not do). ECDHE and RSA key transport with AES-GCM, ChaCha20-Poly1305
// or AES-CBC; a client that needs the server's own keys, not breadth.
package tls12
