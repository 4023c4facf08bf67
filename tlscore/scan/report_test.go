package scan

import (
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestReportGolden pins the JSON of `tlskit scan` (scan.Report, docs/json.md) with every key
// set at least once, its findings judged by Findings from the result.
func TestReportGolden(t *testing.T) {
	goldenJSON(t, "report.json", NewReport(fixtureResult()))
}

func fixtureResult() *Result {
	secureReneg := true
	nb := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time {
		t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).Add(d)
		return &t
	}
	yes, no := true, false
	server, day := "nginx/1.22.1", int64(86400)
	leaf := inspect.Certificate{
		Subject: "CN=scan.example.test", Issuer: "CN=Example Issuing CA,O=Example", Serial: "0a1b2c",
		NotBefore: nb, NotAfter: nb.Add(120 * 24 * time.Hour), DaysLeft: 33,
		DNSNames: []string{"scan.example.test"}, IPAddresses: []string{"127.0.0.1"},
		EmailAddresses: []string{"ops@example.test"}, URIs: []string{"spiffe://example.test/scan"},
		Key: "ECDSA P-256", SignatureAlgorithm: "ECDSA-SHA256", SHA256: "AA:BB:CC",
		Revocation: &revocation.CertStatus{Status: revocation.StatusRevoked, Source: "crl", URL: "http://crl.example.test/issuing.crl",
			ThisUpdate: at(-2 * time.Hour), NextUpdate: at(22 * time.Hour), RevokedAt: at(-26 * time.Hour), RevocationReason: "keyCompromise"},
	}
	return &Result{
		Target: connect.Target{Input: "smtp://scan.example.test:2525", Scheme: "smtp", Host: "scan.example.test", Port: 2525},
		Versions: []VersionResult{
			{Version: "SSL 2.0", Supported: true, Suites: []Suite{{SSLv2Kind: 0x010080, Name: "SSL_CK_RC4_128_WITH_MD5", OpenSSLName: "RC4-MD5", Bits: 128, KeyExchange: "RSA"}}},
			{Version: "SSL 3.0", Supported: false, Suites: []Suite{}},
			{Version: "TLS 1.0", Supported: false, Inconclusive: true, Suites: []Suite{}},
			{Version: "TLS 1.1", Supported: true, ServerPreference: &no, Suites: []Suite{
				{ID: 0x0033, Name: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", OpenSSLName: "DHE-RSA-AES128-SHA", Bits: 128, ForwardSecrecy: true, KeyExchange: "DHE"}}},
			{Version: "TLS 1.2", Supported: true, ServerPreference: &yes, Suites: []Suite{
				{ID: 0xc02b, Name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", OpenSSLName: "ECDHE-ECDSA-AES128-GCM-SHA256", Bits: 128, ForwardSecrecy: true, AEAD: true, KeyExchange: "ECDHE"}}},
			{Version: "TLS 1.3", Supported: true, ServerPreference: &yes, Suites: []Suite{
				{ID: 0x1301, Name: "TLS_AES_128_GCM_SHA256", OpenSSLName: "TLS_AES_128_GCM_SHA256", Bits: 128, ForwardSecrecy: true, AEAD: true, KeyExchange: "ECDHE"}}},
		},
		Groups: []GroupResult{
			{ID: 29, Name: "x25519", Supported: true},
			{ID: 4588, Name: "X25519MLKEM768", Supported: false, Inconclusive: true},
		},
		HelloRetryRequest: true,
		Probes:            73,
		TLS12Groups: []GroupResult12{
			{GroupResult: GroupResult{ID: 29, Name: "x25519", Supported: true}, Version: "TLS 1.2", Auth: "ECDSA"},
			{GroupResult: GroupResult{ID: 30, Name: "x448", Inconclusive: true}, Version: "TLS 1.2", Auth: "ECDSA"},
			{GroupResult: GroupResult{ID: 256, Name: "ffdhe2048", Supported: true}, Version: "TLS 1.2", Auth: "DHE"},
		},
		SecureRenegotiation: &secureReneg,
		Features: &Features{Version: "TLS 1.2", Extensions: []string{"renegotiation_info", "extended_master_secret", "next_protocol_negotiation"},
			TLS13Extensions:      []string{"supported_versions", "key_share", "server_name", "application_layer_protocol_negotiation"},
			ExtendedMasterSecret: &yes, EncryptThenMAC: &no, ALPN: []string{"h2", "http/1.1"}, NPN: []string{"h2", "http/1.1"},
			SessionIDResumption: &yes, TicketResumption12: &no, TicketResumption13: &yes,
			ECH: &ECHOffer{RetryConfigs: true, ConfigList: []byte{0, 4, 0xfe, 0x0d, 0, 0}, Error: "set only when the configs did not decode; here to pin its key",
				Configs: inspect.DescribeECHConfigs([]wire.ECHConfig{{Version: wire.ECHConfigVersion, ConfigID: 9, KEM: wire.HPKEKemX25519, PublicKey: []byte{0x42, 0x42},
					CipherSuites: []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}}, PublicName: "public.scan.example.test",
					Extensions: []wire.ECHConfigExtension{}}})}},
		HTTP: &HTTPResult{HTTP: true, Request: "GET / HTTP/1.1\r\nHost: scan.example.test:2525\r\n\r\n", ALPN: "http/1.1", TLSVersion: "TLS 1.3",
			Status: 301, Reason: "Moved Permanently", Proto: "HTTP/1.1", Server: &server, Location: "http://scan.example.test/",
			HSTS:           &HSTS{Header: "max-age=86400; preload", Headers: 1, MaxAge: &day, Preload: true, Error: "max-age given twice"},
			AcceptEncoding: "gzip, deflate, br", ContentEncoding: "gzip", Error: "set only when the answer was not HTTP; here to pin its key"},
		SignatureAlgorithms: []SigAlgResult{
			{Version: "TLS 1.2", Auth: "ECDSA", Accepted: []string{"ecdsa_sha1", "ecdsa_secp256r1_sha256"}, Inconclusive: []string{"ed25519"},
				Fallback: []string{"ecdsa_sha1"}, IgnoresList: true, Weak: []string{"ecdsa_sha1"}},
			{Version: "TLS 1.3", Auth: "ECDSA", Accepted: []string{"ecdsa_secp256r1_sha256"}},
		},
		Clients: []ClientResult{
			{Client: "curl", ClientVersion: "7.88.1 OpenSSL/3.0.22", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "P-256", HelloRetryRequest: true},
			{Client: "Java", ClientVersion: "17.0.15", Version: "TLS 1.2", CipherSuite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", DHBits: 2048, DHPrime: "RFC 3526 group 14 (2048-bit MODP)"},
			{Client: "Chromium", ClientVersion: "156.0.8078.114", Refused: "handshake_failure alert"},
			{Client: "Go", ClientVersion: "1.26.8", Error: "the server chose TLS_RSA_WITH_RC4_128_SHA, which the client did not offer", Version: "TLS 1.2", CipherSuite: "TLS_RSA_WITH_RC4_128_SHA"},
		},
		Checks: []Check{
			{ID: "heartbleed", Verdict: Vulnerable, Sent: "a TLS 1.2 ClientHello offering heartbeats, then a heartbeat request claiming 16384 bytes of payload with none, and a well-formed one with 16",
				Received: "a heartbeat response of 16403 bytes to the request that carried none: the server's memory"},
			{ID: "ccs-injection", Verdict: NotVulnerable, Sent: "a ChangeCipherSpec right after the server's TLS 1.2 first flight", Received: "fatal unexpected_message alert"},
			{ID: "compression", Verdict: Inconclusive, Sent: "a TLS 1.2 ClientHello offering DEFLATE and null compression", Received: "no usable answer (read: connection reset by peer)"},
			{ID: "ticketbleed", Verdict: NotApplicable, Sent: "a TLS 1.2 handshake", Received: "no session ticket was issued"},
			{ID: "client-renegotiation", Verdict: Vulnerable, Sent: "an encrypted ClientHello after a completed TLS 1.2 handshake (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)",
				Received: "an encrypted ServerHello: the server renegotiated at the client's asking"},
		},
		DHGroupBits: 1024,
		DH: []DHGroup{
			{Version: "TLS 1.2", Auth: "RSA", Suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Bits: 2048},
			{Version: "TLS 1.2", Auth: "ANON", Suite: "TLS_DH_anon_WITH_AES_128_CBC_SHA", Bits: 1024, Prime: "RFC 2409 group 2 (1024-bit MODP)"},
		},
		Connection: &Connection{
			CertificateFromProbe: true, // set only beside an error; here to pin its key
			Version:              "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "h2",
			OCSPStapled: true, OCSPStatus: "good", ResumptionTicket: true, TicketLifetimeS: 7200, MustStaple: true,
			Chain:        []inspect.Certificate{leaf},
			Verification: &inspect.Verification{Verified: false, Reason: inspect.ReasonRevoked, Error: `"CN=scan.example.test" is revoked`, HostnameOK: true},
			Revocation:   &revocation.Report{Mode: revocation.ModeAuto, Status: revocation.StatusRevoked, Source: "crl", Error: `"CN=scan.example.test" is revoked since 2026-11-26T10:00:00Z (keyCompromise), says the CRL http://crl.example.test/issuing.crl`},
			Lint:         []inspect.Finding{{ID: "expires-soon", Severity: inspect.SeverityWarning, Message: "expires in 33 days"}},
			// Error is set only when the ordinary handshake failed; here it is set to pin its key.
			Error: "the second handshake was reset",
		},
	}
}
