// Package inspect decodes anything certificate-shaped (PEM, DER, CSRs, keys, PKCS#12, a live
// host's chain) into reports, verifies chains and lints certificates. Like every tlskit library
// it never prints, reads flags or exits.
package inspect
