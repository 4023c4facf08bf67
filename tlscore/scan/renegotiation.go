package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"

	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// renegMaxSkipped bounds the records read past while waiting for the answer to the
// renegotiating ClientHello (application data, HelloRequests, warnings).
const renegMaxSkipped = 32

// alertNoRenegotiation is the warning a server sends to decline a renegotiation (RFC 5246
// section 7.2.2).
const alertNoRenegotiation = 100

// clientRenegotiation is the client-renegotiation check: after a completed TLS 1.2 handshake,
// an encrypted ClientHello under the session's keys asks the server to renegotiate. A server
// that answers with a ServerHello lets any client make it redo the expensive half of a
// handshake on one connection, as often as it likes (CVE-2011-1473; testssl's "Secure
// Client-Initiated Renegotiation ... potential DoS threat"). A no_renegotiation warning, a fatal
// alert, a close or silence is a refusal. found is the enumeration: the suites accepted per
// version; the check needs TLS 1.2 and one of its suites that session12 implements.
func (s *scanner) clientRenegotiation(ctx context.Context, found map[uint16][]uint16) Check {
	c := Check{ID: "client-renegotiation"}
	accepted := found[wire.VersionTLS12]
	var suites []uint16
	for _, id := range accepted {
		if _, ok := tls12.SuiteByID(id); ok {
			suites = append(suites, id)
		}
	}
	switch {
	case len(accepted) == 0:
		c.Verdict = NotApplicable
		c.Received = "the server does not accept TLS 1.2 (TLS 1.3 has no renegotiation)"
		return c
	case len(suites) == 0:
		var names []string
		for _, id := range accepted {
			names = append(names, wire.CipherSuiteName(id))
		}
		c.Verdict = NotApplicable
		c.Received = "none of the TLS 1.2 suites the server accepts (" + strings.Join(names, ", ") +
			") is one the check's client implements (ECDHE or RSA key transport with AES-GCM, ChaCha20-Poly1305 or AES-CBC)"
		return c
	}
	spec := s.helloSpec(wire.VersionTLS12, suites)
	spec.Groups = []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1}
	spec.ExtraExtensions = append(slices.Clone(spec.ExtraExtensions), wire.Extension{Type: wire.ExtExtendedMasterSecret})
	for attempt := 0; ; attempt++ {
		var handshakeErr error
		out := s.p.exchange(ctx, func(conn net.Conn) outcome {
			sess, err := handshake12(conn, spec)
			if err != nil {
				handshakeErr = err
				c.Verdict = Inconclusive
				c.Sent = "a TLS 1.2 ClientHello offering " + suiteList(suites)
				c.Received = "the first handshake failed: " + err.Error()
				var ae *alertError
				switch {
				case sess != nil && sess.hello != nil:
					return outcome{kind: outHello, hello: sess.hello, err: err}
				case errors.As(err, &ae):
					return outcome{kind: outRefused, alert: ae.alert, err: err}
				}
				return outcome{kind: outInconclusive, err: err}
			}
			c.Verdict, c.Sent, c.Received = renegotiate(sess, spec)
			return outcome{kind: outHello, hello: sess.hello}
		})
		if out.kind == outDialError {
			c.Verdict, c.Received = Inconclusive, "could not connect: "+out.err.Error()
			return c
		}
		if c.Verdict == "" { // the conversation never started: cancelled
			c.Verdict, c.Received = Inconclusive, fmt.Sprint("no connection: ", out.err)
			return c
		}
		// A first handshake lost on the way (a reset, a timeout) is asked once more, as probes
		// are; one the server refused or botched would be refused again.
		var ae *alertError
		if handshakeErr == nil || attempt > 0 || ctx.Err() != nil || out.kind == outHello || errors.As(handshakeErr, &ae) {
			return c
		}
	}
}

// renegotiate sends the renegotiating ClientHello on a completed session and judges the answer.
func renegotiate(sess *session12, first wire.ClientHelloSpec) (v Verdict, sent, received string) {
	sent = "an encrypted ClientHello after a completed TLS 1.2 handshake (" + suiteName(sess.hello.CipherSuite) + ")"
	spec := first
	spec.Random = nil
	// RFC 5746 section 3.5: a renegotiating client sends renegotiation_info with its
	// verify_data, never the SCSV. To a server without secure renegotiation the hello is a
	// legacy renegotiation, which tells as much about client-initiated renegotiation.
	spec.CipherSuites = slices.DeleteFunc(slices.Clone(first.CipherSuites), func(id uint16) bool { return id == scsvRenegotiation })
	spec.ExtraExtensions = slices.DeleteFunc(slices.Clone(first.ExtraExtensions), func(e wire.Extension) bool { return e.Type == wire.ExtRenegotiationInfo })
	clientVerify, serverVerify := sess.verifyData()
	if sess.secureRenegotiation() {
		spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtRenegotiationInfo,
			Data: append([]byte{byte(len(clientVerify))}, clientVerify...)})
		sent += " with renegotiation_info carrying the client's verify_data"
	} else {
		sent += " without renegotiation_info (the server does not do secure renegotiation)"
	}
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		return Inconclusive, sent, "building the ClientHello: " + err.Error()
	}
	if err := sess.writeRecord(wire.ContentHandshake, hello); err != nil {
		return Inconclusive, sent, "sending the ClientHello: " + err.Error()
	}
	var asm wire.Assembler
	asm.MaxMessageSize = session12MaxBytes
	var skipped skippedRecords
	for range renegMaxSkipped {
		typ, payload, err := sess.readRecord()
		if err != nil {
			return refusalOrNothing(err, sent, skipped)
		}
		switch typ {
		case wire.ContentAlert:
			a, err := wire.ParseAlert(payload)
			if err != nil {
				return Inconclusive, sent, "a malformed alert: " + err.Error()
			}
			switch {
			case a.Level == wire.AlertLevelWarning && a.Description == alertNoRenegotiation:
				return NotVulnerable, sent, withSkipped("warning alert no_renegotiation", skipped)
			case a.Level == wire.AlertLevelWarning && a.Description == 0:
				return NotVulnerable, sent, withSkipped("warning alert close_notify: the server closed the connection", skipped)
			case a.Level == wire.AlertLevelFatal:
				return NotVulnerable, sent, withSkipped("fatal alert "+a.DescriptionName, skipped)
			}
			skipped.warnings = append(skipped.warnings, "warning alert "+a.DescriptionName)
		case wire.ContentHandshake:
			msgs, err := asm.Add(payload)
			if err != nil {
				return Inconclusive, sent, "an encrypted handshake record that does not parse: " + err.Error()
			}
			for _, m := range msgs {
				switch m.Type {
				case wire.TypeServerHello:
					sh, err := wire.ParseServerHello(m.Body)
					if err != nil {
						return Inconclusive, sent, "an encrypted ServerHello that does not parse: " + err.Error()
					}
					received = "an encrypted ServerHello (" + wire.VersionName(sh.Version()) + ", " + suiteName(sh.CipherSuite) + "): the server renegotiated"
					if sess.secureRenegotiation() {
						if bound(sh, clientVerify, serverVerify) {
							received += ", its renegotiation_info bound to the first handshake"
						} else {
							received += ", without renegotiation_info bound to the first handshake"
						}
					}
					return Vulnerable, sent, withSkipped(received, skipped)
				case wire.TypeHelloRequest:
					skipped.helloRequests++
				default:
					return Inconclusive, sent, withSkipped("an encrypted "+m.Name()+" instead of a ServerHello", skipped)
				}
			}
		case wire.ContentApplicationData:
			skipped.appRecords++
			skipped.appBytes += len(payload)
		default:
			return Inconclusive, sent, withSkipped("a "+wire.ContentTypeName(typ)+" record", skipped)
		}
	}
	return Inconclusive, sent, withSkipped(fmt.Sprintf("no answer to the ClientHello within %d records", renegMaxSkipped), skipped)
}

// refusalOrNothing judges a read error after the renegotiating ClientHello: a close, a reset
// or silence is how many servers decline (testssl counts a hung s_client "likely not
// vulnerable (timed out)"); a record that does not authenticate, a flood or garbage proves
// nothing.
func refusalOrNothing(err error, sent string, skipped skippedRecords) (Verdict, string, string) {
	var fe *FloodError
	switch {
	case errors.Is(err, io.EOF):
		return NotVulnerable, sent, withSkipped("the server closed the connection", skipped)
	case errors.Is(err, syscall.ECONNRESET):
		return NotVulnerable, sent, withSkipped("the server reset the connection", skipped)
	case isTimeout(err):
		return NotVulnerable, sent, withSkipped("no answer within the timeout", skipped)
	case errors.As(err, &fe):
		return Inconclusive, sent, withSkipped(err.Error(), skipped)
	}
	return Inconclusive, sent, withSkipped(err.Error(), skipped)
}

// bound says whether a renegotiation's ServerHello carries renegotiation_info with both
// verify_data of the first handshake, as RFC 5746 section 3.7 has it.
func bound(sh *wire.ServerHello, clientVerify, serverVerify []byte) bool {
	want := append([]byte{byte(len(clientVerify) + len(serverVerify))}, clientVerify...)
	want = append(want, serverVerify...)
	for _, e := range sh.Extensions {
		if e.Type == wire.ExtRenegotiationInfo {
			return bytes.Equal(e.Data, want)
		}
	}
	return false
}

// skippedRecords is what the server sent before its answer, for the evidence.
type skippedRecords struct {
	helloRequests, appRecords, appBytes int
	warnings                            []string
}

func withSkipped(received string, sk skippedRecords) string {
	var parts []string
	switch {
	case sk.helloRequests == 1:
		parts = append(parts, "a HelloRequest")
	case sk.helloRequests > 1:
		parts = append(parts, fmt.Sprintf("%d HelloRequests", sk.helloRequests))
	}
	switch {
	case sk.appRecords == 1:
		parts = append(parts, fmt.Sprintf("%d bytes of application data", sk.appBytes))
	case sk.appRecords > 1:
		parts = append(parts, fmt.Sprintf("%d bytes of application data in %d records", sk.appBytes, sk.appRecords))
	}
	parts = append(parts, sk.warnings...)
	if len(parts) == 0 {
		return received
	}
	return received + " (after " + strings.Join(parts, ", ") + ")"
}

// suiteName is the OpenSSL name of a suite where it has one, as testssl shows it.
func suiteName(id uint16) string {
	if cs, ok := wire.CipherSuiteByID(id); ok && cs.OpenSSLName != "" {
		return cs.OpenSSLName
	}
	return wire.CipherSuiteName(id)
}

func suiteList(ids []uint16) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = suiteName(id)
	}
	return strings.Join(names, ", ")
}
