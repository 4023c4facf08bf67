package handshake

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/names/dn"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Step is one message of the handshake's timeline.
type Step struct {
	AtMs      float64   `json:"at_ms"`
	Direction Direction `json:"direction"`
	Message   string    `json:"message"`
	// Encrypted is true for a message that was encrypted on the wire (TLS 1.3's after the
	// ServerHello, TLS 1.2's Finished).
	Encrypted bool `json:"encrypted"`
	// Length is the message's size on the wire (handshake header included).
	Length int `json:"length"`
	// Summary is the one or two facts that matter, for the timeline.
	Summary string `json:"summary"`
	// Details is the decoded message (docs/json.md); absent when it could not be decrypted.
	Details any `json:"details,omitempty"`
	// Detail holds the verbose text lines (-v).
	Detail []string `json:"-"`
}

// event is a message found in the transcript, before decoding.
type event struct {
	dir       Direction
	at        time.Duration
	seq       int // order found, to keep ties stable
	name      string
	msg       *wire.Message
	alert     []byte
	encrypted bool
	length    int
	note      string
}

// transcriptState carries what one direction's records need: version, suite and keys.
type transcriptState struct {
	tls13 bool
	suite uint16
	log   *keyschedule.KeyLog
}

// decodeTranscript rebuilds the timeline from the recorded bytes: split into records, decrypt
// TLS 1.3's protected ones with the session's own secrets, frame handshake messages, decode them
// in the order they happened, and fill the result's steps and session facts.
func decodeTranscript(res *Result, rec *RecordingConn, keylog []byte, opts decodeOptions) {
	newTranscriptDecoder(rec.Chunks(), keylog, opts).finish(res, nil)
}

// decodeOptions say what a transcript decoder needs beyond the bytes.
type decodeOptions struct {
	// verbose fills each step's Detail lines.
	verbose bool
	// peerCertificates are the server's certificates as crypto/tls parsed them, so describing
	// the Certificate message need not parse them again.
	peerCertificates []*x509.Certificate
	// done, when closed, stops the decoding where it is (the run's deadline passed): the
	// caller then discards the steps.
	done <-chan struct{}
}

// stopped reports whether done has been closed.
func (o decodeOptions) stopped() bool {
	select {
	case <-o.done:
		return true
	default:
		return false
	}
}

// stopCheckEvery is how many records or steps go between looks at decodeOptions.done: often
// enough to stop within a millisecond, rarely enough to cost nothing.
const stopCheckEvery = 1024

// transcriptDecoder decodes a recording that may still be growing. Feeding it the recording
// again later decodes only the records added since, so Handshake can do the bulk of the work
// while it waits for the server's post-handshake messages, and only the tickets after.
type transcriptDecoder struct {
	opts           decodeOptions
	keylog         []byte
	st             transcriptState
	sent, received directionReader
	// sentStream and recvStream are the recording so far, nchunks chunks of it.
	sentStream, recvStream Stream
	nchunks                int
	seq                    int
	dec                    wire.Decoder
	steps                  []Step
	lastAt                 time.Duration // time of the last event turned into a step
	resumption             *Resumption
	tls12                  *TLS12Session
	notTLS                 string
	notTLSStartTLS         string
	// haveServerHello says the first feed held the ServerHello that fixes how the rest is
	// read; without it finish decodes the whole recording afresh.
	haveServerHello bool
	// outOfOrder is set when records added later sort before ones already decoded, which
	// appending cannot represent; finish then decodes the whole recording afresh.
	outOfOrder bool
}

// newTranscriptDecoder decodes what has been recorded so far. The ServerHello in it (plaintext
// in every version) says how to read the rest, so it must be in chunks for a later feed to be
// decoded the same way as a single pass.
func newTranscriptDecoder(chunks []Chunk, keylog []byte, opts decodeOptions) *transcriptDecoder {
	d := &transcriptDecoder{opts: opts, keylog: keylog, sent: directionReader{dir: Sent}, received: directionReader{dir: Received}}
	d.add(chunks)
	sentRecs, _ := recordsFrom(d.sentStream, 0)
	recvRecs, recvErr := recordsFrom(d.recvStream, 0)
	if sh := firstServerHello(recvRecs); sh != nil {
		d.haveServerHello = true
		d.st.tls13 = sh.Version() == wire.VersionTLS13
		d.st.suite = sh.CipherSuite
		if !d.st.tls13 {
			d.tls12 = &TLS12Session{}
			for _, e := range sh.Extensions {
				switch e.Type {
				case wire.ExtExtendedMasterSecret:
					d.tls12.ExtendedMasterSecret = true
				case wire.ExtRenegotiationInfo:
					d.tls12.SecureRenegotiation = true
				}
			}
		}
	}
	if d.st.tls13 {
		if random := clientRandom(sentRecs); random != "" {
			if logs, err := keyschedule.ParseKeyLog(keylog); err == nil {
				d.st.log = logs[random]
				if d.st.log == nil && len(logs) == 1 {
					// With ECH accepted the secrets are the inner ClientHello's, whose random
					// is not the one on the wire; the log of one connection has one hello's.
					for _, l := range logs {
						d.st.log = l
					}
				}
			}
		}
	}
	d.sent.init(d.st)
	d.received.init(d.st)
	d.decode(sentRecs, recvRecs, recvErr)
	return d
}

// add appends the chunks not seen before to the two streams.
func (d *transcriptDecoder) add(chunks []Chunk) {
	for _, ch := range chunks[min(d.nchunks, len(chunks)):] {
		if ch.Dir == Received {
			d.recvStream.add(ch)
		} else {
			d.sentStream.add(ch)
		}
	}
	d.nchunks = max(d.nchunks, len(chunks))
}

// recordsFrom frames the records of s that start at offset from or later.
func recordsFrom(s Stream, from int) ([]wire.Record, error) {
	recs, _, err := wire.ParseRecords(s.Data[from:])
	for i := range recs {
		recs[i].Offset += from
	}
	return recs, err
}

// feed decodes the records that chunks (the whole recording so far, of which what was fed
// before is a prefix) holds beyond those already decoded.
func (d *transcriptDecoder) feed(chunks []Chunk) {
	d.add(chunks)
	sentRecs, _ := recordsFrom(d.sentStream, d.sent.consumed)
	recvRecs, recvErr := recordsFrom(d.recvStream, d.received.consumed)
	d.decode(sentRecs, recvRecs, recvErr)
}

// decode turns newly framed records into steps. recvErr is what framing the received records
// said, which tells a peer that does not speak TLS when it came from the start of the stream.
func (d *transcriptDecoder) decode(sentRecs, recvRecs []wire.Record, recvErr error) {
	if d.received.consumed == 0 {
		d.notTLS = ""
		var notTLS *wire.NotTLSError
		if errors.As(recvErr, &notTLS) {
			d.notTLS = describeNotTLS(notTLS)
			d.notTLSStartTLS = GreetingStartTLS(notTLS)
		}
	}

	var events []event
	events = append(events, d.sent.read(d.sentStream, sentRecs, d.st, &d.seq, d.opts)...)
	events = append(events, d.received.read(d.recvStream, recvRecs, d.st, &d.seq, d.opts)...)
	sort.SliceStable(events, func(i, j int) bool {
		if events[i].at != events[j].at {
			return events[i].at < events[j].at
		}
		return events[i].seq < events[j].seq
	})
	// A tie is out of order too: a single pass breaks ties by the order events were found,
	// which appending cannot reproduce.
	if len(events) > 0 && len(d.steps) > 0 && events[0].at <= d.lastAt {
		d.outOfOrder = true
		return
	}
	for i, ev := range events {
		if i%stopCheckEvery == stopCheckEvery-1 && d.opts.stopped() {
			return
		}
		d.steps = append(d.steps, d.step(ev))
		d.lastAt = ev.at
	}
}

// step decodes one event into its timeline step.
func (d *transcriptDecoder) step(ev event) Step {
	step := Step{
		AtMs:      ms(ev.at),
		Direction: ev.dir,
		Message:   ev.name,
		Encrypted: ev.encrypted,
		Length:    ev.length,
		Summary:   ev.note,
	}
	switch {
	case ev.msg != nil:
		v, err := d.dec.Decode(*ev.msg)
		if err != nil {
			step.Summary = "malformed: " + err.Error()
			break
		}
		step.Details = v
		step.Summary = d.summary(v)
		if d.opts.verbose {
			step.Detail = d.detail(v)
		}
		if nst, ok := v.(*wire.NewSessionTicket); ok {
			d.resumption = &Resumption{TicketOffered: true, TicketLifetimeS: int(nst.LifetimeSeconds), MaxEarlyDataSize: nst.MaxEarlyDataSize}
		}
	case ev.alert != nil:
		a, err := wire.ParseAlert(ev.alert)
		if err != nil {
			step.Summary = "malformed alert"
			break
		}
		step.Details = a
		step.Summary = a.LevelName + " " + a.DescriptionName
	}
	return step
}

// finish decodes what chunks (the final recording; nil when nothing was added) adds, and fills
// res.
func (d *transcriptDecoder) finish(res *Result, chunks []Chunk) {
	if chunks != nil {
		d.feed(chunks)
		if d.outOfOrder || !d.haveServerHello {
			d = newTranscriptDecoder(chunks, d.keylog, d.opts)
		}
	}
	res.notTLS, res.notTLSStartTLS = d.notTLS, d.notTLSStartTLS
	res.Steps = append(res.Steps, d.steps...)
	if d.resumption != nil {
		res.Resumption = d.resumption
	}
	res.TLS12 = d.tls12
}

// directionReader reads one direction's records into events, keeping what it needs to carry on
// where it stopped: its place in the stream, the message assemblers and the record keys.
type directionReader struct {
	dir          Direction
	consumed     int // stream offset just past the last record read
	hs, app      lazyDecrypter
	plain, inner *wire.Assembler
	afterCCS     bool
	useApp       bool
	stopped      bool // a framing error ended this direction's timeline
}

func (r *directionReader) init(st transcriptState) {
	r.plain = wire.NewAssembler(0)
	r.inner = wire.NewAssembler(0)
	if !st.tls13 || st.log == nil {
		return
	}
	hsSecret, appSecret := st.log.ClientHandshakeTrafficSecret, st.log.ClientTrafficSecret0
	if r.dir == Received {
		hsSecret, appSecret = st.log.ServerHandshakeTrafficSecret, st.log.ServerTrafficSecret0
	}
	r.hs = lazyDecrypter{suite: st.suite, secret: hsSecret}
	r.app = lazyDecrypter{suite: st.suite, secret: appSecret}
}

// lazyDecrypter derives its record keys on first use: a direction that sends nothing under a
// key (the client's application keys, most of the time) never pays for them.
type lazyDecrypter struct {
	suite  uint16
	secret []byte
	dec    *keyschedule.RecordDecrypter
	tried  bool
}

// get returns the decrypter, or nil when there is no secret or it does not fit the suite.
func (l *lazyDecrypter) get() *keyschedule.RecordDecrypter {
	if !l.tried {
		l.tried = true
		if len(l.secret) > 0 {
			l.dec, _ = keyschedule.NewRecordDecrypter(l.suite, l.secret)
		}
	}
	return l.dec
}

// read turns the records of s not read before into events, until opts says to stop.
func (r *directionReader) read(s Stream, recs []wire.Record, st transcriptState, seq *int, opts decodeOptions) []event {
	var out []event
	add := func(ev event) {
		ev.dir = r.dir
		ev.seq = *seq
		*seq++
		out = append(out, ev)
	}
	for i, rec := range recs {
		if r.stopped || (i%stopCheckEvery == stopCheckEvery-1 && opts.stopped()) {
			break
		}
		if rec.Offset < r.consumed {
			continue
		}
		r.consumed = rec.Offset + wire.RecordHeaderLength + len(rec.Payload)
		// A message is there for the reader when its last byte arrived; for the writer when
		// its first byte left.
		at := s.TimeAt(rec.Offset)
		if r.dir == Received {
			at = s.TimeAt(r.consumed - 1)
		}
		switch rec.Type {
		case wire.ContentHandshake:
			if r.afterCCS && !st.tls13 {
				// TLS 1.0-1.2: what follows ChangeCipherSpec is encrypted; it is the Finished.
				add(event{at: at, name: "Finished", encrypted: true, length: len(rec.Payload), note: "encrypted"})
				continue
			}
			msgs, err := r.plain.Add(rec.Payload)
			for i := range msgs {
				m := msgs[i]
				add(event{at: at, name: m.Name(), msg: &m, length: len(m.Raw)})
			}
			if err != nil {
				add(event{at: at, name: "Error", note: err.Error()})
				r.stopped = true
			}
		case wire.ContentChangeCipherSpec:
			note := ""
			if st.tls13 {
				note = "middlebox compatibility, no effect in TLS 1.3"
			} else {
				r.afterCCS = true
				note = "switches to the negotiated keys"
			}
			add(event{at: at, name: wire.NameChangeCipherSpec, length: len(rec.Payload), note: note})
		case wire.ContentAlert:
			if r.afterCCS && !st.tls13 {
				add(event{at: at, name: wire.NameAlert, encrypted: true, length: len(rec.Payload), note: "encrypted"})
				continue
			}
			add(event{at: at, name: wire.NameAlert, alert: append([]byte(nil), rec.Payload...), length: len(rec.Payload)})
		case wire.ContentApplicationData:
			if !st.tls13 {
				continue // application data after a TLS 1.2 handshake is not part of it
			}
			raw := s.Data[rec.Offset:r.consumed]
			ctype, pt, err := r.decrypt(raw)
			if err != nil {
				add(event{at: at, name: "EncryptedRecord", encrypted: true, length: len(rec.Payload), note: "not decrypted: " + err.Error()})
				continue
			}
			switch ctype {
			case wire.ContentHandshake:
				msgs, err := r.inner.Add(pt)
				for i := range msgs {
					m := msgs[i]
					add(event{at: at, name: m.Name(), msg: &m, encrypted: true, length: len(m.Raw)})
					if m.Type == wire.TypeFinished {
						r.useApp = true // after its Finished, a side sends under application keys
					}
				}
				if err != nil {
					add(event{at: at, name: "Error", note: err.Error()})
					r.stopped = true
				}
			case wire.ContentAlert:
				add(event{at: at, name: wire.NameAlert, alert: pt, encrypted: true, length: len(pt)})
			}
		}
	}
	return out
}

// decrypt opens a protected record with the handshake keys, or the application keys once the
// handshake keys stop working (a failed open does not advance a decrypter's sequence).
func (r *directionReader) decrypt(raw []byte) (uint8, []byte, error) {
	if len(r.hs.secret) == 0 && len(r.app.secret) == 0 {
		return 0, nil, errors.New("no session secrets")
	}
	if !r.useApp {
		if hs := r.hs.get(); hs != nil {
			if ct, pt, err := hs.Decrypt(raw); err == nil {
				return ct, pt, nil
			} else if !errors.Is(err, keyschedule.ErrDecryptFailed) {
				return 0, nil, err
			}
		}
	}
	if app := r.app.get(); app != nil {
		ct, pt, err := app.Decrypt(raw)
		if err == nil {
			r.useApp = true
		}
		return ct, pt, err
	}
	return 0, nil, keyschedule.ErrDecryptFailed
}

// plaintextMessages yields the handshake messages of recs' handshake records, in order, up to
// the first that does not parse.
func plaintextMessages(recs []wire.Record) iter.Seq[wire.Message] {
	return func(yield func(wire.Message) bool) {
		asm := wire.NewAssembler(0)
		for _, r := range recs {
			if r.Type != wire.ContentHandshake {
				continue
			}
			msgs, err := asm.Add(r.Payload)
			for _, m := range msgs {
				if !yield(m) {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

func firstServerHello(recs []wire.Record) *wire.ServerHello {
	for m := range plaintextMessages(recs) {
		if m.Type == wire.TypeServerHello && !wire.IsHelloRetryRequestBody(m.Body) {
			sh, err := wire.ParseServerHello(m.Body)
			if err != nil {
				return nil
			}
			return sh
		}
	}
	return nil
}

func clientRandom(recs []wire.Record) string {
	for m := range plaintextMessages(recs) {
		// legacy_version, then the 32-byte random (RFC 8446 section 4.1.2): no need to
		// parse the rest, which the timeline decodes anyway.
		if m.Type == wire.TypeClientHello && len(m.Body) >= 2+32 {
			return hex.EncodeToString(m.Body[2 : 2+32])
		}
	}
	return ""
}

func describeNotTLS(e *wire.NotTLSError) string {
	what, hint := NotTLSAnswer(e)
	if e.Guess != "unknown" {
		what += ", not TLS"
	}
	if hint != "" {
		what += " (" + hint + ")"
	}
	return what
}

// GreetingStartTLS is the STARTTLS protocol a plaintext greeting asks for ("smtp" for an SMTP
// one), or "" when what the peer sent is no such greeting. Naming the flag that upgrades is
// the caller's.
func GreetingStartTLS(e *wire.NotTLSError) string {
	switch e.Guess {
	case "SMTP", "FTP", "POP3", "IMAP":
		return strings.ToLower(e.Guess)
	}
	return ""
}

// NotTLSAnswer names what a peer sent instead of TLS ("an HTTP response") and, where one helps
// without naming a flag, the next step ("is this a plain-HTTP port?").
func NotTLSAnswer(e *wire.NotTLSError) (what, hint string) {
	switch e.Guess {
	case "HTTP":
		return "an HTTP response", "is this a plain-HTTP port?"
	case "SMTP", "FTP", "POP3", "IMAP":
		return fmt.Sprintf("a plaintext %s greeting", e.Guess), ""
	case "SSH":
		return "an SSH banner", ""
	case "SSLv2":
		return "an SSLv2 record", ""
	}
	return fmt.Sprintf("bytes that are not TLS (%q)", e.Prefix), ""
}

// summary is a decoded message's one line for the timeline: the one or two facts that matter.
func (d *transcriptDecoder) summary(v any) string {
	switch m := v.(type) {
	case *wire.ClientHello:
		var parts []string
		vers := []string{}
		for _, ver := range m.SupportedVersions {
			if !wire.IsGREASE(ver) {
				vers = append(vers, strings.TrimPrefix(wire.VersionName(ver), "TLS "))
			}
		}
		if len(vers) == 0 {
			vers = append(vers, strings.TrimPrefix(wire.VersionName(m.LegacyVersion), "TLS "))
		}
		parts = append(parts, "TLS "+strings.Join(vers, ", "))
		parts = append(parts, strconv.Itoa(countNonGREASE(m.CipherSuites))+" cipher suites")
		if m.ServerName != "" {
			parts = append(parts, "SNI "+m.ServerName)
		}
		if m.ECH != nil && m.ECH.Type == "outer" {
			// What the wire shows of ECH: the real hello is encrypted in this one.
			parts = append(parts, fmt.Sprintf("ECH outer hello (config %d, %s)", m.ECH.ConfigID, m.ECH.CipherSuite))
		}
		if len(m.KeyShares) > 0 {
			var ks []string
			for _, k := range m.KeyShares {
				if !wire.IsGREASE(k.Group) {
					ks = append(ks, wire.GroupName(k.Group))
				}
			}
			parts = append(parts, "key shares "+strings.Join(ks, ", "))
		}
		if len(m.ALPN) > 0 {
			parts = append(parts, "ALPN "+strings.Join(m.ALPN, ", "))
		}
		switch {
		case m.PSKIdentities > 0:
			parts = append(parts, fmt.Sprintf("resuming: PSK offered (%d identity)", m.PSKIdentities))
		case m.SessionTicketLength > 0:
			parts = append(parts, fmt.Sprintf("resuming: session ticket offered (%d bytes)", m.SessionTicketLength))
		}
		return strings.Join(parts, "; ")
	case *wire.ServerHello:
		if m.IsHelloRetryRequest {
			return "asks for a key share for " + wire.GroupName(m.SelectedGroup)
		}
		parts := []string{wire.VersionName(m.Version()), wire.CipherSuiteName(m.CipherSuite)}
		if m.KeyShare != nil {
			parts = append(parts, wire.GroupName(m.KeyShare.Group))
		}
		if m.ALPN != "" {
			parts = append(parts, "ALPN "+m.ALPN)
		}
		if m.PreSharedKey != nil {
			parts = append(parts, fmt.Sprintf("PSK accepted (identity %d)", *m.PreSharedKey))
		}
		return strings.Join(parts, ", ")
	case *wire.EncryptedExtensions:
		var parts []string
		if m.ALPN != "" {
			parts = append(parts, "ALPN "+m.ALPN)
		}
		if m.ServerNameAck {
			parts = append(parts, "server name acknowledged")
		}
		if len(parts) == 0 {
			parts = append(parts, strconv.Itoa(len(m.Extensions))+" extensions")
		}
		return strings.Join(parts, ", ")
	case *wire.CertificateRequest:
		s := "the server asks for a client certificate"
		if n := len(m.CertificateAuthorityNames); n > 0 {
			s += fmt.Sprintf(" from %d acceptable CAs", n)
		}
		return s
	case *wire.Certificate:
		if len(m.Entries) == 0 {
			return "no certificate"
		}
		s := strconv.Itoa(len(m.Entries)) + " certificate" + plural(len(m.Entries))
		if c := d.certificate(m.Entries[0].DER); c != nil {
			s += ", " + dn.Subject(c)
		}
		return s
	case *wire.CertificateStatus:
		return fmt.Sprintf("stapled OCSP response, %d bytes", m.OCSPResponseLength)
	case *wire.ServerKeyExchange:
		if d.tls12 != nil {
			d.tls12.Group, d.tls12.DHPrimeBits = m.GroupName, m.DHPrimeBits
		}
		s := m.KeyExchange
		switch {
		case m.GroupName != "":
			s += " " + m.GroupName
		case m.DHPrimeBits > 0:
			s += fmt.Sprintf(" %d-bit group", m.DHPrimeBits)
		}
		if m.SignatureSchemeName != "" {
			s += ", signed with " + m.SignatureSchemeName
		}
		return s
	case *wire.ServerHelloDone:
		return ""
	case *wire.CertificateVerify:
		if m.SignatureSchemeName != "" {
			return "signed with " + m.SignatureSchemeName
		}
		return fmt.Sprintf("%d-byte signature", m.SignatureLength)
	case *wire.ClientKeyExchange:
		if m.KeyTransport && m.PublicKeyLength > 0 {
			return fmt.Sprintf("%d-byte premaster secret, encrypted to the server's RSA key", m.PublicKeyLength)
		}
		if m.PublicKeyLength > 0 {
			return fmt.Sprintf("%d-byte public key", m.PublicKeyLength)
		}
		return fmt.Sprintf("%d bytes", m.Length)
	case *wire.Finished:
		return "verify data " + strconv.Itoa(m.VerifyDataLength) + " bytes"
	case *wire.NewSessionTicket:
		return "resumption ticket, lifetime " + strconv.FormatUint(uint64(m.LifetimeSeconds), 10) + "s"
	case *wire.KeyUpdate:
		return "key update"
	}
	return ""
}

// detail is a decoded message's verbose lines (-v): everything offered and asked for.
func (d *transcriptDecoder) detail(v any) []string {
	switch m := v.(type) {
	case *wire.ClientHello:
		return []string{
			"cipher suites: " + joinNames(m.CipherSuites, wire.CipherSuiteName),
			"supported groups: " + joinNames(m.SupportedGroups, wire.GroupName),
			"signature algorithms: " + joinNames(m.SignatureAlgorithms, wire.SignatureSchemeName),
			"extensions: " + extensionNames(m.Extensions),
		}
	case *wire.ServerHello:
		return []string{"extensions: " + extensionNames(m.Extensions)}
	case *wire.EncryptedExtensions:
		return []string{"extensions: " + extensionNames(m.Extensions)}
	case *wire.CertificateRequest:
		detail := []string{"signature algorithms: " + joinNames(m.SignatureAlgorithms, wire.SignatureSchemeName)}
		for _, ca := range m.CertificateAuthorityNames {
			detail = append(detail, "acceptable CA: "+ca)
		}
		return detail
	case *wire.Certificate:
		var detail []string
		for i, e := range m.Entries {
			if c := d.certificate(e.DER); c != nil {
				detail = append(detail, fmt.Sprintf("certificate %d: %s (issuer %s)", i, c.Subject, c.Issuer))
			}
		}
		return detail
	}
	return nil
}

// serverCertificates is the chain the server's Certificate message carried, from the decoded
// timeline: what a handshake that failed after it still shows. nil when there was no such
// message, it was empty, or a certificate in it does not parse (a partial chain would pass
// for the whole one).
func serverCertificates(steps []Step) []*x509.Certificate {
	for _, s := range steps {
		m, ok := s.Details.(*wire.Certificate)
		if !ok || s.Direction != Received {
			continue
		}
		var certs []*x509.Certificate
		for _, e := range m.Entries {
			c, err := x509.ParseCertificate(e.DER)
			if err != nil {
				return nil
			}
			certs = append(certs, c)
		}
		return certs
	}
	return nil
}

// certificate parses a certificate from the Certificate message, reusing crypto/tls's parse of
// the same bytes when there is one; nil when it does not parse.
func (d *transcriptDecoder) certificate(der []byte) *x509.Certificate {
	for _, c := range d.opts.peerCertificates {
		if bytes.Equal(c.Raw, der) {
			return c
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	return c
}

func countNonGREASE(ids []uint16) int {
	n := 0
	for _, id := range ids {
		if !wire.IsGREASE(id) {
			n++
		}
	}
	return n
}

func joinNames(ids []uint16, name func(uint16) string) string {
	if len(ids) == 0 {
		return "-"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = name(id)
	}
	return strings.Join(out, ", ")
}

func extensionNames(exts []wire.Extension) string {
	if len(exts) == 0 {
		return "-"
	}
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Name
	}
	return strings.Join(out, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// VersionName names a TLS version ("TLS 1.3").
func VersionName(v uint16) string { return wire.VersionName(v) }

// GroupName names a key exchange group ("X25519MLKEM768").
func GroupName(id uint16) string { return wire.GroupName(id) }
