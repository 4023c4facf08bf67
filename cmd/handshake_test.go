package cmd

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/handshake"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// fixtureHandshake is a fixed TLS 1.3 result, so the rendering can be pinned by golden files.
func fixtureHandshake(t *testing.T) *handshake.Result {
	t.Helper()
	target, err := connect.ParseTarget("example.test:8443", 443)
	if err != nil {
		t.Fatal(err)
	}
	nb := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	leaf := inspect.Certificate{
		Subject: "CN=example.test", Issuer: "CN=Example Issuing CA,O=Example", Serial: "0a1b2c",
		NotBefore: nb, NotAfter: nb.Add(120 * 24 * time.Hour), DaysLeft: 33,
		DNSNames: []string{"example.test", "www.example.test"}, IPAddresses: []string{},
		Key: "ECDSA P-256", SignatureAlgorithm: "ECDSA-SHA256", SHA256: "AA:BB",
	}
	inter := inspect.Certificate{
		Subject: "CN=Example Issuing CA,O=Example", Issuer: "CN=Example Root,O=Example", Serial: "01",
		NotBefore: nb, NotAfter: nb.Add(3650 * 24 * time.Hour), DaysLeft: 3563,
		DNSNames: []string{}, IPAddresses: []string{}, Key: "ECDSA P-384", SignatureAlgorithm: "ECDSA-SHA384",
		IsCA: true, SHA256: "CC:DD",
	}
	at := func(d time.Duration) *time.Time {
		t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).Add(d)
		return &t
	}
	leaf.Revocation = &revocation.CertStatus{Status: "good", Source: "staple", ThisUpdate: at(-2 * time.Hour), NextUpdate: at(6 * 24 * time.Hour)}
	inter.Revocation = &revocation.CertStatus{Status: "good", Source: "crl", URL: "http://crl.example.test/issuing.crl",
		ThisUpdate: at(-26 * time.Hour), NextUpdate: at(45 * time.Minute)}
	return &handshake.Result{
		Target: target, Address: "127.0.0.1:8443", SNI: "example.test",
		OCSP:       &revocation.OCSPResult{Status: "good", Signer: "issuer", ProducedAt: at(-2 * time.Hour), ThisUpdate: at(-2 * time.Hour), NextUpdate: at(6 * 24 * time.Hour)},
		Revocation: &revocation.Report{Mode: "auto", Status: "good", Source: "staple,crl"},
		Version:    "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", KeyExchange: "X25519MLKEM768",
		ForwardSecrecy: true, ALPN: "h2",
		Resumption: &handshake.Resumption{TicketOffered: true, TicketLifetimeS: 7200},
		Steps: []handshake.Step{
			{AtMs: 0.41, Direction: handshake.Sent, Message: "ClientHello", Length: 1549, Summary: "TLS 1.3, 1.2; 13 cipher suites; SNI example.test; key shares X25519MLKEM768, x25519; ALPN h2",
				Detail: []string{"cipher suites: TLS_AES_128_GCM_SHA256", "extensions: server_name, key_share"}},
			{AtMs: 1.52, Direction: handshake.Received, Message: "ServerHello", Length: 1222, Summary: "TLS 1.3, TLS_AES_128_GCM_SHA256, X25519MLKEM768"},
			{AtMs: 1.52, Direction: handshake.Received, Message: "EncryptedExtensions", Encrypted: true, Length: 21, Summary: "ALPN h2"},
			{AtMs: 1.60, Direction: handshake.Received, Message: "Certificate", Encrypted: true, Length: 1200, Summary: "2 certificates, CN=example.test"},
			{AtMs: 1.60, Direction: handshake.Received, Message: "CertificateVerify", Encrypted: true, Length: 79, Summary: "signed with ecdsa_secp256r1_sha256"},
			{AtMs: 1.60, Direction: handshake.Received, Message: "Finished", Encrypted: true, Length: 36, Summary: "verify data 32 bytes"},
			{AtMs: 1.83, Direction: handshake.Sent, Message: "Finished", Encrypted: true, Length: 36, Summary: "verify data 32 bytes"},
			{AtMs: 2.10, Direction: handshake.Received, Message: "NewSessionTicket", Encrypted: true, Length: 250, Summary: "resumption ticket, lifetime 7200s"},
		},
		Chain:        []inspect.Certificate{leaf, inter},
		Verification: &inspect.Verification{Verified: true, HostnameOK: true, Chain: []string{"CN=example.test"}},
		Timing:       handshake.Timing{DNSMs: 0.12, ConnectMs: 0.2, HandshakeMs: 1.9, TotalMs: 2.4},
	}
}

func renderFixture(t *testing.T, res *handshake.Result, tty, verbose bool, output string) string {
	t.Helper()
	streams := NewTestStreams("")
	streams.OutTTY = tty
	a := newApp(streams.IOStreams, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}, testBuild)
	a.now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	a.opts.Output = output
	code, err := a.reportHandshake(&handshakeOptions{verbose: verbose}, handshakeOutcome{res: res}, false, 0)
	wantCode := ExitOK
	if res.Verification != nil && !res.Verification.Verified {
		wantCode = ExitCheckFailed
	}
	if err != nil || code != wantCode {
		t.Fatalf("reportHandshake: code %d (want %d), err %v", code, wantCode, err)
	}
	return streams.OutBuf.String()
}

func TestHandshakeRendering(t *testing.T) {
	golden(t, "handshake.txt", renderFixture(t, fixtureHandshake(t), false, false, formatText))
	golden(t, "handshake.txt", renderFixture(t, fixtureHandshake(t), true, false, formatText)) // one layout: a terminal's is a pipe's
	golden(t, "handshake-verbose.txt", renderFixture(t, fixtureHandshake(t), true, true, formatText))
	golden(t, "handshake-verbose.txt", renderFixture(t, fixtureHandshake(t), false, true, formatText))

	js := renderFixture(t, fixtureHandshake(t), false, false, formatJSON)
	golden(t, "handshake.json", js)
	var doc map[string]any
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"target", "address", "sni", "version", "cipher_suite", "key_exchange", "alpn", "hello_retry", "steps", "chain", "verification", "timing"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestHandshakeRenderingFailures(t *testing.T) {
	res := fixtureHandshake(t)
	res.Verification = &inspect.Verification{Reason: inspect.ReasonHostnameMismatch, Error: "the certificate is valid for example.test, www.example.test, not other.test"}
	out := renderFixture(t, res, false, false, formatText)
	for _, want := range []string{"verification  FAILED (hostname_mismatch): ", "not other.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Untrusted text from the peer is escaped, never passed to the terminal.
	res = fixtureHandshake(t)
	res.Chain[0].Subject = "CN=evil\x1b[2J\rfake"
	out = renderFixture(t, res, true, false, formatText)
	if strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\rfake") {
		t.Fatalf("control characters from the peer reached the output: %q", out)
	}
}

func TestHandshakeFlagErrors(t *testing.T) {
	key, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	cfg := base64.StdEncoding.EncodeToString(key.ConfigList())
	oneLabel := key.Config
	oneLabel.PublicName = "localhost"
	raw, _ := wire.MarshalECHConfig(oneLabel)
	list, _ := wire.MarshalECHConfigList(raw)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"handshake", "x.test", "--ech-retry"}, "--ech-retry needs --ech"},
		{[]string{"handshake", "x.test", "--dns-server", "127.0.0.1:53"}, "--dns-server needs --ech auto"},
		{[]string{"handshake", "x.test", "--ech", cfg, "--dns-server", "127.0.0.1:53"}, "--dns-server is for --ech auto"},
		{[]string{"handshake", "x.test", "--ech", "auto", "--dns-server", "127.0.0.1:0"}, "--dns-server"},
		{[]string{"handshake", "x.test", "--ech", cfg, "--tls-max", "1.2"}, "--ech needs TLS 1.3"},
		{[]string{"handshake", "x.test", "--ech", cfg, "--starttls", "smtp"}, "--ech and --starttls cannot be combined"},
		{[]string{"handshake", "x.test:587", "--ech", cfg}, "this target means STARTTLS smtp"},
		{[]string{"handshake", "x.test", "--ech", "AAAA"}, "--ech: the ECH config: malformed ECHConfigList"},
		{[]string{"handshake", "x.test", "--ech", base64.StdEncoding.EncodeToString(list)}, "has one label"},
		{[]string{"handshake"}, "missing TARGET (one or more)"},
		{[]string{"handshake", "x.test", "--tls-min", "1.4"}, "unknown TLS version"},
		{[]string{"handshake", "x.test", "--tls-min", "1.3", "--tls-max", "1.2"}, "above --tls-max"},
		{[]string{"handshake", "x.test", "--ciphers", "NOPE"}, "unknown cipher suite"},
		{[]string{"handshake", "x.test", "--ciphers", "TLS_AES_128_GCM_SHA256"}, "TLS 1.3 suite"},
		{[]string{"handshake", "x.test", "--groups", "ffdhe2048"}, "unsupported group"},
		{[]string{"handshake", "x.test", "--sni", "a.test", "--no-sni"}, "contradict"},
		{[]string{"handshake", "x.test", "--cert", "c.pem"}, "--cert and --key go together"},
		{[]string{"handshake", "x.test", "--starttls", "gopher"}, "unknown protocol"},
		{[]string{"handshake", "x.test", "--concurrency", "0"}, "--concurrency"},
		{[]string{"handshake", "x.test", "--warn-days", "-1"}, "--warn-days"},
		{[]string{"handshake", "x.test", "--proxy", "socks5://p:1"}, "--proxy"},
		{[]string{"handshake", "http://x.test"}, "not TLS"},
		{[]string{"handshake", "x.test:0"}, "out of range"},
		{[]string{"handshake", "x.test", "--pem", "-o", "json"}, "--pem and -o json"},
	}
	for _, tt := range tests {
		res := runCLI(t, tt.args...)
		if res.code != ExitUsage || !strings.HasPrefix(res.stderr, "tlskit: ") || !strings.Contains(strings.SplitN(res.stderr, "\n", 2)[0], tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tt.args, res.code, res.stderr, tt.msg)
		}
	}
	// An --ech file that cannot be read is an I/O failure, as for every file flag.
	dir := t.TempDir()
	for _, arg := range []string{"@" + dir + "/missing", "@" + dir} {
		res := runCLI(t, "handshake", "x.test", "--ech", arg)
		if res.code != ExitFailure || !strings.HasPrefix(res.stderr, "tlskit: --ech: ") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("--ech %s: exit %d, stderr %q; want exit 1 and one line", arg, res.code, res.stderr)
		}
	}
}

func TestStartTLSForTarget(t *testing.T) {
	tests := []struct {
		target, flag, want string
	}{
		{"mail.test:25", "", "smtp"},
		{"mail.test:587", "", "smtp"},
		{"mail.test:465", "", ""},
		{"imap://mail.test", "", "imap"},
		{"submission://mail.test", "", "smtp"},
		{"postgresql://db.test", "", "postgres"},
		{"https://web.test:25", "", ""},
		{"mail.test:25", "none", ""},
		{"x.test:443", "ftp", "ftp"},
	}
	for _, tt := range tests {
		target, err := connect.ParseTarget(tt.target, 443)
		if err != nil {
			t.Fatal(err)
		}
		if got := starttlsFlag(tt.flag).forTarget(target); got != tt.want {
			t.Errorf("%s with --starttls %q: %q, want %q", tt.target, tt.flag, got, tt.want)
		}
	}
}

// TestHandshakeRenderingRefusedAfterChain pins the report of a handshake the server refused
// after sending its chain (it requires a client certificate): the failure, then the chain and
// its verification, which the refusal does not take away.
func TestHandshakeRenderingRefusedAfterChain(t *testing.T) {
	refused := func() handshakeOutcome {
		res := fixtureHandshake(t)
		res.Version, res.CipherSuite, res.KeyExchange, res.ALPN = "", "", "", ""
		res.ForwardSecrecy, res.Resumption = false, nil
		// A refused handshake's chain is judged, but its revocation is not looked up.
		res.OCSP, res.Revocation = nil, nil
		for i := range res.Chain {
			res.Chain[i].Revocation = nil
		}
		res.ClientAuth = &handshake.ClientAuth{Requested: true, AcceptableCAs: []string{"CN=Example Root,O=Example"}, SignatureSchemes: []string{}}
		res.Steps = append(res.Steps[:6:6],
			handshake.Step{AtMs: 1.83, Direction: handshake.Sent, Message: "Certificate", Encrypted: true, Length: 8, Summary: "no certificate"},
			handshake.Step{AtMs: 1.84, Direction: handshake.Sent, Message: "Finished", Encrypted: true, Length: 36, Summary: "verify data 32 bytes"},
			handshake.Step{AtMs: 2.31, Direction: handshake.Received, Message: "Alert", Encrypted: true, Length: 2, Summary: "fatal certificate_required"})
		err := &handshake.Error{Stage: connect.StageHandshake, Addr: "127.0.0.1:8443", Result: res,
			Err: errors.New("server sent alert fatal certificate_required (the server asked for a client certificate and none was sent)")}
		return handshakeOutcome{res: res, err: err}
	}
	render := func(tty bool, output string) string {
		t.Helper()
		streams := NewTestStreams("")
		streams.OutTTY = tty
		a := newApp(streams.IOStreams, func(k string) string {
			if k == "NO_COLOR" {
				return "1"
			}
			return ""
		}, testBuild)
		a.now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
		a.opts.Output = output
		code, err := a.reportHandshake(&handshakeOptions{}, refused(), false, 0)
		if err != nil || code != ExitFailure {
			t.Fatalf("reportHandshake: code %d (want %d), err %v", code, ExitFailure, err)
		}
		return streams.OutBuf.String()
	}
	golden(t, "handshake-refused-after-chain.txt", render(false, formatText))
	golden(t, "handshake-refused-after-chain.txt", render(true, formatText))
	var doc struct {
		Chain        []inspect.Certificate `json:"chain"`
		Verification *inspect.Verification `json:"verification"`
		Error        string                `json:"error"`
	}
	if err := json.Unmarshal([]byte(render(false, formatJSON)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Chain) != 2 || doc.Verification == nil || !doc.Verification.Verified || !strings.Contains(doc.Error, "certificate_required") {
		t.Errorf("JSON chain %d certificates, verification %+v, error %q; want the chain, its verification and the error", len(doc.Chain), doc.Verification, doc.Error)
	}
}

// TestHandshakeErrorHints checks that the flags naming a way out are cmd's: the library's
// message says what happened, and the hint for a missing client certificate is attached here.
func TestHandshakeErrorHints(t *testing.T) {
	refused := func(ca *handshake.ClientAuth) error {
		return &handshake.Error{Stage: connect.StageHandshake, Addr: "127.0.0.1:8443",
			Err: errors.New("server sent alert fatal certificate_required"), Result: &handshake.Result{ClientAuth: ca}}
	}
	for _, tc := range []struct {
		name     string
		err      error
		wantHint string
	}{
		{"certificate asked for, none sent", refused(&handshake.ClientAuth{Requested: true}), "give a client certificate with --cert and --key"},
		{"certificate sent", refused(&handshake.ClientAuth{Requested: true, CertificateSent: true}), ""},
		{"none asked for", refused(nil), ""},
		{"no result", &handshake.Error{Stage: connect.StageConnect, Addr: "x:1", Err: errors.New("refused")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := handshakeError(tc.err)
			var ce *cliError
			hint := ""
			if errors.As(err, &ce) {
				hint = ce.hint
			}
			if hint != tc.wantHint {
				t.Errorf("hint %q, want %q", hint, tc.wantHint)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("message names a flag: %q", err)
			}
		})
	}
}

// renderOutcome is one target's text report, on a terminal (tty) or in a pipe, with colour
// forced on (CLICOLOR_FORCE) or off (NO_COLOR): stdout only; the exit code is not this test's.
func renderOutcome(t *testing.T, out handshakeOutcome, o *handshakeOptions, tty, colour bool) string {
	t.Helper()
	streams := NewTestStreams("")
	streams.OutTTY = tty
	env := map[string]string{"NO_COLOR": "1"}
	if colour {
		env = map[string]string{"CLICOLOR_FORCE": "1"}
	}
	a := newApp(streams.IOStreams, func(k string) string { return env[k] }, testBuild)
	a.now = func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	a.opts.Output = formatText
	if _, err := a.reportHandshake(o, out, false, 0); err != nil {
		t.Fatalf("reportHandshake: %v", err)
	}
	return streams.OutBuf.String()
}

// TestHandshakeLayouts pins both text layouts of handshake (the terminal's and the pipe's
// key: value lines) in the branches the fixture of TestHandshakeRendering does not reach:
// STARTTLS, a HelloRetryRequest, client authentication, a failed verification (with and
// without --insecure), an expired and an expiring certificate and a root, revocation that is
// unknown, an OCSP staple shown on its own, a failure before any certificate, and colour. They
// were written from the renderer that interleaved the layouts in `if r.human` branches, before
// it was split into a terminal renderer and a fields list, to hold the split to the same bytes.
func TestHandshakeLayouts(t *testing.T) {
	edge := func() *handshake.Result {
		res := fixtureHandshake(t)
		res.Address, res.SNI, res.ALPN, res.KeyExchange = "", "", "", ""
		res.StartTLS = "smtp"
		res.HelloRetry, res.ForwardSecrecy, res.Resumption = true, false, nil
		res.Timing.StartTLSMs = 3.25
		res.ClientAuth = &handshake.ClientAuth{Requested: true, CertificateSent: true, CertificateSubject: "CN=client\x1b[31m"}
		res.Chain[0].DaysLeft, res.Chain[0].NotAfter = -2, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
		res.Chain[0].Revocation = &revocation.CertStatus{Status: revocation.StatusUnknown, Error: "responder unreachable"}
		res.Chain[1].DaysLeft, res.Chain[1].NotAfter = 12, time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
		res.Chain[1].Revocation = &revocation.CertStatus{Status: revocation.StatusNotChecked}
		root := res.Chain[1]
		root.Subject, root.Issuer, root.SelfSigned, root.Revocation = "CN=Example Root,O=Example", "CN=Example Root,O=Example", true, nil
		root.IPAddresses = []string{"192.0.2.1"}
		res.Chain = append(res.Chain, root)
		res.Verification = &inspect.Verification{Reason: inspect.ReasonUnknownAuthority, Error: "x509: certificate signed by unknown authority"}
		res.Revocation = &revocation.Report{Mode: "auto", Status: revocation.StatusUnknown, Source: "ocsp", Error: "responder unreachable"}
		return res
	}
	staple := func() *handshake.Result {
		res := fixtureHandshake(t)
		res.Revocation = &revocation.Report{Mode: "off", Status: revocation.StatusOff}
		res.OCSP = &revocation.OCSPResult{Status: "unknown", Error: "not signed by the issuer"}
		res.Verification = &inspect.Verification{Reason: inspect.ReasonHostnameMismatch, Error: "not valid for other.test"}
		res.ClientAuth = &handshake.ClientAuth{Requested: true}
		return res
	}
	noStaple := func() *handshake.Result {
		res := fixtureHandshake(t)
		res.Revocation, res.Verification = nil, nil
		res.OCSP = &revocation.OCSPResult{Status: "good"}
		return res
	}
	refusedEarly := func() handshakeOutcome {
		res := fixtureHandshake(t)
		res.Steps = res.Steps[:2]
		res.Steps[1] = handshake.Step{AtMs: 1.2, Direction: handshake.Received, Message: "Alert", Summary: "fatal handshake_failure"}
		res.Version, res.CipherSuite, res.Chain, res.Verification, res.OCSP, res.Revocation = "", "", nil, nil, nil, nil
		res.StartTLS, res.Timing.StartTLSMs = "imap", 0.5
		err := &handshake.Error{Stage: connect.StageHandshake, Addr: "127.0.0.1:8443", Result: res, Err: errors.New("server sent alert fatal handshake_failure")}
		return handshakeOutcome{res: res, err: err}
	}
	echResumed := func() *handshake.Result {
		res := fixtureHandshake(t)
		suite := wire.HPKESuite{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}
		res.ECH = &handshake.ECHResult{Accepted: true, PublicName: "public.example.test", OuterSNI: "public.example.test", HiddenSNI: "example.test",
			ConfigID: 7, HPKESuite: &suite, Retried: true, FirstRejected: &handshake.ECHResult{ConfigID: 6},
			DNSRecord: &ech.HTTPSRecord{Name: "_8443._https.example.test.", Server: "127.0.0.1:53"}}
		second := fixtureHandshake(t)
		second.Steps = []handshake.Step{
			{AtMs: 0.3, Direction: handshake.Sent, Message: "ClientHello", Length: 700, Summary: "TLS 1.3; 3 cipher suites; SNI public.example.test; resuming: PSK offered (1 identity)"},
			{AtMs: 0.9, Direction: handshake.Received, Message: "ServerHello", Length: 150, Summary: "TLS 1.3, TLS_AES_128_GCM_SHA256, x25519, PSK accepted (identity 0)"},
			{AtMs: 0.9, Direction: handshake.Received, Message: "Finished", Encrypted: true, Length: 36, Summary: "verify data 32 bytes"},
		}
		second.KeyExchange, second.Timing.HandshakeMs = "x25519", 1.1
		early := uint32(16384)
		id := uint16(0)
		res.Resumption = &handshake.Resumption{TicketOffered: true, TicketLifetimeS: 7200, MaxEarlyDataSize: &early, Resumed: &handshake.Resumed{
			Offered: "psk", Accepted: true, SelectedIdentity: &id, KeyExchangeMode: "psk_dhe_ke", TicketAgeMs: 12.4,
			Skipped: []string{"Certificate", "CertificateVerify"}, SavedMs: 0.8, Handshake: second}}
		return res
	}
	echRejected := func() handshakeOutcome {
		res := fixtureHandshake(t)
		res.Steps = res.Steps[:6]
		res.Version, res.CipherSuite = "", ""
		res.ECH = &handshake.ECHResult{Rejected: true, PublicName: "public.example.test", OuterSNI: "public.example.test", HiddenSNI: "example.test", ConfigID: 6,
			RetryConfigs:    inspect.DescribeECHConfigs([]wire.ECHConfig{{Version: wire.ECHConfigVersion, ConfigID: 7, KEM: wire.HPKEKemX25519, PublicName: "public.example.test"}, {Version: 0xfe0e, Raw: []byte{0xfe, 0x0e, 0, 0}}}),
			RetryConfigList: []byte{0, 4, 0xfe, 0x0e, 0, 0}, RetryAuthenticated: true}
		res.Error = "TLS handshake with example.test:8443: server rejected ECH"
		err := &handshake.Error{Stage: connect.StageHandshake, Addr: "127.0.0.1:8443", Result: res, Err: errors.New("server rejected ECH")}
		return handshakeOutcome{res: res, err: err}
	}
	noResume := func() *handshake.Result {
		res := fixtureHandshake(t)
		res.Resumption = &handshake.Resumption{Resumed: &handshake.Resumed{Offered: "none", Skipped: []string{},
			Why: "the first handshake got no session to resume: the server sent no NewSessionTicket"}}
		return res
	}
	cases := []struct {
		name string
		out  func() handshakeOutcome
		o    handshakeOptions
	}{
		{"ech-resumed", func() handshakeOutcome { return handshakeOutcome{res: echResumed()} }, handshakeOptions{}},
		{"ech-rejected", echRejected, handshakeOptions{}},
		{"no-resumption", func() handshakeOutcome { return handshakeOutcome{res: noResume()} }, handshakeOptions{}},
		{"edge", func() handshakeOutcome { return handshakeOutcome{res: edge()} }, handshakeOptions{verbose: true}},
		{"edge-insecure", func() handshakeOutcome { return handshakeOutcome{res: edge()} }, handshakeOptions{insecure: true}},
		{"staple", func() handshakeOutcome { return handshakeOutcome{res: staple()} }, handshakeOptions{}},
		{"no-staple-verbose", func() handshakeOutcome { return handshakeOutcome{res: noStaple()} }, handshakeOptions{verbose: true}},
		{"refused-early", refusedEarly, handshakeOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			golden(t, "handshake-"+c.name+".txt", renderOutcome(t, c.out(), &o, false, false))
			golden(t, "handshake-"+c.name+".txt", renderOutcome(t, c.out(), &o, true, false))
			golden(t, "handshake-"+c.name+"-tty-color.txt", renderOutcome(t, c.out(), &o, true, true))
			// CLICOLOR_FORCE colours a pipe as a terminal is coloured: one layout, one palette.
			golden(t, "handshake-"+c.name+"-tty-color.txt", renderOutcome(t, c.out(), &o, false, true))
			plain := renderOutcome(t, c.out(), &o, false, false)
			if hasANSI(plain) {
				t.Errorf("a pipe without CLICOLOR_FORCE coloured:\n%q", plain)
			}
			// Colour changes no column: the coloured report, its escapes taken out, is the plain
			// one (the timeline's names were padded after styling, and so fell out of line).
			if got := ansiEscape.ReplaceAllString(renderOutcome(t, c.out(), &o, true, true), ""); got != plain {
				t.Errorf("coloured layout differs from the plain one once its escapes are removed:\n%s\nwant\n%s", got, plain)
			}
		})
	}
}

// TestWrapList: a long -v list wraps at the terminal's width after a comma, with a hanging
// indent under its first item; without a width (a pipe) or when wrapping cannot help, it stays
// one line.
func TestWrapList(t *testing.T) {
	line := "cipher suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"
	for _, tc := range []struct {
		name  string
		line  string
		width int
		want  []string
	}{
		{"no width", line, 0, []string{line}},
		{"fits", line, 200, []string{line}},
		{"wraps", line, 64, []string{
			"cipher suites: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,",
			"               TLS_CHACHA20_POLY1305_SHA256",
		}},
		{"too narrow to help", line, 30, []string{line}},
		{"no label", "a, b, c", 3, []string{"a, b, c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wrapList(tc.line, tc.width)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("wrapList(%d):\n%s\nwant\n%s", tc.width, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, l := range got[:len(got)-1] {
				if len(l) > tc.width {
					t.Errorf("line of %d columns over %d: %q", len(l), tc.width, l)
				}
			}
		})
	}
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestHandshakeDetailsWrapAtTerminalWidth: the report wraps -v lists at stdout's width
// (IOStreams.OutWidth), and leaves them whole without one (a pipe).
func TestHandshakeDetailsWrapAtTerminalWidth(t *testing.T) {
	long := "cipher suites: " + strings.TrimSuffix(strings.Repeat("TLS_AES_128_GCM_SHA256, ", 8), ", ")
	render := func(width int) string {
		res := fixtureHandshake(t)
		res.Steps[0].Detail = []string{long}
		streams := NewTestStreams("")
		streams.OutTTY, streams.OutWidth = width > 0, width
		a := newApp(streams.IOStreams, func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }, testBuild)
		a.opts.Output = formatText
		if _, err := a.reportHandshake(&handshakeOptions{verbose: true}, handshakeOutcome{res: res}, false, 0); err != nil {
			t.Fatal(err)
		}
		return streams.OutBuf.String()
	}
	if out := render(0); !strings.Contains(out, long) {
		t.Errorf("without a width the list should stay one line:\n%s", out)
	}
	out := render(80)
	var wrapped int
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "TLS_AES_128_GCM_SHA256") && !strings.Contains(l, "ServerHello") && !strings.Contains(l, "cipher suite  ") {
			wrapped++
			if len(l) > 80 {
				t.Errorf("detail line of %d columns at width 80: %q", len(l), l)
			}
		}
	}
	if wrapped < 2 {
		t.Errorf("the list was not wrapped at width 80:\n%s", out)
	}
}
