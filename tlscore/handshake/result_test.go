package handshake

import (
	"bytes"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestResultGolden pins the JSON of `tlskit handshake` (handshake.Result, docs/json.md) with
// every key of the result set at least once: a STARTTLS handshake whose server asked for a
// client certificate, with decoded messages (a ClientHello built and decoded by wire, a
// Finished, an alert) as the steps' details. Error and transcript_truncated are set together
// with a complete handshake only to pin their keys.
func TestResultGolden(t *testing.T) {
	goldenJSON(t, "result.json", fixtureResult(t))
}

func fixtureResult(t *testing.T) *Result {
	t.Helper()
	hello, err := wire.MarshalClientHello(wire.ClientHelloSpec{
		Random:              bytes.Repeat([]byte{0x5a}, 32),
		SessionID:           bytes.Repeat([]byte{0x1e}, 32),
		CipherSuites:        []uint16{0x1301, 0xc02b},
		ServerName:          "mail.example.test",
		SupportedVersions:   []uint16{wire.VersionTLS13, wire.VersionTLS12},
		Groups:              []uint16{29, 23},
		KeyShares:           []wire.KeyShareSpec{{Group: 29, PublicKey: bytes.Repeat([]byte{0x42}, 32)}},
		SignatureAlgorithms: []uint16{0x0403, 0x0804},
		ALPN:                []string{"smtp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := wire.ParseClientHello(hello[4:])
	if err != nil {
		t.Fatal(err)
	}
	fin, err := wire.ParseFinished(bytes.Repeat([]byte{0xf1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	alert, err := wire.ParseAlert([]byte{1, 0}) // warning close_notify
	if err != nil {
		t.Fatal(err)
	}
	earlyData, identity := uint32(16384), uint16(0)
	nb := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time {
		t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).Add(d)
		return &t
	}
	leaf := inspect.Certificate{
		Subject: "CN=mail.example.test", Issuer: "CN=Example Issuing CA,O=Example", Serial: "0a1b2c",
		NotBefore: nb, NotAfter: nb.Add(120 * 24 * time.Hour), DaysLeft: 33,
		DNSNames: []string{"mail.example.test"}, IPAddresses: []string{"192.0.2.25"},
		EmailAddresses: []string{"postmaster@example.test"}, URIs: []string{"https://mail.example.test/"},
		Key: "ECDSA P-256", SignatureAlgorithm: "ECDSA-SHA256", SHA256: "AA:BB:CC",
		Revocation: &revocation.CertStatus{Status: revocation.StatusGood, Source: "staple", ThisUpdate: at(-2 * time.Hour), NextUpdate: at(6 * 24 * time.Hour)},
	}
	root := inspect.Certificate{
		Subject: "CN=Example Root,O=Example", Issuer: "CN=Example Root,O=Example", Serial: "01",
		NotBefore: nb, NotAfter: nb.Add(3650 * 24 * time.Hour), DaysLeft: 3563,
		DNSNames: []string{}, IPAddresses: []string{}, Key: "ECDSA P-384", SignatureAlgorithm: "ECDSA-SHA384",
		IsCA: true, SelfSigned: true, SHA256: "CC:DD:EE",
		Revocation: &revocation.CertStatus{Status: revocation.StatusNotChecked},
	}
	return &Result{
		Target:   connect.Target{Input: "smtp://mail.example.test:587/", Scheme: "smtp", Host: "mail.example.test", Port: 587, Path: "/"},
		Address:  "192.0.2.25:587",
		SNI:      "mail.example.test",
		StartTLS: "smtp",
		Version:  "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", KeyExchange: "x25519",
		ForwardSecrecy: true, ALPN: "smtp", HelloRetry: true,
		Resumption: &Resumption{TicketOffered: true, TicketLifetimeS: 7200, MaxEarlyDataSize: &earlyData, Resumed: &Resumed{
			Offered: "psk", Accepted: true, SelectedIdentity: &identity, KeyExchangeMode: "psk_dhe_ke", TicketAgeMs: 12.5,
			Skipped: []string{"Certificate", "CertificateVerify"}, SavedMs: 0.8, Why: "pinned here only for its key", Error: "pinned here only for its key",
			Handshake: &Result{Target: connect.Target{Input: "mail.example.test:587", Host: "mail.example.test", Port: 587}, Address: "192.0.2.25:587",
				SNI: "mail.example.test", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", KeyExchange: "x25519", ForwardSecrecy: true,
				Steps: []Step{}, Chain: []inspect.Certificate{}, Timing: Timing{ConnectMs: 0.2, HandshakeMs: 1.1, TotalMs: 1.4}}}},
		// Every key, not one session: a TLS 1.2 session has tls12, and its group is ECDHE's or a
		// DHE prime's size.
		TLS12: &TLS12Session{ExtendedMasterSecret: true, SecureRenegotiation: true, Group: "x25519", DHPrimeBits: 2048},
		// Every key: a retried ECH handshake whose config came from DNS, and its first attempt's
		// rejection with the retry configs.
		ECH: &ECHResult{Accepted: true, PublicName: "public.example.test", OuterSNI: "public.example.test", HiddenSNI: "mail.example.test",
			ConfigID: 7, HPKESuite: &wire.HPKESuite{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}, Retried: true,
			DNSRecord: &ech.HTTPSRecord{Name: "_587._https.mail.example.test.", Priority: 1, Target: "mail.example.test.", ALPN: []string{"smtp"}, Port: 587, Server: "127.0.0.53:53"},
			FirstRejected: &ECHResult{Rejected: true, PublicName: "public.example.test", OuterSNI: "public.example.test", HiddenSNI: "mail.example.test", ConfigID: 6,
				RetryConfigs: inspect.DescribeECHConfigs([]wire.ECHConfig{{Version: wire.ECHConfigVersion, ConfigID: 7, KEM: wire.HPKEKemX25519, PublicKey: bytes.Repeat([]byte{0x42}, 32),
					CipherSuites: []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadChaCha20}}, MaximumNameLength: 32, PublicName: "public.example.test",
					Extensions: []wire.ECHConfigExtension{{Type: 0x8001, Data: []byte{1}}}}}),
				RetryConfigList: []byte{0, 4, 0xfe, 0x0d, 0, 0}, RetryAuthenticated: true, RetryError: "pinned here only for its key"}},
		ClientAuth: &ClientAuth{Requested: true, AcceptableCAs: []string{"CN=Example Client CA,O=Example"},
			SignatureSchemes: []string{"ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256"}, CertificateSent: true, CertificateSubject: "CN=client.example.test"},
		Steps: []Step{
			{AtMs: 0.41, Direction: Sent, Message: "ClientHello", Length: len(hello), Summary: "TLS 1.3, 1.2; 2 cipher suites; SNI mail.example.test; key shares x25519; ALPN smtp", Details: ch},
			{AtMs: 1.83, Direction: Sent, Message: "Finished", Encrypted: true, Length: 36, Summary: "verify data 32 bytes", Details: fin},
			{AtMs: 2.5, Direction: Received, Message: "Alert", Encrypted: true, Length: 2, Summary: "warning close_notify", Details: alert},
		},
		Chain:        []inspect.Certificate{leaf, root},
		Verification: &inspect.Verification{Verified: true, HostnameOK: true, Chain: []string{"CN=mail.example.test", "CN=Example Root,O=Example"}},
		OCSP: &revocation.OCSPResult{Status: revocation.StatusRevoked, ProducedAt: at(-2 * time.Hour), ThisUpdate: at(-2 * time.Hour), NextUpdate: at(6 * 24 * time.Hour),
			RevokedAt: at(-3 * time.Hour), RevocationReason: "superseded", Signer: "delegated responder CN=Example OCSP,O=Example", Error: "pinned here only for its key"},
		Revocation:          &revocation.Report{Mode: revocation.ModeStaple, Status: revocation.StatusGood, Source: "staple"},
		Timing:              Timing{DNSMs: 0.12, ConnectMs: 0.2, StartTLSMs: 3.1, HandshakeMs: 1.9, TotalMs: 5.5},
		TranscriptTruncated: true,
		Error:               "the server closed the connection after its Finished",
	}
}
