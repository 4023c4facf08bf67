// Package server is tlskit's local TLS server: a listener that peeks every client's raw
// ClientHello before crypto/tls reads it, runs the handshake under its own deadline and a cap on
// concurrent connections, picks certificates by SNI from a reloadable store, and reports each
// connection as an event. What is served over the connections (client info, files, a reverse
// proxy, echo) is the caller's choice. It never prints or exits.
package server
