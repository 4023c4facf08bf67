// Package keyschedule lets tlskit read the TLS 1.3 records that a handshake encrypts.
//
// tlskit drives connections with crypto/tls, records the raw bytes on the wire and captures the
// connection's secrets through tls.Config.KeyLogWriter. In TLS 1.3 everything after ServerHello
// (EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished,
// NewSessionTicket, alerts) travels in protected records, so showing it needs three steps, one
// per part of this package:
//
//   - ParseKeyLog reads the NSS key log text (the format KeyLogWriter and SSLKEYLOGFILE write)
//     and groups the secrets by the connection's client random.
//   - TrafficKeys turns a traffic secret into the AEAD key and IV of RFC 8446 §7.3.
//   - RecordDecrypter opens successive protected records of one direction and key phase
//     (RFC 8446 §5.2–5.4) and returns the real content type and the content.
//
// All input here is untrusted: recorded bytes come from whatever peer tlskit talked to, and key
// logs may come from files. Nothing in this package panics on bad input; it returns errors that
// say what was wrong, and it never prints or exits. Error messages never include secret values.
package keyschedule
