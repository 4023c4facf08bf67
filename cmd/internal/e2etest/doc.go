// Package e2etest is the harness of tlskit's end-to-end tests (cmd/internal/e2e/...), the tests
// that need the real binary as a process: its -ldflags stamping, signals, a closed or never-read
// stdout, exit statuses seen by a shell, file modes under a umask, and every comparison with a
// reference tool (OpenSSL, GnuTLS, curl, Python) that runs in a directory of files.
//
// Main builds the binary once; Tlskit, RunTlskit and Exec run it and the reference tools in a
// test's directory; StartServe runs `tlskit serve` in the background; Handshake decodes
// `tlskit handshake -o json`; a Fixture is files that several tests of a package share, made
// once. The reference servers themselves (openssl s_server, gnutls-serv) start through
// tlscore/peertest, which the library tests share.
//
// The contract of the CLI that needs no real peer and no process of its own (flags, usage
// errors, exit codes, file safety, output shapes) is in cmd/testdata/script, run in-process.
package e2etest
