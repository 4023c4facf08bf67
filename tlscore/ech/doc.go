// Package ech holds what Encrypted Client Hello (RFC 9849) needs beyond the wire codec
// (tlscore/wire's ECHConfigList): a server's ECH key and the config it publishes, the files
// they are kept in, the forms users hand a config over in, and the DNS HTTPS record lookup
// (RFC 9848, RFC 9460) that finds a server's config. crypto/tls does the HPKE itself.
package ech
