//go:build unix

package e2etest

import (
	"encoding/json"
	"strings"
	"testing"
)

// Step and HandshakeReport are the parts of `tlskit handshake -o json` the tests read, decoded
// into structs of the tests' own on purpose: the schema is what is under test.
type Step struct {
	AtMs      float64         `json:"at_ms"`
	Direction string          `json:"direction"`
	Message   string          `json:"message"`
	Encrypted bool            `json:"encrypted"`
	Length    int             `json:"length"`
	Summary   string          `json:"summary"`
	Details   json.RawMessage `json:"details"`
}

type HandshakeReport struct {
	Target struct {
		Input string `json:"input"`
		Host  string `json:"host"`
		Port  int    `json:"port"`
	} `json:"target"`
	SNI          string            `json:"sni"`
	Version      string            `json:"version"`
	CipherSuite  string            `json:"cipher_suite"`
	KeyExchange  string            `json:"key_exchange"`
	ALPN         string            `json:"alpn"`
	HelloRetry   bool              `json:"hello_retry"`
	Steps        []Step            `json:"steps"`
	Chain        []json.RawMessage `json:"chain"`
	Verification *struct {
		Verified   bool   `json:"verified"`
		Reason     string `json:"reason"`
		Error      string `json:"error"`
		HostnameOK bool   `json:"hostname_ok"`
	} `json:"verification"`
	OCSP *struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"ocsp"`
	ClientAuth *struct {
		Requested        bool     `json:"requested"`
		CertificateSent  bool     `json:"certificate_sent"`
		SignatureSchemes []string `json:"signature_schemes"`
	} `json:"client_auth"`
	Resumption *struct {
		TicketOffered bool `json:"ticket_offered"`
	} `json:"resumption"`
	TLS12 *struct {
		ExtendedMasterSecret bool   `json:"extended_master_secret"`
		SecureRenegotiation  bool   `json:"secure_renegotiation"`
		Group                string `json:"group"`
	} `json:"tls12"`
	Error string `json:"error"`
}

// Handshake runs `tlskit handshake ARGS... -o json` in dir and decodes the single JSON document,
// whose timeline it checks (CheckTimeline).
func Handshake(t testing.TB, dir string, args ...string) (HandshakeReport, Result) {
	t.Helper()
	out, errOut, code := RunTlskit(t, dir, nil, append(append([]string{"handshake"}, args...), "-o", "json")...)
	r := Result{Stdout: out, Stderr: errOut, Code: code}
	var res HandshakeReport
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("tlskit handshake %s -o json: exit %d, stdout is not one JSON document: %v\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), code, err, out, errOut)
	}
	CheckTimeline(t, res)
	return res, r
}

// HandshakeOK is Handshake that fails the test unless tlskit exits 0 with nothing but a
// possible warning on stderr.
func HandshakeOK(t testing.TB, dir string, args ...string) HandshakeReport {
	t.Helper()
	res, r := Handshake(t, dir, args...)
	if r.Code != 0 {
		t.Fatalf("tlskit handshake %s: exit %d, want 0\nstderr:\n%s\nsteps: %s", strings.Join(args, " "), r.Code, r.Stderr, Seq(res.Steps))
	}
	if res.Error != "" {
		t.Errorf("exit 0 but JSON error %q", res.Error)
	}
	return res
}

// CheckTimeline checks what holds for every timeline: times never go backwards, directions
// are "sent" or "received", and each step names its message.
func CheckTimeline(t testing.TB, res HandshakeReport) {
	t.Helper()
	for i, s := range res.Steps {
		if s.Direction != "sent" && s.Direction != "received" {
			t.Errorf("step %d (%s): direction %q", i, s.Message, s.Direction)
		}
		if s.Message == "" {
			t.Errorf("step %d: no message name", i)
		}
		if i > 0 && s.AtMs < res.Steps[i-1].AtMs {
			t.Errorf("step %d (%s at %.3f ms) comes before step %d (%.3f ms) in time", i, s.Message, s.AtMs, i-1, res.Steps[i-1].AtMs)
		}
		if s.Message == "EncryptedRecord" {
			t.Errorf("step %d: a record was not decrypted: %s", i, s.Summary)
		}
	}
}

// Seq renders steps as "sent ClientHello, received Finished*, ..." (* = encrypted).
func Seq(steps []Step) string {
	var parts []string
	for _, s := range steps {
		p := s.Direction + " " + s.Message
		if s.Encrypted {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// CheckVerified checks a chain verified against the test CA.
func CheckVerified(t testing.TB, what string, res HandshakeReport) {
	t.Helper()
	if v := res.Verification; v == nil || !v.Verified || !v.HostnameOK {
		t.Errorf("%s: verification %+v, want verified with hostname_ok", what, v)
	}
	if len(res.Chain) == 0 {
		t.Errorf("%s: empty chain", what)
	}
}
