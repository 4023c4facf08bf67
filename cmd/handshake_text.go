package cmd

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

// renderHandshakeText writes one handshake's text report on stdout: one layout on a terminal
// and in a pipe alike (colour only where the palette says so); machines read -o json.
func (a *app) renderHandshakeText(res *handshake.Result, o *handshakeOptions) error {
	now := a.now()
	var b strings.Builder
	r := handshakeReport{b: &b, p: a.outPalette(), verbose: o.verbose, insecure: o.insecure, now: now, width: a.streams.OutWidth}
	r.render(newHandshakeView(res, now))
	_, err := io.WriteString(a.streams.Out, b.String())
	return err
}

// handshakeView holds what both layouts show of a handshake, computed from its result.
type handshakeView struct {
	res *handshake.Result
	// address is the address connected to, "none" when none was.
	address string
	// sni is the server name sent, "none" when none was.
	sni   string
	certs []certView
	// verdict is the verification's one line, "" without verification.
	verdict string
	// ocsp is the stapled response, where the revocation lines do not already speak of it
	// ("" otherwise).
	ocsp string
	// forwardSecrecy, ticket and alpn describe the session keys: "yes"/"no", "none" or
	// "offered ...", the protocol or "none".
	forwardSecrecy, ticket, alpn string
}

// certView is one certificate of the chain as both layouts show it.
type certView struct {
	cert inspect.Certificate
	// validity is "NOT_BEFORE to NOT_AFTER" in RFC 3339.
	validity string
	// names are the DNS names and IP addresses, comma-separated.
	names string
	// revocation is the certificate's revocation status in words, "" when it was not checked.
	revocation string
}

func newHandshakeView(res *handshake.Result, now time.Time) *handshakeView {
	v := &handshakeView{res: res, address: orNone(res.Address), sni: res.SNI, forwardSecrecy: "no", ticket: "none", alpn: res.ALPN}
	if v.sni == "" {
		v.sni = "none"
	}
	for _, c := range res.Chain {
		cv := certView{
			cert:     c,
			validity: fmt.Sprintf("%s to %s", c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339)),
			names:    strings.Join(append(append([]string{}, c.DNSNames...), c.IPAddresses...), ", "),
		}
		if c.Revocation != nil && c.Revocation.Status != revocation.StatusNotChecked {
			cv.revocation = describeRevocation(c.Revocation, now)
		}
		v.certs = append(v.certs, cv)
	}
	if ver := res.Verification; ver != nil {
		host := res.Target.Host
		if e := res.ECH; e != nil && !e.Accepted && e.PublicName != "" {
			host = e.PublicName // a rejected ECH handshake's certificate is judged for the public name
		}
		v.verdict = "OK: the chain leads to a trusted root and is valid for " + host
		if !ver.Verified {
			v.verdict = "FAILED (" + ver.Reason + "): " + ver.Error
		}
	}
	if res.OCSP != nil && (res.Revocation == nil || res.Revocation.Status == revocation.StatusOff) {
		v.ocsp = res.OCSP.Status
		if res.OCSP.Error != "" {
			v.ocsp += ": " + res.OCSP.Error
		}
	}
	if res.ForwardSecrecy {
		v.forwardSecrecy = "yes"
	}
	if res.Resumption != nil && res.Resumption.TicketOffered {
		v.ticket = "offered"
		if res.Resumption.TicketLifetimeS > 0 {
			v.ticket += fmt.Sprintf(" (lifetime %ds)", res.Resumption.TicketLifetimeS)
		}
	}
	if v.alpn == "" {
		v.alpn = "none"
	}
	return v
}

// wrapList breaks a "label: a, b, c" line to fit width columns, after a comma, the lines
// after the first indented to start under the first item (a hanging indent). A width of 0
// (not a terminal) or one too narrow to help leaves the line whole; so does an item that is
// longer than the room on its own.
func wrapList(line string, width int) []string {
	label, rest, ok := strings.Cut(line, ": ")
	hang := len(label) + 2
	if !ok || width <= 0 || len(line) <= width || width-hang < 20 {
		return []string{line}
	}
	items := strings.Split(rest, ", ")
	var out []string
	cur := label + ":"
	for i, item := range items {
		if i < len(items)-1 {
			item += ","
		}
		if i > 0 && len(cur)+1+len(item) > width {
			out = append(out, cur)
			cur = strings.Repeat(" ", hang-1)
		}
		cur += " " + item
	}
	return append(out, cur)
}

// stepName is a message's name, starred when it crossed the wire encrypted.
func stepName(s handshake.Step) string {
	if s.Encrypted {
		return s.Message + "*"
	}
	return s.Message
}

// handshakeReport writes the terminal layout: the timeline, the four parts of a handshake,
// the timings.
type handshakeReport struct {
	b        *strings.Builder
	p        palette
	verbose  bool
	insecure bool
	now      time.Time
	// width is the terminal's, for wrapping long lists; 0 leaves them whole.
	width int
}

func (r *handshakeReport) line(format string, args ...any) {
	fmt.Fprintf(r.b, format, args...)
	r.b.WriteByte('\n')
}

func (r *handshakeReport) render(v *handshakeView) {
	esc, p, res := render.Escape, r.p, v.res
	at := " (" + v.address + ")"
	if res.Address == "" {
		at = "" // nothing was connected to: no address to show beside the target
	}
	r.line("%s %s%s, SNI %s", p.Bold("handshake with"), p.Bold(res.Target.Address()), at, esc(v.sni))
	if res.StartTLS != "" {
		r.line("%s %s", p.Dim("starttls:"), esc(res.StartTLS))
	}
	r.line("")
	r.steps(res)
	if res.Error != "" {
		r.line("")
		r.line("%s %s", p.Bad("failed:"), esc(res.Error))
		r.ech(res.ECH)
		if len(res.Chain) > 0 {
			// The server sent its chain before refusing: how it proved who it is still shows.
			r.line("")
			r.line("%s %s", p.Bold("authentication"), p.Dim("(the chain the server sent before the handshake failed)"))
			r.chain(v)
		}
		r.timing(res)
		return
	}
	r.line("")
	r.line("%s %s", p.Bold("1. version       "), res.Version)
	r.line("%s %s", p.Bold("2. cipher suite  "), res.CipherSuite)
	r.line("%s", p.Bold("3. authentication"))
	r.chain(v)
	r.sessionKeys(v)
	r.ech(res.ECH)
	r.timing(res)
	if rs := res.Resumption; rs != nil && rs.Resumed != nil {
		r.resumed(res, rs)
	}
}

// resumed writes the second handshake of --resume: its timeline, what it offered and whether the
// server took it, what it skipped, the ticket, and the time saved.
func (r *handshakeReport) resumed(first *handshake.Result, rs *handshake.Resumption) {
	esc, p, rd := render.Escape, r.p, rs.Resumed
	r.line("")
	second := rd.Handshake
	if second == nil {
		r.line("%s %s", p.Bold("resumption"), esc(rd.Why))
		return
	}
	r.line("%s %s", p.Bold("resumption"), p.Dim(fmt.Sprintf("(a second handshake offering the first one's session, %.0f ms old)", rd.TicketAgeMs)))
	r.steps(second)
	const label = "   %-15s"
	offered := map[string]string{"psk": "the ticket as a TLS 1.3 pre-shared key", "ticket": "the TLS 1.2 session ticket",
		"session_id": "the TLS 1.2 session by its ID (no ticket came)", "none": "nothing"}[rd.Offered]
	r.line(label+" %s", "offered", offered)
	switch {
	case rd.Accepted && rd.KeyExchangeMode != "":
		id := ""
		if rd.SelectedIdentity != nil {
			id = fmt.Sprintf(" (identity %d)", *rd.SelectedIdentity)
		}
		kx := "the PSK and a fresh " + orNone(second.KeyExchange) + " share: forward secret"
		if rd.KeyExchangeMode == "psk_ke" {
			kx = "the PSK alone: not forward secret"
		}
		r.line(label+" %s: the server took the PSK%s; keys from %s (%s)", "accepted", p.Good("yes"), id, esc(kx), rd.KeyExchangeMode)
	case rd.Accepted:
		r.line(label+" %s: the server resumed the session (ChangeCipherSpec straight after its ServerHello)", "accepted", p.Good("yes"))
	default:
		r.line(label+" %s: %s", "accepted", p.Warn("no"), esc(orNone(rd.Why+rd.Error)))
	}
	if len(rd.Skipped) > 0 {
		r.line(label+" %s", "skipped", strings.Join(rd.Skipped, ", "))
	}
	if rd.Offered == "session_id" {
		r.line(label+" %s", "session", fmt.Sprintf("held by the server under its ID, age %.0f ms", rd.TicketAgeMs))
	} else {
		ticket := fmt.Sprintf("lifetime %ds, age %.0f ms", rs.TicketLifetimeS, rd.TicketAgeMs)
		if rs.MaxEarlyDataSize != nil {
			ticket += fmt.Sprintf(", early data up to %d bytes", *rs.MaxEarlyDataSize)
		} else {
			ticket += ", no early data"
		}
		r.line(label+" %s", "ticket", ticket)
	}
	saved := rd.SavedMs
	if saved > -0.05 && saved < 0.05 {
		saved = 0 // not "-0.0"
	}
	r.line(label+" %.1f ms (handshake %.1f ms, then %.1f ms)", "saved", saved, first.Timing.HandshakeMs, second.Timing.HandshakeMs)
}

// ech says what Encrypted Client Hello did: which name the wire showed and which it hid, or
// why the server could not decrypt the hello, and what it offered to retry with.
func (r *handshakeReport) ech(e *handshake.ECHResult) {
	if e == nil {
		return
	}
	esc, p := render.Escape, r.p
	label := p.Bold("   ECH           ")
	suite := ""
	if e.HPKESuite != nil {
		suite = ", " + e.HPKESuite.String()
	}
	if d := e.DNSRecord; d != nil {
		endpoint := ""
		if d.Target != "." && d.Target != "" || d.Port != 0 {
			endpoint = fmt.Sprintf(", service at %s port %d", strings.TrimSuffix(d.Target, "."), d.Port)
		}
		r.line("%s config from the DNS HTTPS record of %s (asked %s%s)", label, esc(d.Name), esc(d.Server), esc(endpoint))
		label = "                 "
	}
	if f := e.FirstRejected; f != nil {
		r.line("%s config %d rejected; retried with the server's retry configs", label, f.ConfigID)
		label = "                 "
	}
	if e.Accepted {
		r.line("%s %s: the wire showed only %s; %s was hidden (config %d%s)", label, p.Good("accepted"), esc(orNone(e.OuterSNI)), esc(orNone(e.HiddenSNI)), e.ConfigID, suite)
		return
	}
	if !e.Rejected {
		r.line("%s %s: the handshake failed before the server accepted or rejected config %d (see above); the outer hello showed %s", label,
			p.Warn("no verdict"), e.ConfigID, esc(orNone(e.OuterSNI)))
		return
	}
	r.line("%s %s: the server could not use config %d%s; the outer hello showed %s, %s stayed hidden", label, p.Bad("rejected"),
		e.ConfigID, suite, esc(orNone(e.OuterSNI)), esc(orNone(e.HiddenSNI)))
	const indent = "                 "
	switch {
	case len(e.RetryConfigs) == 0 && len(e.RetryConfigList) > 0:
		r.line("%s retry configs offered, %s", indent, p.Bad(esc(e.RetryError)))
	case len(e.RetryConfigs) == 0:
		r.line("%s no retry configs offered", indent)
	default:
		auth := p.Good("authenticated by the certificate for " + esc(e.PublicName))
		if !e.RetryAuthenticated {
			auth = p.Bad("not authenticated: " + esc(e.RetryError))
		}
		r.line("%s %d retry config(s), %s", indent, len(e.RetryConfigs), auth)
		for _, c := range e.RetryConfigs {
			if !c.Supported {
				r.line("%s   version %s (not understood, %d bytes)", indent, c.Version, c.Length)
				continue
			}
			r.line("%s   config %d, %s, public name %s", indent, c.ConfigID, c.KEM, esc(c.PublicName))
		}

		if e.RetryAuthenticated {
			r.line("%s retry with --ech-retry, or --ech %s", indent, base64.StdEncoding.EncodeToString(e.RetryConfigList))
		}
	}
}

// steps writes a handshake's timeline, and the note on its encrypted messages.
func (r *handshakeReport) steps(res *handshake.Result) {
	esc, p := render.Escape, r.p
	// decryptedSeen: an encrypted message was read (TLS 1.3, with the session's own secrets);
	// TLS 1.2's encrypted Finished is only seen as "encrypted".
	encryptedSeen, decryptedSeen := false, false
	for _, s := range res.Steps {
		encryptedSeen = encryptedSeen || s.Encrypted
		decryptedSeen = decryptedSeen || s.Encrypted && s.Summary != "encrypted"
		arrow := p.Accent("→")
		if s.Direction == handshake.Received {
			arrow = p.Good("←")
		}
		// Padded before it is styled: escape codes would count as columns.
		r.line("  %8.2f ms  %s  %s %s", s.AtMs, arrow, p.Bold(fmt.Sprintf("%-22s", stepName(s))), esc(s.Summary))
		if r.verbose {
			const indent = "                   " // under the message name
			for _, d := range s.Detail {
				for _, l := range wrapList(esc(d), r.width-len(indent)) {
					r.line("%s%s", indent, p.Dim(l))
				}
			}
		}
	}
	switch {
	case decryptedSeen:
		r.line("%s", p.Dim("  * encrypted on the wire; decrypted with this session's own secrets (TLS 1.3)"))
	case encryptedSeen:
		// TLS 1.2 and older encrypt only the Finished messages (and later alerts), which are
		// shown as they were seen, not decrypted.
		r.line("%s", p.Dim("  * encrypted on the wire (TLS 1.2 and older encrypt only Finished); shown as sent, not decrypted"))
	}
}

func (r *handshakeReport) chain(v *handshakeView) {
	esc, p, res := render.Escape, r.p, v.res
	for i, cv := range v.certs {
		c := cv.cert
		branch, pipe := "├─", "│ "
		if i == len(v.certs)-1 {
			branch, pipe = "└─", "  "
		}
		left := validityLeft(c.DaysLeft)
		if c.DaysLeft < 0 {
			left = p.Bad(left)
		} else if c.DaysLeft < 30 {
			left = p.Warn(left)
		}
		role := "leaf"
		if i > 0 {
			role = "intermediate"
			if c.SelfSigned {
				role = "root"
			}
		}
		r.line("   %s %s %s", branch, p.Bold(esc(c.Subject)), p.Dim("("+role+")"))
		r.line("   %s    issuer     %s", pipe, esc(c.Issuer))
		r.line("   %s    valid      %s (%s)", pipe, cv.validity, left)
		r.line("   %s    key        %s, signed with %s", pipe, c.Key, c.SignatureAlgorithm)
		if cv.names != "" {
			r.line("   %s    names      %s", pipe, esc(cv.names))
		}
		if cv.revocation != "" {
			r.line("   %s    revocation %s", pipe, revocationColour(p, c.Revocation.Status)(esc(cv.revocation)))
		}
		if r.verbose {
			r.line("   %s    serial     %s", pipe, c.Serial)
			r.line("   %s    sha256     %s", pipe, c.SHA256)
		}
	}
	ver := res.Verification
	if ver == nil {
		return
	}
	colour := p.Good
	if !ver.Verified {
		colour = p.Bad
		if r.insecure {
			colour = p.Warn
		}
	}
	r.line("   %s  %s", p.Dim("verification"), colour(esc(v.verdict)))
	if !ver.HostnameOK && ver.Reason != inspect.ReasonHostnameMismatch {
		r.line("   %s  %s", p.Dim("hostname    "), p.Bad("the certificate is not valid for "+esc(res.Target.Host)))
	}
	if rev := res.Revocation; rev != nil {
		r.line("   %s    %s", p.Dim("revocation"), revocationColour(p, rev.Status)(esc(describeRevocationReport(rev))))
	}
	if v.ocsp != "" {
		r.line("   %s  %s", p.Dim("ocsp staple "), revocationColour(p, res.OCSP.Status)(esc(v.ocsp)))
	}
}

func (r *handshakeReport) sessionKeys(v *handshakeView) {
	res := v.res
	hrr := ""
	if res.HelloRetry {
		hrr = ", after a HelloRetryRequest"
	}
	kx := orNone(res.KeyExchange)
	if t := res.TLS12; t != nil {
		switch {
		case t.Group != "" && !strings.Contains(kx, t.Group):
			kx += " (" + t.Group + ")"
		case t.DHPrimeBits > 0:
			kx += fmt.Sprintf(" (%d-bit group)", t.DHPrimeBits)
		}
	}
	r.line("%s %s%s; forward secrecy: %s; resumption ticket: %s; ALPN: %s", r.p.Bold("4. session keys  "),
		kx, hrr, v.forwardSecrecy, v.ticket, render.Escape(v.alpn))
	if t := res.TLS12; t != nil {
		// What s_client's summary says of a TLS 1.2 session: both are the server's
		// confirmations in its ServerHello, and their absence is a weakness.
		r.line("   %s  extended master secret: %s; secure renegotiation: %s", r.p.Dim("TLS 1.2     "), yesNo(t.ExtendedMasterSecret), yesNo(t.SecureRenegotiation))
	}
	if ca := res.ClientAuth; ca != nil && ca.Requested {
		sent := "none sent (no --cert)"
		if ca.CertificateSent {
			sent = "sent " + render.Escape(ca.CertificateSubject)
		}
		r.line("   %s  the server asked for a client certificate: %s", r.p.Dim("client auth "), sent)
	}
}

func (r *handshakeReport) timing(res *handshake.Result) {
	t := res.Timing
	r.line("")
	st := ""
	if res.StartTLS != "" {
		st = fmt.Sprintf(", starttls %.1f ms", t.StartTLSMs)
	}
	r.line("%s dns %.1f ms, connect %.1f ms%s, handshake %.1f ms, total %.1f ms", r.p.Dim("timing:"), t.DNSMs, t.ConnectMs, st, t.HandshakeMs, t.TotalMs)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
