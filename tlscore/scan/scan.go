// Package scan enumerates the protocol versions, cipher suites and key-exchange groups a TLS
// server accepts, by sending hand-built ClientHellos and reading only the ServerHello. No
// handshake is ever completed.
package scan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/handshake"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Options configure a scan.
type Options struct {
	Target     connect.Target
	ServerName string        // SNI ("" = none)
	Timeout    time.Duration // per probe connection (default 5s)
	Parallel   int           // concurrent probes to the one host (default 8)
	Rate       int           // max new connections per second (default 250)
	// StartTLS is a plaintext protocol to upgrade before each probe (as connect.StartTLS).
	StartTLS string
	// Now is the clock for the certificate checks; nil means time.Now.
	Now func() time.Time
	// Roots replaces the system roots when verifying the certificate.
	Roots *x509.CertPool
	// Revocation says how the certificate's revocation is looked up (staple mode when zero);
	// RevocationHardFail makes an undetermined status fail its verification.
	Revocation         revocation.Options
	RevocationHardFail bool
	// Checks names the vulnerability checks to run (CheckNames); nil runs them all, an empty
	// list none.
	Checks []string
}

// Suite is one cipher suite a server accepted.
type Suite struct {
	// ID is the IANA number; SSL 2.0 cipher kinds, which have three bytes, have SSLv2Kind
	// instead.
	ID             uint16 `json:"id,omitempty"`
	SSLv2Kind      uint32 `json:"sslv2_kind,omitempty"`
	Name           string `json:"name"`
	OpenSSLName    string `json:"openssl_name"`
	Bits           int    `json:"bits"`
	ForwardSecrecy bool   `json:"forward_secrecy"`
	AEAD           bool   `json:"aead"`
	KeyExchange    string `json:"key_exchange"`
}

// VersionResult is what the scan learned about one protocol version.
type VersionResult struct {
	Version   string `json:"version"` // "SSL 2.0", "SSL 3.0", "TLS 1.0" ... "TLS 1.3"
	Supported bool   `json:"supported"`
	// Inconclusive is set when probes failed in ways that do not prove refusal (timeouts,
	// resets, garbage); the suite list may then be incomplete, but it never holds a suite
	// the server did not pick.
	Inconclusive bool `json:"inconclusive,omitempty"`
	// ServerPreference is nil when fewer than two suites were found or the test failed.
	ServerPreference *bool `json:"server_preference,omitempty"`
	// Suites are in the server's preference order when it has one, else table order.
	Suites []Suite `json:"suites"`
}

// GroupResult says whether the server accepts one key-exchange group.
type GroupResult struct {
	ID        uint16 `json:"id"`
	Name      string `json:"name"`
	Supported bool   `json:"supported"`
	// Inconclusive is set when the group's probe failed twice in ways that do not prove
	// refusal (timeouts, resets, garbage); Supported is then false but unknown.
	Inconclusive bool `json:"inconclusive,omitempty"`
}

// Result is the outcome of a scan.
type Result struct {
	Target   connect.Target  `json:"target"`
	Versions []VersionResult `json:"versions"`
	// Groups are TLS 1.3 groups, or TLS 1.2 ECDHE curves when TLS 1.3 is absent.
	Groups []GroupResult `json:"groups"`
	// TLS12Groups are the ECDHE curves and RFC 7919 FFDHE groups of the highest version below
	// TLS 1.3, whether or not TLS 1.3 is accepted.
	TLS12Groups []GroupResult12 `json:"tls12_groups,omitempty"`
	// HelloRetryRequest: the server asked for another key share when offered a share it
	// does not take.
	HelloRetryRequest bool `json:"hello_retry_request"`
	Probes            int  `json:"probes"` // connections made
	// DHGroupBits is the smallest DHE prime (in bits) of DH; 0 when no DHE suite is accepted
	// or no ServerKeyExchange could be read.
	DHGroupBits int `json:"dh_group_bits,omitempty"`
	// DH is the DHE group of each kind of DHE suite accepted (per version and authentication).
	DH []DHGroup `json:"dh_groups,omitempty"`
	// SecureRenegotiation: the server's TLS 1.2-or-older ServerHello carried renegotiation_info
	// (RFC 5746) to a hello that signalled it; nil when no version below 1.3 is accepted or the
	// probe proved nothing.
	SecureRenegotiation *bool `json:"secure_renegotiation,omitempty"`
	// Checks are the vulnerability checks, each with its verdict and evidence.
	Checks []Check `json:"checks"`
	// Features are the extensions, ALPN, NPN and resumption; nil when not asked for.
	Features *Features `json:"features,omitempty"`
	// HTTP is what one HTTP request over TLS showed (HSTS, compression, the banner); nil when
	// not asked for or under STARTTLS.
	HTTP *HTTPResult `json:"http,omitempty"`
	// SignatureAlgorithms are the schemes the server signs with, per version and certificate
	// kind; nil when not asked for.
	SignatureAlgorithms []SigAlgResult `json:"signature_algorithms,omitempty"`
	// Clients is what each simulated client (a real client's recorded ClientHello, replayed)
	// would get; nil when not asked for.
	Clients []ClientResult `json:"clients,omitempty"`
	// Connection is what one ordinary handshake (Go's TLS stack, ALPN h2 and http/1.1)
	// showed: the certificate, ALPN, OCSP stapling and resumption.
	Connection *Connection `json:"connection,omitempty"`
	// rootsGiven: the certificate was verified against Options.Roots, not the system's.
	rootsGiven bool
}

// GroupResult12 is a group probed at a version below TLS 1.3.
type GroupResult12 struct {
	GroupResult
	Version string `json:"version"`
	// Auth is the certificate type of the suites it was probed with ("RSA", "ECDSA",
	// "ANON"), or "DHE" for an FFDHE group.
	Auth string `json:"auth"`
}

// DHGroup is the prime a server used for one kind of DHE suite.
type DHGroup struct {
	Version string `json:"version"`
	// Auth is the suites' authentication: "RSA", "DSS", "ANON", ...
	Auth  string `json:"auth"`
	Suite string `json:"suite"` // the suite the probe was answered with
	Bits  int    `json:"bits"`
	// Prime names a published group ("RFC 3526 group 14 (2048-bit MODP)", "ffdhe2048 (RFC
	// 7919)"); empty for the server's own prime.
	Prime string `json:"prime,omitempty"`
}

// Connection is the outcome of the scan's one full handshake.
type Connection struct {
	// CertificateFromProbe: the ordinary handshake failed (Error says why), and the chain,
	// its verification and lint are those a raw probe's flight carried.
	CertificateFromProbe bool   `json:"certificate_from_probe,omitempty"`
	Version              string `json:"version,omitempty"`
	CipherSuite          string `json:"cipher_suite,omitempty"`
	ALPN                 string `json:"alpn"`
	OCSPStapled          bool   `json:"ocsp_stapled"`
	OCSPStatus           string `json:"ocsp_status,omitempty"`
	// MustStaple: the leaf's TLS feature extension asks for a stapled OCSP response (RFC 7633).
	MustStaple       bool `json:"must_staple,omitempty"`
	ResumptionTicket bool `json:"resumption_ticket"`
	// TicketLifetimeS is the lifetime the server gave its ticket (RFC 5077's hint, RFC 8446's
	// ticket_lifetime), in seconds.
	TicketLifetimeS int                   `json:"ticket_lifetime_s,omitempty"`
	Chain           []inspect.Certificate `json:"chain"`
	Verification    *inspect.Verification `json:"verification,omitempty"`
	Revocation      *revocation.Report    `json:"revocation,omitempty"`
	// Lint holds the findings on the leaf certificate.
	Lint  []inspect.Finding `json:"lint"`
	Error string            `json:"error,omitempty"`
}

// NotScannedError says a scan has nothing to report about its target: the target does not
// speak TLS, or no protocol version could be determined. Why says what was seen.
type NotScannedError struct {
	Addr string
	Why  string
	// StartTLS is the STARTTLS protocol ("smtp") the target's plaintext greeting asked for, when
	// it answered with one: what a caller can suggest next.
	StartTLS string
}

func (e *NotScannedError) Error() string { return e.Addr + " " + e.Why }

// reachServer runs one full handshake with Go's TLS stack for the facts probes cannot see. spoke
// says whether the server answered it in TLS at all (an alert counts).
func reachServer(ctx context.Context, opts Options) (c *Connection, spoke bool) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ho := handshakeOptions(opts, now)
	ho.Revocation, ho.RevocationHardFail = opts.Revocation, opts.RevocationHardFail
	res, err := handshake.Run(ctx, ho)
	c = &Connection{Chain: []inspect.Certificate{}, Lint: []inspect.Finding{}}
	if err != nil {
		c.Error = err.Error()
		// The timeline holds only what parsed as TLS records.
		return c, slices.ContainsFunc(res.Steps, func(s handshake.Step) bool { return s.Direction == handshake.Received })
	}
	c.Version, c.CipherSuite, c.ALPN = res.Version, res.CipherSuite, res.ALPN
	c.Chain = res.Chain
	c.Verification = res.Verification
	c.Revocation = res.Revocation
	if res.OCSP != nil {
		c.OCSPStapled, c.OCSPStatus = true, res.OCSP.Status
	}
	c.ResumptionTicket = res.Resumption != nil && res.Resumption.TicketOffered
	if res.Resumption != nil {
		c.TicketLifetimeS = res.Resumption.TicketLifetimeS
	}
	if len(res.PeerCertificates) > 0 {
		c.Lint = inspect.Lint(res.PeerCertificates[0], now())
		c.MustStaple = inspect.MustStaple(res.PeerCertificates[0])
	}
	return c, true
}

// handshakeOptions are the options of a scan's handshakes through tlscore/handshake: every
// suite Go implements (so a server with only legacy ones still answers), from TLS 1.0.
func handshakeOptions(opts Options, now func() time.Time) handshake.Options {
	var suites []uint16
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		suites = append(suites, cs.ID)
	}
	return handshake.Options{
		Target:       opts.Target,
		ServerName:   opts.ServerName,
		NoSNI:        opts.ServerName == "",
		ALPN:         []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS10,
		CipherSuites: suites,
		StartTLS:     opts.StartTLS,
		Roots:        opts.Roots,
		Timeout:      opts.Timeout,
		Now:          now,
	}
}

// maxBatch bounds the suites in one ClientHello; some servers reject huge hellos.
const maxBatch = 120

const scsvRenegotiation uint16 = 0x00ff

var scanVersions = []uint16{wire.VersionSSL30, wire.VersionTLS10, wire.VersionTLS11, wire.VersionTLS12, wire.VersionTLS13}

// probeGroups are the groups tested one at a time; each gets a real key share.
var probeGroups = []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1,
	wire.GroupX25519MLKEM768, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024, wire.GroupX448,
	wire.GroupFFDHE2048, wire.GroupFFDHE3072, wire.GroupFFDHE4096, wire.GroupFFDHE6144, wire.GroupFFDHE8192}

// legacyGroups is supported_groups in TLS 1.0-1.2 hellos.
var legacyGroups = []uint16{
	wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1, wire.GroupX448,
	26, 27, 28, 22, // brainpool, secp256k1
	wire.GroupFFDHE2048, wire.GroupFFDHE3072, wire.GroupFFDHE4096, wire.GroupFFDHE6144, wire.GroupFFDHE8192,
}

var sigAlgs = []uint16{
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b,
	0x081a, 0x081b, 0x081c, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502,
	0x0602, 0x0203, 0x0201, 0x0202,
}

// Scan probes the target and reports what it accepts. A target that does not speak TLS, or
// whose every probe proved nothing, is a *NotScannedError: a scan built on no answers would
// report nothing accepted, which is not what was found.
func Scan(ctx context.Context, opts Options) (*Result, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	if opts.Rate <= 0 {
		opts.Rate = 250
	}
	if opts.Target.Host == "" || opts.Target.Port <= 0 || opts.Target.Port > 65535 {
		return nil, errors.New("scan: target needs a host and a port")
	}
	for _, c := range opts.Checks {
		if !slices.Contains(CheckNames(), c) {
			return nil, fmt.Errorf("scan: no check %q (the checks are %s)", c, strings.Join(CheckNames(), ", "))
		}
	}
	// The probes stop the scan (sctx) early once the peer is known not to speak TLS; ctx is
	// the caller's.
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	parent := ctx
	ctx = sctx
	s := &scanner{p: newProber(opts, stop), opts: opts, states: make(map[uint16]*versionState)}
	for _, v := range scanVersions {
		s.states[v] = &versionState{}
	}
	var conn *Connection
	connDone := make(chan struct{})
	go func() {
		defer close(connDone)
		var spoke bool
		// Its connection counts against --rate and --parallel like every probe's.
		release, err := s.p.slot(ctx)
		if err != nil {
			return
		}
		defer release()
		if conn, spoke = reachServer(ctx, opts); spoke {
			s.p.sawTLS()
		}
	}()
	var v2 outcome
	v2Done := make(chan struct{})
	go func() {
		defer close(v2Done)
		v2 = s.p.probeSSLv2(ctx)
	}()
	s.enumerate(ctx)
	// Snapshot the enumeration for the group tests, which run alongside the preference
	// tests that reorder the lists.
	found := make(map[uint16][]uint16, len(scanVersions))
	for _, v := range scanVersions {
		found[v] = slices.Clone(s.states[v].found)
	}
	var wg sync.WaitGroup
	for _, v := range scanVersions {
		wg.Go(func() { s.preference(ctx, v) })
	}
	wg.Go(func() { s.groups(ctx, found) })
	var dh []DHGroup
	wg.Go(func() { dh = s.dhGroups(ctx, found) })
	var secureReneg *bool
	wg.Go(func() { secureReneg = s.secureRenegotiation(ctx, found) })
	var checks []Check
	wg.Go(func() { checks = s.vulnerabilities(ctx, found) })
	var features *Features
	if opts.wants("features") {
		wg.Go(func() { features = s.features(ctx, found) })
	}
	var httpResult *HTTPResult
	if opts.wants("http") {
		wg.Go(func() { httpResult = s.httpCheck(ctx) })
	}
	var sigAlgs []SigAlgResult
	if opts.wants("signature-algorithms") {
		wg.Go(func() { sigAlgs = s.signatureAlgorithms(ctx, found) })
	}
	var clients []ClientResult
	if opts.wants("clients") {
		wg.Go(func() { clients = s.simulateClients(ctx) })
	}
	wg.Wait()
	<-connDone
	<-v2Done
	if opts.wants(lastCheck) {
		checks = append(checks, s.clientRenegotiation(ctx, found))
	}
	if checks == nil {
		checks = []Check{}
	}

	if err := parent.Err(); err != nil {
		return nil, err
	}
	if conn != nil && len(conn.Chain) == 0 {
		s.certificateFromProbes(ctx, opts, conn, found)
	}
	if s.p.connected.Load() == 0 && s.p.dialErr != nil {
		return nil, s.p.dialErr
	}
	if err := s.p.notTLS(); err != nil {
		return nil, err
	}
	res := &Result{Target: opts.Target, Groups: s.groupResults, TLS12Groups: s.groups12, HelloRetryRequest: s.hrr,
		Probes: int(s.p.probes.Load()), Connection: conn, DHGroupBits: smallestDH(dh), DH: dh, SecureRenegotiation: secureReneg, Checks: checks, Features: features, HTTP: httpResult, Clients: clients, SignatureAlgorithms: sigAlgs, rootsGiven: opts.Roots != nil}
	if res.Groups == nil {
		res.Groups = []GroupResult{}
	}
	res.Versions = append(res.Versions, sslv2Result(v2))
	for _, v := range scanVersions {
		st := s.states[v]
		vr := VersionResult{Version: wire.VersionName(v), Supported: len(st.found) > 0,
			Inconclusive: st.inconclusive, ServerPreference: st.pref, Suites: []Suite{}}
		for _, id := range st.found {
			vr.Suites = append(vr.Suites, suiteInfo(id))
		}
		res.Versions = append(res.Versions, vr)
	}
	if err := s.p.undetermined(res); err != nil {
		return nil, err
	}
	return res, nil
}

// notTLS is the scan's error when no probe got an answer in TLS: what the peer did instead.
func (p *prober) notTLS() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ev, addr := &p.peer, p.opts.Target.Address()
	why, startTLS := "", ""
	switch {
	case ev.spoke:
		return nil
	case ev.notTLS != nil:
		what, hint := handshake.NotTLSAnswer(ev.notTLS)
		if hint != "" {
			what += "; " + hint
		}
		why = "does not speak TLS (it answered with " + what + ")"
		startTLS = handshake.GreetingStartTLS(ev.notTLS)
	case ev.silentStartTLS:
		why = fmt.Sprintf("did not answer STARTTLS %s (it sent nothing within %v)", p.opts.StartTLS, p.opts.Timeout)
	case ev.silent:
		why = fmt.Sprintf("does not speak TLS (it answered no ClientHello within %v)", p.opts.Timeout)
	case ev.startTLS != nil:
		why = fmt.Sprintf("could not be upgraded with STARTTLS %s: %v", p.opts.StartTLS, ev.startTLS)
	case ev.unproven != nil:
		why = fmt.Sprintf("gave no usable TLS answer (%v)", ev.unproven)
	default:
		why = "does not speak TLS (it closed every connection without answering)"
	}
	return &NotScannedError{Addr: addr, Why: why, StartTLS: startTLS}
}

// undetermined is the scan's error when the peer speaks TLS but no version was found and some
// could not be judged: "nothing accepted" would then be a guess.
func (p *prober) undetermined(res *Result) error {
	var unknown []string
	for _, v := range res.Versions {
		if v.Supported {
			return nil
		}
		if v.Inconclusive {
			unknown = append(unknown, v.Version)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	p.mu.Lock()
	cause := p.peer.unproven
	p.mu.Unlock()
	why := fmt.Sprintf("answered in TLS, but no version it accepts could be determined (the probes of %s proved nothing", strings.Join(unknown, ", "))
	if cause != nil {
		why += ": " + cause.Error()
	}
	why += ")"
	return &NotScannedError{Addr: p.opts.Target.Address(), Why: why}
}

// sslv2Result is SSL 2.0's row, from the one SSL 2.0 probe: the cipher kinds the server
// listed, of those offered (it answers with the ones it shares with the client).
func sslv2Result(out outcome) VersionResult {
	vr := VersionResult{Version: wire.VersionName(wire.VersionSSL20), Suites: []Suite{}}
	switch {
	case out.kind == outHello && out.v2 != nil:
		for _, kind := range out.v2.Kinds {
			c, offered := wire.SSLv2CipherByKind(kind)
			if !offered || slices.ContainsFunc(vr.Suites, func(s Suite) bool { return s.SSLv2Kind == kind }) {
				continue
			}
			// Every SSL 2.0 cipher kind is RSA key transport, with MD5 as its MAC.
			vr.Suites = append(vr.Suites, Suite{SSLv2Kind: kind, Name: c.Name, OpenSSLName: c.OpenSSLName,
				Bits: c.Bits, KeyExchange: "RSA"})
		}
		vr.Supported = len(vr.Suites) > 0
		vr.Inconclusive = !vr.Supported // a SERVER-HELLO with no cipher we know proves little
	case unproven(out):
		vr.Inconclusive = true
	}
	return vr
}

type versionState struct {
	mu           sync.Mutex
	found        []uint16 // table order after enumeration; preference order afterwards
	inconclusive bool
	pref         *bool
}

type scanner struct {
	p            *prober
	opts         Options
	states       map[uint16]*versionState
	groupResults []GroupResult
	groups12     []GroupResult12
	chainMu      sync.Mutex
	rawChain     [][]byte // the first chain a probe's flight carried
	hrr          bool
}

func suiteInfo(id uint16) Suite {
	cs, _ := wire.CipherSuiteByID(id)
	return Suite{ID: id, Name: cs.Name, OpenSSLName: cs.OpenSSLName, Bits: cs.Bits,
		ForwardSecrecy: cs.ForwardSecret, AEAD: cs.AEAD, KeyExchange: cs.KeyExchange}
}

// candidates lists the table suites worth offering at a version.
func candidates(v uint16) []uint16 {
	var out []uint16
	for _, cs := range wire.CipherSuites() {
		if cs.SCSV || (cs.TLS13 != (v == wire.VersionTLS13)) {
			continue
		}
		out = append(out, cs.ID)
	}
	return out
}

// helloSpec builds the ClientHello for offering suites at version v.
func (s *scanner) helloSpec(v uint16, suites []uint16) wire.ClientHelloSpec {
	if v == wire.VersionTLS13 {
		return s.spec13(suites, []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1,
			wire.GroupSecp521r1, wire.GroupFFDHE2048, wire.GroupFFDHE3072}, wire.GroupX25519)
	}
	return wire.ClientHelloSpec{
		Version:             v,
		CipherSuites:        append(slices.Clone(suites), scsvRenegotiation),
		ServerName:          s.opts.ServerName,
		Groups:              legacyGroups,
		SignatureAlgorithms: sigAlgs,
		ECPointFormats:      true,
	}
}

// spec13 builds a TLS 1.3 ClientHello offering groups with one real share for shareGroup
// (none when shareGroup is 0).
func (s *scanner) spec13(suites, groups []uint16, shareGroup uint16) wire.ClientHelloSpec {
	spec := wire.ClientHelloSpec{
		Version:             wire.VersionTLS12,
		SessionID:           randomBytes(32),
		CipherSuites:        slices.Clone(suites),
		ServerName:          s.opts.ServerName,
		SupportedVersions:   []uint16{wire.VersionTLS13},
		Groups:              groups,
		SignatureAlgorithms: sigAlgs,
		ECPointFormats:      true,
	}
	if shareGroup != 0 {
		if pub := keyShare(shareGroup); pub != nil {
			spec.KeyShares = []wire.KeyShareSpec{{Group: shareGroup, PublicKey: pub}}
		}
	}
	return spec
}

// pick probes once and returns the suite the server chose among offered at version v.
// ok is false when the server refused (or answered with a lower version); inconclusive is
// set when the probe proved nothing.
func (s *scanner) pick(ctx context.Context, v uint16, offered []uint16) (id uint16, ok, inconclusive bool) {
	out := s.p.probe(ctx, s.helloSpec(v, offered))
	switch out.kind {
	case outHello:
		sh := out.hello
		got := sh.Version()
		if got < v && got >= wire.VersionSSL30 {
			return 0, false, false // version not supported
		}
		if got != v || !slices.Contains(offered, sh.CipherSuite) {
			return 0, false, true // not something we offered: never report it
		}
		if sh.IsHelloRetryRequest && v != wire.VersionTLS13 {
			return 0, false, true
		}
		return sh.CipherSuite, true, false
	case outRefused:
		return 0, false, false
	default:
		return 0, false, true
	}
}

// enumerate finds the suites of every version by elimination within batches.
func (s *scanner) enumerate(ctx context.Context) {
	var wg sync.WaitGroup
	for _, v := range scanVersions {
		cands := candidates(v)
		nb := (len(cands) + maxBatch - 1) / maxBatch
		for i := range nb {
			// Spread suites evenly over the batches.
			lo, hi := i*len(cands)/nb, (i+1)*len(cands)/nb
			batch := slices.Clone(cands[lo:hi])
			wg.Go(func() { s.eliminate(ctx, v, batch) })
		}
	}
	wg.Wait()
	for _, st := range s.states {
		slices.Sort(st.found) // table order
	}
}

func (s *scanner) eliminate(ctx context.Context, v uint16, offered []uint16) {
	st := s.states[v]
	for len(offered) > 0 && ctx.Err() == nil {
		id, ok, inc := s.pick(ctx, v, offered)
		if inc {
			st.mu.Lock()
			st.inconclusive = true
			st.mu.Unlock()
			return
		}
		if !ok {
			return
		}
		st.mu.Lock()
		st.found = append(st.found, id)
		st.mu.Unlock()
		offered = slices.DeleteFunc(offered, func(x uint16) bool { return x == id })
	}
}

// preference tests whether the server enforces its own order at v, and if so orders the
// found suites by it.
func (s *scanner) preference(ctx context.Context, v uint16) {
	st := s.states[v]
	found := slices.Clone(st.found)
	if len(found) < 2 {
		return
	}
	rev := slices.Clone(found)
	slices.Reverse(rev)
	var a, b uint16
	var okA, okB, incA, incB bool
	var wg sync.WaitGroup
	wg.Go(func() { a, okA, incA = s.pick(ctx, v, found) })
	wg.Go(func() { b, okB, incB = s.pick(ctx, v, rev) })
	wg.Wait()
	if !okA || !okB {
		if incA || incB {
			st.inconclusive = true
		}
		return
	}
	pref := a == b
	st.pref = &pref
	if !pref {
		return
	}
	order := []uint16{a}
	rem := slices.DeleteFunc(slices.Clone(found), func(x uint16) bool { return x == a })
	for len(rem) > 1 && ctx.Err() == nil {
		id, ok, inc := s.pick(ctx, v, rem)
		if !ok {
			if inc {
				st.inconclusive = true
			}
			break
		}
		order = append(order, id)
		rem = slices.DeleteFunc(rem, func(x uint16) bool { return x == id })
	}
	st.found = append(order, rem...) // whatever could not be ordered stays in table order
}

// groups tests key-exchange groups: TLS 1.3 groups one at a time with a share for each,
// the HelloRetryRequest behaviour, or TLS 1.2 ECDHE curves when TLS 1.3 is absent.
func (s *scanner) groups(ctx context.Context, found map[uint16][]uint16) {
	var wg sync.WaitGroup
	if len(found[wire.VersionTLS13]) > 0 {
		wg.Go(func() { s.groups13(ctx) })
	}
	// The TLS 1.2-and-older curves and FFDHE groups are probed whether or not TLS 1.3 is
	// there: they were once probed only without it, and a server's TLS 1.2 curves went unseen.
	wg.Go(func() { s.groups12 = append(s.curves12(ctx, found), s.ffdhe12(ctx, found)...) })
	wg.Wait()
	if len(found[wire.VersionTLS13]) == 0 {
		// "groups" is TLS 1.3's, or without it the TLS 1.2 curves (as before tls12_groups),
		// one entry per curve: taken with any certificate type.
		at := map[uint16]int{}
		for _, g := range s.groups12 {
			if g.ID >= wire.GroupFFDHE2048 && g.ID <= 0x01ff {
				continue
			}
			i, seen := at[g.ID]
			if !seen {
				at[g.ID] = len(s.groupResults)
				s.groupResults = append(s.groupResults, g.GroupResult)
				continue
			}
			r := &s.groupResults[i]
			r.Supported = r.Supported || g.Supported
			r.Inconclusive = !r.Supported && (r.Inconclusive || g.Inconclusive)
		}
	}
}

// curves12 probes the ECDHE curves of the highest version below 1.3 with ECDHE suites.
func (s *scanner) curves12(ctx context.Context, found map[uint16][]uint16) []GroupResult12 {
	// Highest version below 1.3 with ECDHE suites; their curves per certificate type (a server
	// with an RSA and an ECDSA certificate may take other curves with each).
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
		byAuth := map[string][]uint16{}
		var auths []string
		for _, id := range found[v] {
			cs, _ := wire.CipherSuiteByID(id)
			if cs.KeyExchange != "ECDHE" {
				continue
			}
			if byAuth[cs.Auth] == nil {
				auths = append(auths, cs.Auth)
			}
			byAuth[cs.Auth] = append(byAuth[cs.Auth], id)
		}
		if len(auths) == 0 {
			continue
		}
		var out []GroupResult12
		for _, a := range auths {
			out = append(out, s.curvesFor(ctx, v, a, byAuth[a])...)
		}
		return out
	}
	return nil
}

// curvesFor probes the TLS 1.0-1.2 ECDHE curves (RFC 8422) with the ECDHE suites of one
// authentication. In TLS 1.2 supported_groups also names the curves the client takes an ECDSA
// certificate on, so offering x25519 alone to a server whose certificate is on P-256 is refused
// whatever its ECDHE curves (only P-256 was found behind ECDSA; sslscan has the same blind
// spot). With ECDSA suites the probed curve is offered first and the certificate curves after
// it, and the curve counts as taken only when the ServerKeyExchange names it (openssl s_client
// -groups X25519:P-256 shows such a server using X25519).
func (s *scanner) curvesFor(ctx context.Context, v uint16, auth string, suites []uint16) []GroupResult12 {
	curves := []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1, wire.GroupX448}
	ecdsa := auth == "ECDSA"
	res := make([]GroupResult12, len(curves))
	var wg sync.WaitGroup
	for i, g := range curves {
		wg.Go(func() {
			spec := s.helloSpec(v, suites)
			spec.Groups = []uint16{g}
			if ecdsa {
				for _, c := range []uint16{wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1} {
					if c != g {
						spec.Groups = append(spec.Groups, c)
					}
				}
			}
			out := s.probeGroupSKE(ctx, spec)
			ok := out.kind == outHello && out.hello.Version() == v && slices.Contains(suites, out.hello.CipherSuite)
			if ok && (ecdsa || out.ske != nil) {
				// The ServerKeyExchange says which curve was used.
				ok = out.ske != nil && out.ske.Group == g
			}
			res[i] = GroupResult12{GroupResult: GroupResult{ID: g, Name: wire.GroupName(g), Supported: ok, Inconclusive: unproven(out)},
				Version: wire.VersionName(v), Auth: auth}
		})
	}
	wg.Wait()
	return res
}

// ffdhe12 probes RFC 7919's FFDHE groups with the DHE suites of the highest version below 1.3
// that has some: each group offered alone, taken when the ServerKeyExchange's prime is that
// group's (a server that ignores RFC 7919 answers with a prime of its own choosing).
func (s *scanner) ffdhe12(ctx context.Context, found map[uint16][]uint16) []GroupResult12 {
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
		dhe := dheSuites(found[v])
		if len(dhe) == 0 {
			continue
		}
		groups := []uint16{wire.GroupFFDHE2048, wire.GroupFFDHE2048 + 1, wire.GroupFFDHE2048 + 2, wire.GroupFFDHE2048 + 3, wire.GroupFFDHE2048 + 4}
		res := make([]GroupResult12, len(groups))
		var wg sync.WaitGroup
		for i, g := range groups {
			wg.Go(func() {
				spec := s.helloSpec(v, dhe)
				spec.Groups = []uint16{g}
				out := s.probeGroupSKE(ctx, spec)
				ok := out.kind == outHello && out.hello.Version() == v && slices.Contains(dhe, out.hello.CipherSuite) &&
					out.ske != nil && DHPrimeName(out.ske.DHPrime) == wire.GroupName(g)+" (RFC 7919)"
				res[i] = GroupResult12{GroupResult: GroupResult{ID: g, Name: wire.GroupName(g), Supported: ok, Inconclusive: unproven(out)},
					Version: wire.VersionName(v), Auth: "DHE"}
			})
		}
		wg.Wait()
		return res
	}
	return nil
}

func (s *scanner) groups13(ctx context.Context) {
	suites := candidates(wire.VersionTLS13)
	res := make([]GroupResult, len(probeGroups))
	var wg sync.WaitGroup
	for i, g := range probeGroups {
		wg.Go(func() {
			out := s.probeGroup(ctx, s.spec13(suites, []uint16{g}, g))
			ok := false
			if out.kind == outHello && out.hello.Version() == wire.VersionTLS13 &&
				slices.Contains(suites, out.hello.CipherSuite) {
				sh := out.hello
				ok = (sh.KeyShare != nil && sh.KeyShare.Group == g) ||
					(sh.IsHelloRetryRequest && sh.SelectedGroup == g)
			}
			res[i] = GroupResult{ID: g, Name: wire.GroupName(g), Supported: ok, Inconclusive: unproven(out)}
		})
	}
	wg.Wait()
	s.groupResults = res

	// HelloRetryRequest: share only for a group the server does not take, while
	// supported_groups also lists one it does.
	var good, bad uint16
	for _, r := range res {
		if r.Supported && good == 0 {
			good = r.ID
		}
		if !r.Supported && !r.Inconclusive && bad == 0 && r.ID != wire.GroupX25519MLKEM768 {
			bad = r.ID
		}
	}
	if good == 0 {
		return
	}
	spec := s.spec13(suites, nil, 0)
	if bad != 0 {
		spec.Groups = []uint16{bad, good}
		spec.KeyShares = []wire.KeyShareSpec{{Group: bad, PublicKey: keyShare(bad)}}
	} else {
		// Every probed group is taken: share for secp256k1, which TLS 1.3 servers do
		// not offer, with a well-formed uncompressed point length.
		pub := append([]byte{4}, randomBytes(64)...)
		spec.Groups = []uint16{22, good}
		spec.KeyShares = []wire.KeyShareSpec{{Group: 22, PublicKey: pub}}
	}
	out := s.p.probe(ctx, spec)
	s.hrr = out.kind == outHello && out.hello.IsHelloRetryRequest
}

// probeGroupSKE is probeGroup reading on to the ServerKeyExchange (TLS 1.2 and older).
func (s *scanner) probeGroupSKE(ctx context.Context, spec wire.ClientHelloSpec) outcome {
	out := s.probeSKE(ctx, spec)
	if unproven(out) && ctx.Err() == nil {
		out = s.probeSKE(ctx, spec)
	}
	return out
}

// probeSKE is the prober's probeSKE, keeping the first certificate chain a flight carried:
// the certificate view of a server the ordinary handshake cannot complete with.
func (s *scanner) probeSKE(ctx context.Context, spec wire.ClientHelloSpec) outcome {
	out := s.p.probeSKE(ctx, spec)
	if len(out.certs) > 0 {
		s.chainMu.Lock()
		if s.rawChain == nil {
			s.rawChain = out.certs
		}
		s.chainMu.Unlock()
	}
	return out
}

// probeGroup probes for one group, once more when the first probe proved nothing: a group is
// reported unsupported only on the server's word, never on a lost connection.
func (s *scanner) probeGroup(ctx context.Context, spec wire.ClientHelloSpec) outcome {
	out := s.p.probe(ctx, spec)
	if unproven(out) && ctx.Err() == nil {
		out = s.p.probe(ctx, spec)
	}
	return out
}

// unproven reports whether a probe's outcome says nothing about what the server accepts.
func unproven(out outcome) bool {
	return out.kind == outInconclusive || out.kind == outDialError
}

// dhGroup makes one probe per version below TLS 1.3 that has DHE suites (anonymous ones
// included), offering only those, and returns the smallest DH prime size the
// ServerKeyExchanges carried (0 when none was read). FFDHE groups are left out of
// supported_groups so the server shows the parameters it gives clients without RFC 7919.
// dhGroups probes the DHE group of every kind of DHE suite the server accepted, per version:
// one probe offering only the suites of one authentication (anonymous, RSA, DSS), so a server
// that keeps a weaker prime for one kind (a 1024-bit group for its anonymous suites behind a
// 2048-bit one for DHE-RSA) is seen: one probe offering them all saw only the kind the server
// preferred. Each answer's prime is named when it is a published group.
func (s *scanner) dhGroups(ctx context.Context, found map[uint16][]uint16) []DHGroup {
	type job struct {
		version uint16
		auth    string
		suites  []uint16
	}
	var jobs []job
	for _, v := range scanVersions {
		if v == wire.VersionTLS13 {
			continue
		}
		byAuth := map[string][]uint16{}
		var auths []string
		for _, id := range dheSuites(found[v]) {
			cs, _ := wire.CipherSuiteByID(id)
			if byAuth[cs.Auth] == nil {
				auths = append(auths, cs.Auth)
			}
			byAuth[cs.Auth] = append(byAuth[cs.Auth], id)
		}
		for _, a := range auths {
			jobs = append(jobs, job{v, a, byAuth[a]})
		}
	}
	results := make([]*DHGroup, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			spec := s.helloSpec(j.version, j.suites)
			// 0x0100-0x01ff is RFC 7919's FFDHE range: offering none leaves the server its own
			// choice of prime, the one an ordinary client gets.
			spec.Groups = slices.DeleteFunc(slices.Clone(spec.Groups), func(g uint16) bool {
				return g >= wire.GroupFFDHE2048 && g <= 0x01ff
			})
			out := s.probeSKE(ctx, spec)
			if out.kind != outHello || out.hello.Version() != j.version || !slices.Contains(j.suites, out.hello.CipherSuite) ||
				out.ske == nil || out.ske.DHPrimeBits == 0 {
				return
			}
			cs, _ := wire.CipherSuiteByID(out.hello.CipherSuite)
			results[i] = &DHGroup{Version: wire.VersionName(j.version), Auth: j.auth, Suite: cs.Name,
				Bits: out.ske.DHPrimeBits, Prime: DHPrimeName(out.ske.DHPrime)}
		})
	}
	wg.Wait()
	out := []DHGroup{}
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

// smallestDH is the smallest prime among the groups seen, 0 for none.
func smallestDH(groups []DHGroup) int {
	smallest := 0
	for _, g := range groups {
		if smallest == 0 || g.Bits < smallest {
			smallest = g.Bits
		}
	}
	return smallest
}

// secureRenegotiation asks the highest accepted version below TLS 1.3, with the suites found
// there and TLS_EMPTY_RENEGOTIATION_INFO_SCSV (every legacy probe sends it), whether the
// server answers with renegotiation_info: without it the server renegotiates insecurely or
// not at all, and RFC 5746's protection (CVE-2009-3555) is missing.
func (s *scanner) secureRenegotiation(ctx context.Context, found map[uint16][]uint16) *bool {
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
		if len(found[v]) == 0 {
			continue
		}
		out := s.p.probe(ctx, s.helloSpec(v, found[v]))
		if unproven(out) {
			out = s.p.probe(ctx, s.helloSpec(v, found[v]))
		}
		if out.kind != outHello || out.hello.Version() != v {
			return nil
		}
		ok := out.hello.RenegotiationInfo
		return &ok
	}
	return nil
}

// certificateFromProbes gives the connection view the certificate a raw probe's flight carried
// when the ordinary handshake (Go's TLS stack) could not complete: a server with DHE, Camellia
// or SSL 3.0 suites only sends its chain in the clear to a probe, and the scan once reported no
// certificate and no certificate checks for it. A probe of the first accepted suite below TLS
// 1.3 is made for it when none carried one yet.
func (s *scanner) certificateFromProbes(ctx context.Context, opts Options, conn *Connection, found map[uint16][]uint16) {
	s.chainMu.Lock()
	raw := s.rawChain
	s.chainMu.Unlock()
	if raw == nil {
		for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
			if len(found[v]) > 0 {
				raw = s.probeSKE(ctx, s.helloSpec(v, found[v][:1])).certs
				break
			}
		}
	}
	var chain []*x509.Certificate
	for _, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			break
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	host := opts.ServerName
	if host == "" {
		host = opts.Target.Host
	}
	for _, c := range chain {
		conn.Chain = append(conn.Chain, inspect.Describe(c, now()))
	}
	v := inspect.VerifyChain(chain, inspect.VerifyOptions{Roots: opts.Roots, Host: host, Now: now()})
	conn.Verification = &v
	conn.Lint = inspect.Lint(chain[0], now())
	conn.MustStaple = inspect.MustStaple(chain[0])
	conn.CertificateFromProbe = true
}

// dheSuites picks the suites with a DHE key exchange (signed or anonymous).
func dheSuites(ids []uint16) []uint16 {
	var out []uint16
	for _, id := range ids {
		if cs, ok := wire.CipherSuiteByID(id); ok && cs.KeyExchange == "DHE" {
			out = append(out, id)
		}
	}
	return out
}
