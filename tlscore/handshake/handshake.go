package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/ech"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/names/dn"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Options describe one handshake. The zero value of each field is a sensible default
// except Target.
type Options struct {
	Target connect.Target
	// ServerName overrides SNI and the name verified; NoSNI sends none (the name is still verified).
	ServerName string
	NoSNI      bool
	// ConnectTo dials another host:port while keeping the target's name for SNI and checks.
	ConnectTo *connect.Target
	ALPN      []string
	// MinVersion and MaxVersion are tls.VersionTLS10..tls.VersionTLS13; 0 means TLS 1.2 and 1.3.
	MinVersion, MaxVersion uint16
	// CipherSuites limits the TLS 1.0-1.2 suites offered (Go does not allow choosing 1.3 suites).
	CipherSuites []uint16
	Groups       []tls.CurveID
	// Roots replaces the system roots for verification when set.
	Roots *x509.CertPool
	// RootsFunc, when set, supplies Roots instead: it is called once the TCP connection is up
	// (or has failed) and before anything is sent, so reading the roots overlaps connecting.
	// Its error ends Handshake before the ClientHello, and is returned as it is: a bad roots
	// file is the caller's input error, whatever the network did.
	RootsFunc func() (*x509.CertPool, error)
	// ClientCertificate is offered when the server asks for one.
	ClientCertificate *tls.Certificate
	StartTLS          string
	Proxy             *url.URL
	// KeyLog also receives the NSS key log (the in-memory copy is always kept).
	KeyLog io.Writer
	// Timeout bounds the whole connection; 0 means 10s.
	Timeout time.Duration
	// Now is the clock for verification and days left; nil means time.Now.
	Now func() time.Time
	// RecordLimit caps the recorded transcript (DefaultRecordLimit when 0).
	RecordLimit int
	Resolver    *net.Resolver
	// Verbose fills each step's Detail lines; without it they are not worked out.
	Verbose bool
	// Revocation says how the chain's revocation is looked up (staple mode when zero). Its
	// Now is ignored: the handshake's clock is used. Network lookups share the Timeout.
	Revocation revocation.Options
	// RevocationHardFail fails verification unless revocation is proven good.
	RevocationHardFail bool
	// ECHConfigList makes the handshake use Encrypted Client Hello (RFC 9849) with one of its
	// configs: the outer ClientHello carries the config's public name, the encrypted inner one
	// the real SNI. TLS 1.3 only.
	ECHConfigList []byte
	// ECHRetry, when the server rejects ECH with retry configs that its certificate for the
	// public name authenticates, runs the handshake once more with them.
	ECHRetry bool
	// Resume runs a second handshake, on a new connection, offering the session the first one
	// got (a TLS 1.3 PSK, a TLS 1.2 ticket), and reports it in Resumption.Resumed.
	Resume bool
	// ResumeTicketOnly makes Resume offer tickets and PSKs only, never a TLS 1.2 session ID
	// (a scanner that probes session IDs on its own).
	ResumeTicketOnly bool
	// Gate, when set, is called before each connection is dialled and its release once the
	// connection is done: a scanner's bound on connections at once and per second.
	Gate func(ctx context.Context) (release func(), err error)
}

// Timing is how long each stage took, in milliseconds.
type Timing struct {
	DNSMs       float64 `json:"dns_ms"`
	ConnectMs   float64 `json:"connect_ms"`
	StartTLSMs  float64 `json:"starttls_ms,omitempty"`
	HandshakeMs float64 `json:"handshake_ms"`
	TotalMs     float64 `json:"total_ms"`
}

// ClientAuth is what the server asked of the client, if anything.
type ClientAuth struct {
	Requested          bool     `json:"requested"`
	AcceptableCAs      []string `json:"acceptable_cas"`
	SignatureSchemes   []string `json:"signature_schemes"`
	CertificateSent    bool     `json:"certificate_sent"`
	CertificateSubject string   `json:"certificate_subject,omitempty"`
}

// Result is everything a handshake showed: the JSON of `tlskit handshake -o json`.
type Result struct {
	Target         connect.Target `json:"target"`
	Address        string         `json:"address"`
	SNI            string         `json:"sni"`
	StartTLS       string         `json:"starttls,omitempty"`
	Version        string         `json:"version,omitempty"`
	CipherSuite    string         `json:"cipher_suite,omitempty"`
	KeyExchange    string         `json:"key_exchange,omitempty"`
	ForwardSecrecy bool           `json:"forward_secrecy"`
	ALPN           string         `json:"alpn"`
	HelloRetry     bool           `json:"hello_retry"`
	// ECH is what Encrypted Client Hello did; nil when it was not asked for.
	ECH        *ECHResult  `json:"ech,omitempty"`
	Resumption *Resumption `json:"resumption,omitempty"`
	// TLS12 is what a TLS 1.2 (or older) session agreed beyond its suite; nil in TLS 1.3.
	TLS12        *TLS12Session         `json:"tls12,omitempty"`
	ClientAuth   *ClientAuth           `json:"client_auth,omitempty"`
	Steps        []Step                `json:"steps"`
	Chain        []inspect.Certificate `json:"chain"`
	Verification *inspect.Verification `json:"verification,omitempty"`
	// OCSP is the stapled OCSP response, judged; nil when none was stapled.
	OCSP       *revocation.OCSPResult `json:"ocsp,omitempty"`
	Revocation *revocation.Report     `json:"revocation,omitempty"`
	Timing     Timing                 `json:"timing"`
	// TranscriptTruncated is set when the peer sent more than the recording limit.
	TranscriptTruncated bool   `json:"transcript_truncated,omitempty"`
	Error               string `json:"error,omitempty"`

	// PeerCertificates is the chain as sent, for --pem and verification.
	PeerCertificates []*x509.Certificate `json:"-"`

	// notTLS describes what the peer sent instead of TLS, when it did; notTLSStartTLS is the
	// STARTTLS protocol its greeting asked for (GreetingStartTLS).
	notTLS, notTLSStartTLS string
	// didResume: crypto/tls resumed the session offered. keyLog is the session's secrets (the
	// master secret a TLS 1.2 session ID resumes with).
	didResume bool
	keyLog    []byte
	// doneAt is when the handshake ended (a session's age starts there).
	doneAt time.Time
}

// TLS12Session is what a TLS 1.2 (or older) ServerHello and ServerKeyExchange agreed, as
// s_client's summary shows it: the extended master secret (RFC 7627) and secure renegotiation
// (RFC 5746) the ServerHello confirmed, and the (EC)DHE group and its size.
type TLS12Session struct {
	ExtendedMasterSecret bool   `json:"extended_master_secret"`
	SecureRenegotiation  bool   `json:"secure_renegotiation"`
	Group                string `json:"group,omitempty"`
	DHPrimeBits          int    `json:"dh_prime_bits,omitempty"`
}

// ECHResult is what Encrypted Client Hello did in a handshake.
type ECHResult struct {
	// Accepted: the server decrypted the inner ClientHello and the handshake is the inner
	// one's (its certificate is for the hidden name). Rejected: the server completed the
	// outer handshake instead (it could not use the config). Neither: the handshake failed
	// before the server said, for another reason (the error says which).
	Accepted bool `json:"accepted"`
	Rejected bool `json:"rejected"`
	// PublicName is the config's public name: the outer ClientHello's SNI, all the wire shows.
	PublicName string `json:"public_name"`
	// OuterSNI is the SNI of the ClientHello as recorded on the wire (the public name, unless
	// the stack misbehaved); HiddenSNI the name only the inner hello carried.
	OuterSNI  string `json:"outer_sni"`
	HiddenSNI string `json:"hidden_sni"`
	ConfigID  uint8  `json:"config_id"`
	// HPKESuite is the KDF and AEAD the outer hello says it encrypted with.
	HPKESuite *wire.HPKESuite `json:"hpke_suite,omitempty"`
	// RetryConfigs are the configs a server that rejected ECH offered instead, decoded, and
	// RetryConfigList the same as one base64-able list; RetryAuthenticated says whether its
	// certificate verified for the public name (crypto/tls refuses to use them otherwise).
	RetryConfigs       []inspect.ECHConfigDetails `json:"retry_configs,omitempty"`
	RetryConfigList    []byte                     `json:"retry_config_list,omitempty"`
	RetryAuthenticated bool                       `json:"retry_authenticated"`
	RetryError         string                     `json:"retry_error,omitempty"`
	// Retried says the handshake shown is a second one, with the rejected one's retry configs;
	// the first one's rejection is in FirstRejected.
	Retried       bool       `json:"retried"`
	FirstRejected *ECHResult `json:"first_attempt,omitempty"`
	// DNSRecord is the HTTPS record the config came from, with --ech auto (set by the caller).
	DNSRecord *ech.HTTPSRecord `json:"dns_record,omitempty"`
}

// Resumption says whether the server offered a session ticket and, with Options.Resume, what
// a second handshake offering it did.
type Resumption struct {
	TicketOffered   bool `json:"ticket_offered"`
	TicketLifetimeS int  `json:"ticket_lifetime_s,omitempty"`
	// MaxEarlyDataSize is the ticket's early_data allowance (TLS 1.3 0-RTT); nil without one.
	MaxEarlyDataSize *uint32  `json:"max_early_data_size,omitempty"`
	Resumed          *Resumed `json:"resumed,omitempty"`
}

// Error is a handshake that could not complete. The result still holds what was seen
// (steps up to the failure, timings) so a caller can show it.
type Error struct {
	Stage  connect.Stage
	Addr   string
	Err    error
	Result *Result
	// StartTLS is the STARTTLS protocol ("smtp") the server's plaintext greeting asked for,
	// when it answered the ClientHello with one: what a caller can suggest next.
	StartTLS string
}

func (e *Error) Error() string {
	return (&connect.ConnError{Stage: e.Stage, Addr: e.Addr, Err: e.Err}).Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Run connects to the target, runs a real TLS handshake with crypto/tls while recording
// the wire and the session secrets, decodes every message, and verifies the chain separately so
// a bad chain is still shown. Verification failure is not an error: it is in the result.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if !opts.Resume {
		return runECH(ctx, opts, &ticketWatch{})
	}
	watch := &ticketWatch{keep: true}
	first, err := runECH(ctx, opts, watch)
	if err != nil {
		return first, err
	}
	resumeWith(ctx, opts, first, watch)
	return first, nil
}

// runECH is one handshake, run again once with the server's retry configs when ECHRetry asks.
func runECH(ctx context.Context, opts Options, watch *ticketWatch) (*Result, error) {
	res, err := runOnce(ctx, opts, watch)
	if !opts.ECHRetry || res == nil || res.ECH == nil || !res.ECH.Rejected || len(res.ECH.RetryConfigList) == 0 || !res.ECH.RetryAuthenticated {
		return res, err
	}
	if uerr := ech.Usable(res.ECH.RetryConfigList); uerr != nil {
		res.ECH.RetryError = "the retry configs cannot be used: " + uerr.Error()
		return res, err
	}
	// Once more with the configs the server gave, on a connection (and timeout) of its own.
	again := opts
	again.ECHConfigList, again.ECHRetry = res.ECH.RetryConfigList, false
	res2, err2 := runOnce(ctx, again, watch)
	if res2 != nil {
		if res2.ECH == nil {
			// No hello went out the second time (the connection failed): the first attempt's
			// rejection is still what there is to show.
			res2.ECH = &ECHResult{}
		}
		res2.ECH.Retried, res2.ECH.FirstRejected = true, res.ECH
	}
	return res2, err2
}

// runOnce is one connection's handshake.
func runOnce(ctx context.Context, opts Options, watch *ticketWatch) (*Result, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if opts.Gate != nil {
		// Waited for before the connection's own timeout starts, as a scan's probes are.
		release, err := opts.Gate(ctx)
		if err != nil {
			return nil, &Error{Stage: connect.StageConnect, Addr: opts.Target.Address(), Err: err}
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t := opts.Target
	serverName, verifyName, sni := serverNames(opts)
	res := &Result{Target: t, SNI: sni, Steps: []Step{}, Chain: []inspect.Certificate{}}

	dialTo := dialTarget(opts)
	start := time.Now()
	conn, dt, err := connect.Dial(ctx, connect.DialOptions{Host: dialTo.Host, Port: dialTo.Port, Proxy: opts.Proxy, Resolver: opts.Resolver})
	res.Timing.DNSMs, res.Timing.ConnectMs = ms(dt.DNS), ms(dt.Connect)
	res.Address = dt.Address
	roots := opts.Roots
	if opts.RootsFunc != nil {
		r, rerr := opts.RootsFunc()
		if rerr != nil {
			if conn != nil {
				conn.Close()
			}
			return res, rerr
		}
		roots = r
	}
	if err != nil {
		res.Timing.TotalMs = ms(time.Since(start))
		return res, connectError(err, dialTo, res)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := runStartTLS(ctx, conn, opts, serverName, res, start); err != nil {
		return res, err
	}

	rec := NewRecordingConn(conn, start, opts.RecordLimit)
	var keylog bytes.Buffer
	var klw io.Writer = &keylog
	if opts.KeyLog != nil {
		klw = io.MultiWriter(&keylog, opts.KeyLog)
	}
	var authMu sync.Mutex
	var auth *ClientAuth
	cfg := &tls.Config{
		ServerName: sni,
		// Verification happens after the handshake, on our terms, so a bad chain is still shown.
		InsecureSkipVerify: true,
		NextProtos:         opts.ALPN,
		MinVersion:         opts.MinVersion,
		MaxVersion:         opts.MaxVersion,
		CipherSuites:       opts.CipherSuites,
		CurvePreferences:   opts.Groups,
		KeyLogWriter:       klw,
		// Offering resumption is what makes servers send NewSessionTickets, which the
		// timeline shows; the cache keeps none of them (see ticketWatch).
		ClientSessionCache: watch,
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			authMu.Lock()
			defer authMu.Unlock()
			auth = &ClientAuth{Requested: true, AcceptableCAs: []string{}, SignatureSchemes: []string{}}
			for _, raw := range cri.AcceptableCAs {
				name, _ := dn.String(raw) // an unparseable name says so, with its size
				auth.AcceptableCAs = append(auth.AcceptableCAs, name)
			}
			for _, s := range cri.SignatureSchemes {
				auth.SignatureSchemes = append(auth.SignatureSchemes, wire.SignatureSchemeName(uint16(s))) // IANA names, as the timeline shows them
			}
			if opts.ClientCertificate != nil {
				auth.CertificateSent = true
				if leaf, err := x509.ParseCertificate(opts.ClientCertificate.Certificate[0]); err == nil {
					auth.CertificateSubject = dn.Subject(leaf)
				}
				return opts.ClientCertificate, nil
			}
			return &tls.Certificate{}, nil
		},
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	var echState *echAttempt
	if len(opts.ECHConfigList) > 0 {
		echState = &echAttempt{roots: roots, now: now}
		cfg.EncryptedClientHelloConfigList = opts.ECHConfigList
		cfg.EncryptedClientHelloRejectionVerify = echState.verifyRejection
		if cfg.MinVersion < tls.VersionTLS13 {
			// ECH is TLS 1.3's; crypto/tls refuses a lower minimum with a config list.
			cfg.MinVersion = tls.VersionTLS13
		}
	}
	tc := tls.Client(rec, cfg)
	hsStart := time.Now()
	hsErr := tc.HandshakeContext(ctx)
	hsTook := time.Since(hsStart)
	res.Timing.HandshakeMs = ms(hsTook)
	var (
		cs tls.ConnectionState
		// peer is the chain the server sent, chain and verdict what was made of it.
		peer    []*x509.Certificate
		chain   []inspect.Certificate
		verdict inspect.Verification
		revoc   revocation.Report
		path    []*x509.Certificate
		early   *transcriptDecoder
	)
	if hsErr == nil {
		// While the server writes its tickets, which the timeline waits for, judge the chain
		// and decode what was recorded so far: neither depends on the tickets, and the wait
		// is idle time. Each in its own goroutine: a server that sent its tickets with its
		// flight (Go's) leaves no wait to hide them in, and the two then share the cores.
		cs = tc.ConnectionState()
		peer = cs.PeerCertificates
		sofar, klog := rec.Chunks(), bytes.Clone(keylog.Bytes())
		background := make(chan struct{})
		decoded := make(chan struct{})
		go func() {
			defer close(decoded)
			early = newTranscriptDecoder(sofar, klog, decodeOptions{verbose: opts.Verbose, peerCertificates: cs.PeerCertificates, done: ctx.Done()})
		}()
		go func() {
			defer close(background)
			at := now()
			chain, verdict = judgeChain(peer, roots, verifyName, at)
			// Revocation is judged on the verified path, which holds each certificate's issuer
			// (the root included, which a server need not send); else on the chain as sent.
			path = verdict.Path
			if path == nil {
				path = cs.PeerCertificates
			}
			ro := opts.Revocation
			ro.Now, ro.PathVerified = at, verdict.Path != nil
			revoc = revocation.Check(ctx, path, cs.PeerCertificates, cs.OCSPResponse, ro)
			<-decoded
		}()
		// In TLS 1.3 the client's handshake ends before the server has judged the client's
		// Finished (and certificate): a refusal such as certificate_required arrives as an
		// alert afterwards, and is as much a failed handshake as one during it.
		window := ticketWindow(dt.Connect, hsTook)
		authMu.Lock()
		refusalLikely := auth != nil && auth.Requested && !auth.CertificateSent
		authMu.Unlock()
		if refusalLikely {
			// The server asked for a client certificate and got none: a server that requires
			// one refuses only once it has read the client's Finished, and on a busy machine
			// that alert comes later than tickets would. Wait for it as long as a refusal
			// takes in practice, so the verdict does not depend on the machine's load.
			window = max(window, clientAuthRefusalWindow)
		}
		hsErr = awaitTickets(rec, tc, watch, window)
		res.Timing.TotalMs = ms(time.Since(start))
		// The work on what the server sent is part of the run and shares its deadline: a
		// flight built to be slow to judge must not hold the caller past --timeout. The
		// goroutines are left to finish (the decoder stops at the deadline, verification is
		// bounded) and touch nothing returned.
		select {
		case <-background:
		case <-ctx.Done():
			return res, afterHandshakeTimeout(ctx, res, rec, auth, dialTo)
		}
		early.finish(res, rec.Chunks())
		if ctx.Err() != nil {
			return res, afterHandshakeTimeout(ctx, res, rec, auth, dialTo)
		}
	} else {
		res.Timing.TotalMs = ms(time.Since(start))
		// Decode what was recorded all the same: a failed handshake still shows its messages,
		// and the chain its Certificate message carried (TLS 1.3's decrypted).
		decodeTranscript(res, rec, keylog.Bytes(), decodeOptions{verbose: opts.Verbose})
		if peer = serverCertificates(res.Steps); len(peer) > 0 {
			chain, verdict = judgeChain(peer, roots, verifyName, now())
		}
	}
	res.ClientAuth = auth
	res.TranscriptTruncated = rec.Truncated()
	if echState != nil {
		res.ECH = echState.result(res.Steps, sni, hsErr, tc.ConnectionState(), peer)
		if rej := (*tls.ECHRejectionError)(nil); errors.As(hsErr, &rej) && len(peer) > 0 {
			// The outer handshake completed before the rejection: its chain is the public
			// name's, and is judged for it.
			chain, verdict = judgeChain(peer, roots, res.ECH.PublicName, now())
		}
	}

	if hsErr != nil {
		if len(peer) > 0 {
			// The server sent its chain before refusing (one that requires a client
			// certificate asks for it after sending its own): show it, judged like any
			// other. The failure is the handshake's, and the error says so.
			res.PeerCertificates = peer
			res.Chain = append(res.Chain, chain...)
			res.Verification = &verdict
			if revoc.Mode != "" { // judged while the TLS 1.3 refusal was on its way
				attachRevocation(res, revoc, path, opts.RevocationHardFail)
			}
		}
		return res, &Error{Stage: connect.StageHandshake, Addr: dialTo.Address(), Err: explainHandshakeError(hsErr, res), Result: res,
			StartTLS: res.notTLSStartTLS}
	}
	res.Version = VersionName(cs.Version)
	res.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	res.KeyExchange = keyExchangeName(cs)
	res.ForwardSecrecy = forwardSecret(cs)
	res.ALPN = cs.NegotiatedProtocol
	res.HelloRetry = cs.HelloRetryRequest
	res.didResume = cs.DidResume
	res.keyLog = bytes.Clone(keylog.Bytes())
	res.doneAt = hsStart.Add(hsTook)
	res.PeerCertificates = cs.PeerCertificates
	res.Chain = append(res.Chain, chain...)
	v := verdict
	res.Verification = &v
	attachRevocation(res, revoc, path, opts.RevocationHardFail)
	tc.Close()
	return res, nil
}

// serverNames are the name a handshake is for (SNI's, unless NoSNI), the name the chain is
// verified for (an IP address target's address when it has no name), and the SNI sent.
func serverNames(opts Options) (serverName, verifyName, sni string) {
	serverName = opts.Target.ServerName()
	if opts.ServerName != "" {
		serverName = opts.ServerName
	}
	verifyName = serverName
	if verifyName == "" {
		verifyName = opts.Target.Host // an IP address target is verified against the IP SANs
	}
	sni = serverName
	if opts.NoSNI {
		sni = ""
	}
	return serverName, verifyName, sni
}

// dialTarget is where a handshake connects: the target, or ConnectTo.
func dialTarget(opts Options) connect.Target {
	if opts.ConnectTo != nil {
		return *opts.ConnectTo
	}
	return opts.Target
}

// connectError is a failed dial as the handshake's error: it names what failed, the target or
// the proxy in front of it.
func connectError(err error, dialTo connect.Target, res *Result) *Error {
	herr := &Error{Stage: connect.StageConnect, Addr: dialTo.Address(), Err: err, Result: res}
	var ce *connect.ConnError
	if errors.As(err, &ce) {
		herr.Stage, herr.Addr, herr.Err = ce.Stage, ce.Addr, ce.Err
	}
	return herr
}

// runStartTLS upgrades conn with opts.StartTLS, if any, and times it in res.
func runStartTLS(ctx context.Context, conn net.Conn, opts Options, serverName string, res *Result, start time.Time) error {
	if opts.StartTLS == "" {
		return nil
	}
	res.StartTLS = opts.StartTLS
	st := time.Now()
	err := connect.StartTLS(ctx, conn, opts.StartTLS, serverName)
	res.Timing.StartTLSMs = ms(time.Since(st))
	if err != nil {
		res.Timing.TotalMs = ms(time.Since(start))
		return &Error{Stage: connect.StageStartTLS, Addr: dialTarget(opts).Address(), Err: err, Result: res}
	}
	return nil
}

// afterHandshakeTimeout is the error of a handshake whose deadline passed while its transcript
// was decoded or its chain judged: the run's timeout, like one on the wire. The result keeps
// the timings and what needs no decoding; its steps are left out, being incomplete.
func afterHandshakeTimeout(ctx context.Context, res *Result, rec *RecordingConn, auth *ClientAuth, to connect.Target) error {
	res.Steps = []Step{}
	res.ClientAuth = auth
	res.TranscriptTruncated = rec.Truncated()
	err := fmt.Errorf("decoding and judging what the server sent: %w", context.Cause(ctx))
	return &Error{Stage: connect.StageHandshake, Addr: to.Address(), Err: err, Result: res}
}

// attachRevocation puts the revocation verdict on the result: the staple, the report, each
// certificate's status, and its bearing on the verification.
func attachRevocation(res *Result, revoc revocation.Report, path []*x509.Certificate, hardFail bool) {
	res.OCSP = revoc.Staple
	res.Revocation = &revoc
	inspect.AttachRevocation(res.Chain, res.PeerCertificates, revoc, path)
	inspect.ApplyRevocation(res.Verification, revoc, hardFail)
}

// judgeChain describes each certificate the server sent and verifies the chain for host at the
// time at.
func judgeChain(certs []*x509.Certificate, roots *x509.CertPool, host string, at time.Time) ([]inspect.Certificate, inspect.Verification) {
	var chain []inspect.Certificate
	for _, c := range certs {
		chain = append(chain, inspect.Describe(c, at))
	}
	return chain, inspect.VerifyChain(certs, inspect.VerifyOptions{Roots: roots, Host: host, Now: at})
}

// awaitTickets gives a TLS 1.3 server a moment to send its NewSessionTickets, which arrive after
// the handshake: reading processes them. It waits up to first for the first post-handshake
// record; after each record it stops as soon as the socket is empty and nothing follows within
// microseconds (or, where the socket cannot be asked, after a millisecond of quiet). So a server
// that sends its tickets at once costs a fraction of a millisecond, and one that sends none costs
// the first window. Tickets that came with the server's last flight (Go servers send them before
// the client's Finished) are already in crypto/tls's buffer: watch reports them as crypto/tls
// processes them, since no socket read does. A fatal alert read meanwhile is returned: it is the
// server refusing the handshake.
func awaitTickets(rec *RecordingConn, tc *tls.Conn, watch *ticketWatch, first time.Duration) error {
	if tc.ConnectionState().Version != tls.VersionTLS13 {
		return nil
	}
	// However the server trickles, the wait ends by this time.
	hardStop := time.Now().Add(first + 100*time.Millisecond)
	settle := func() {
		next := time.Now().Add(time.Millisecond)
		if more, ok := moreComing(rec.Conn); ok {
			if more {
				next = hardStop
			} else {
				next = time.Now() // nothing else is on its way: stop reading now
			}
		}
		if next.After(hardStop) {
			next = hardStop
		}
		rec.Conn.SetReadDeadline(next)
	}
	// Both hooks run on this goroutine, inside tc.Read.
	socketRead := false
	rec.setReadHook(func() {
		socketRead = true
		settle()
	})
	watch.setHook(func() {
		if !socketRead { // a ticket from the socket has had its settle in the read hook
			settle()
		}
	})
	defer func() {
		rec.setReadHook(nil)
		watch.setHook(nil)
		tc.SetReadDeadline(time.Time{})
	}()
	tc.SetReadDeadline(time.Now().Add(first))
	_, err := tc.Read(make([]byte, 1))
	if isRemoteAlert(err) {
		return err
	}
	return nil
}

// clientAuthRefusalWindow is how long a TLS 1.3 handshake that was asked for a client
// certificate, and sent none, waits for the server's verdict (its tickets, or a refusal).
const clientAuthRefusalWindow = time.Second

// ticketWindow is how long to wait for the first ticket: a few round trips (the connect time
// stands for one) or twice as long as the handshake itself took, whichever is longer, at most
// 250 ms, and at least 50 ms, a floor that only a nearby peer reaches. A server that sends its
// tickets at once ends the wait as they arrive; the rest is for one that is slow to: OpenSSL
// sends them once it has read the client's Finished, and on a loaded 2-core machine its
// process waits for a core in between: over 5 ms now and then (the first floor), over 20 ms
// (the second) with the full test suite at half its usual pace, and the report then said the
// server offered no ticket, a wrong answer. The handshake's own time is the server's pace at
// that moment (its scheduling and its signature are in it), so a slow machine waits longer
// still. It costs 50 ms only against a TLS 1.3 server close by that sends no ticket at all.
func ticketWindow(rtt, handshake time.Duration) time.Duration {
	return min(max(4*rtt, 2*handshake, 50*time.Millisecond), 250*time.Millisecond)
}

// ticketWatch is the client session cache crypto/tls is given. Offering resumption is what makes
// servers send NewSessionTickets; without keep there is never a second connection to resume, so
// it keeps nothing and only tells awaitTickets each time crypto/tls has processed a ticket. With
// keep (Options.Resume) it holds the last session for the second handshake.
type ticketWatch struct {
	mu    sync.Mutex
	onPut func()

	keep    bool
	session *tls.ClientSessionState
	// putAt is when the kept session's ticket was processed: its age starts there.
	putAt time.Time
}

func (w *ticketWatch) Get(string) (*tls.ClientSessionState, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.session, w.session != nil
}

func (w *ticketWatch) Put(_ string, cs *tls.ClientSessionState) {
	if cs == nil {
		return // crypto/tls dropping a session that failed to resume
	}
	w.mu.Lock()
	if w.keep {
		w.session, w.putAt = cs, time.Now()
	}
	hook := w.onPut
	w.mu.Unlock()
	if hook != nil {
		hook()
	}
}

// kept is the session to resume and when its ticket came.
func (w *ticketWatch) kept() (*tls.ClientSessionState, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.session, w.putAt
}

func (w *ticketWatch) setHook(f func()) {
	w.mu.Lock()
	w.onPut = f
	w.mu.Unlock()
}

// isRemoteAlert reports whether a read failed because the peer sent a fatal alert (crypto/tls
// reports those as a net.OpError with Op "remote error").
func isRemoteAlert(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error"
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// keyExchangeName names how the session keys were agreed.
func keyExchangeName(cs tls.ConnectionState) string {
	if cs.CurveID != 0 {
		return GroupName(uint16(cs.CurveID))
	}
	if cs.Version < tls.VersionTLS13 && strings.Contains(tls.CipherSuiteName(cs.CipherSuite), "_RSA_WITH_") &&
		!strings.Contains(tls.CipherSuiteName(cs.CipherSuite), "ECDHE") {
		return "RSA"
	}
	return ""
}

func forwardSecret(cs tls.ConnectionState) bool {
	if cs.Version == tls.VersionTLS13 {
		return true
	}
	name := tls.CipherSuiteName(cs.CipherSuite)
	return strings.Contains(name, "ECDHE") || strings.Contains(name, "DHE")
}

// explainHandshakeError says what the peer did, from the transcript when the error alone is
// vague: a plaintext protocol answering, an alert, or a close mid-handshake.
func explainHandshakeError(err error, res *Result) error {
	if res.notTLS != "" {
		return fmt.Errorf("server sent %s", res.notTLS)
	}
	// A refusal after the server asked for a client certificate that was not given is almost
	// always about that certificate, whatever alert the server chose to send. (Which flags give
	// one is the caller's to say: Result.ClientAuth holds the facts.)
	clientCertHint := ""
	if ca := res.ClientAuth; ca != nil && ca.Requested && !ca.CertificateSent {
		clientCertHint = " (the server asked for a client certificate and none was sent)"
	}
	for i := len(res.Steps) - 1; i >= 0; i-- {
		s := res.Steps[i]
		if s.Message == "Alert" && s.Direction == Received {
			return fmt.Errorf("server sent alert %s%s", s.Summary, clientCertHint)
		}
	}
	if clientCertHint != "" {
		return fmt.Errorf("%s%s", strings.TrimPrefix(err.Error(), "tls: "), clientCertHint)
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("server closed the connection during the handshake")
	case errors.Is(err, context.DeadlineExceeded) || connect.IsTimeout(err):
		return errors.New("timed out waiting for the server")
	}
	msg := strings.TrimPrefix(err.Error(), "tls: ")
	return errors.New(msg)
}
