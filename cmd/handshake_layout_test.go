package cmd

import (
	"errors"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

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
	cases := []struct {
		name string
		out  func() handshakeOutcome
		o    handshakeOptions
	}{
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
			golden(t, "handshake-"+c.name+"-tty.txt", renderOutcome(t, c.out(), &o, true, false))
			golden(t, "handshake-"+c.name+"-tty-color.txt", renderOutcome(t, c.out(), &o, true, true))
			// The pipe layout is never coloured, whatever CLICOLOR_FORCE says.
			if got := renderOutcome(t, c.out(), &o, false, true); hasANSI(got) {
				t.Errorf("pipe layout coloured:\n%q", got)
			}
		})
	}
}
