// Package certgen makes keys, certificate templates, self-signed certificates, CSRs, a small
// local CA and the certificates it signs, and writes key material safely to disk. Like every
// tlskit library it never prints, reads flags or exits.
package certgen
