package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// DefaultProxyTimeout is the proxy timeout when ProxyOptions.Timeout is zero.
const DefaultProxyTimeout = 60 * time.Second

// ProxyOptions configure ProxyHandler.
type ProxyOptions struct {
	// Backend is the http:// or https:// URL every request is forwarded to.
	Backend *url.URL
	// Timeout bounds every wait on the backend: for it to take the request (connect, headers,
	// each piece of the body), for its response headers, and for each piece of its response
	// body. Any byte moving starts the wait afresh, so a long transfer that keeps moving is
	// never cut. Waits on the client are not counted: the server's idle timeout bounds those.
	// An upgraded connection (101 Switching Protocols, a WebSocket) is not bounded by it.
	// Zero or less means DefaultProxyTimeout.
	Timeout time.Duration
	// OnError, when set, is told of every request the backend failed (not of clients that went
	// away). It runs on the request's goroutine, so it should not block.
	OnError func(ProxyError)
}

// ProxyError is a request the backend failed, as ProxyOptions.OnError is told of it.
type ProxyError struct {
	Time   time.Time
	Remote string
	Method string
	// Path is the request target as the client sent it: untrusted, escape it before printing.
	Path string
	// Status is what the client was answered: 502 Bad Gateway or 504 Gateway Timeout; 0 when
	// the response had begun and was cut (its connection or HTTP/2 stream aborted).
	Status int
	// Err is why: a *ProxyTimeoutError, an *UpgradeError, or the transport's error.
	Err error
}

func (e *ProxyError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err)
}

func (e *ProxyError) Unwrap() error { return e.Err }

// ProxyPhase is the part of an exchange in which a backend stopped making progress.
type ProxyPhase string

const (
	// ProxyPhaseRequest: the backend did not take the request (connect, or the request body
	// while it was still being sent).
	ProxyPhaseRequest ProxyPhase = "request"
	// ProxyPhaseHeaders: the request was sent and no response headers came.
	ProxyPhaseHeaders ProxyPhase = "response headers"
	// ProxyPhaseBody: the response body stopped arriving.
	ProxyPhaseBody ProxyPhase = "response body"
)

// ProxyTimeoutError is a backend that made no progress for the proxy timeout. It is a
// timeout: errors.Is(err, os.ErrDeadlineExceeded).
type ProxyTimeoutError struct {
	Phase ProxyPhase
	After time.Duration
}

func (e *ProxyTimeoutError) Error() string {
	switch e.Phase {
	case ProxyPhaseRequest:
		return fmt.Sprintf("the backend took no more of the request for %v", e.After)
	case ProxyPhaseHeaders:
		return fmt.Sprintf("the backend sent no response headers within %v", e.After)
	default:
		return fmt.Sprintf("the backend's response body made no progress for %v", e.After)
	}
}

func (e *ProxyTimeoutError) Unwrap() error { return os.ErrDeadlineExceeded }

// UpgradeError is a 101 Switching Protocols from the backend to a protocol the client did not
// ask for (Requested is empty when it asked for none, or asked over HTTP/2, which cannot
// switch).
type UpgradeError struct {
	Requested, Offered string
}

func (e *UpgradeError) Error() string {
	switch {
	case e.Requested == "" && e.Offered == "":
		return "the backend answered 101 Switching Protocols to a request that asked for no switch"
	case e.Requested == "":
		return fmt.Sprintf("the backend switched protocols to %q when the client asked for no switch", e.Offered)
	case e.Offered == "":
		return fmt.Sprintf("the backend answered 101 Switching Protocols naming no protocol when %q was requested", e.Requested)
	}
	return fmt.Sprintf("the backend switched protocols to %q when %q was requested", e.Offered, e.Requested)
}

// ProxyHandler forwards every request to o.Backend (HTTP/1.1, HTTP/2 from the client, WebSocket
// upgrades) with X-Forwarded-* headers set, and answers 504 for a backend that makes no
// progress for o.Timeout before its response headers, 502 for one that fails otherwise.
func ProxyHandler(o ProxyOptions) http.Handler {
	p := &proxy{timeout: o.Timeout, onError: o.OnError}
	if p.timeout <= 0 {
		p.timeout = DefaultProxyTimeout
	}
	// Cloned rather than shared: DefaultTransport's pool is the whole process's.
	base := http.DefaultTransport.(*http.Transport).Clone()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(o.Backend)
			r.SetXForwarded()
			if x := exchangeOf(r.Out.Context()); x != nil && r.Out.Body != nil {
				x.change(func() { x.hasBody = true }, false)
				r.Out.Body = &requestBody{ReadCloser: r.Out.Body, x: x}
			}
		},
		Transport:      watchedTransport{base},
		ModifyResponse: checkUpgrade,
		ErrorHandler:   p.failed,
		ErrorLog:       DiscardLogger(),
	}
	return p
}

type proxy struct {
	rp      *httputil.ReverseProxy
	timeout time.Duration
	onError func(ProxyError)
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The backend's side runs under a context of its own, cancelled with a *ProxyTimeoutError
	// when it stalls; the client's is left alone, so that its ending still means the client
	// went away (which is not reported).
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	x := &exchange{p: p, in: r, ctx: ctx, cancel: cancel}
	defer x.finish()
	ctx = context.WithValue(ctx, exchangeKey{}, x)
	// A 1xx (100 Continue, 103 Early Hints) is bytes moving too. ReverseProxy adds its own
	// trace on top; httptrace calls both.
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			x.change(func() {}, true)
			return nil
		},
	})
	p.rp.ServeHTTP(w, r.WithContext(ctx))
}

// failed answers a request the transport or checkUpgrade failed: 504 when the backend stalled,
// 502 otherwise.
func (p *proxy) failed(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	x := exchangeOf(r.Context())
	if x != nil {
		var te *ProxyTimeoutError
		if errors.As(context.Cause(x.ctx), &te) {
			status, err = http.StatusGatewayTimeout, te
		} else if x.in.Context().Err() != nil {
			// The client went away (or the server is closing): nobody reads the answer, and
			// it is not the backend's failure.
			noteRequestError(r.Context(), ErrClientGone)
			w.WriteHeader(status)
			return
		}
	}
	var ue *UpgradeError
	if status == http.StatusBadGateway && !errors.As(err, &ue) {
		err = fmt.Errorf("the backend failed: %w", err)
	}
	w.WriteHeader(status)
	if x != nil {
		x.report(status, err)
	}
}

// checkUpgrade refuses a 101 Switching Protocols that ReverseProxy would refuse too, but
// before it does: its own refusal (handleUpgradeResponse, Go 1.26) answers 502 without
// closing the response body, which for a 101 is the backend connection itself, so every such
// answer leaked a file descriptor and a connection. Refused here, ReverseProxy closes the
// body. The test is ReverseProxy's: the Upgrade token the client asked for (sent on only when
// its Connection header names Upgrade) against the backend's, ASCII case-insensitively; a
// client on HTTP/2 cannot be hijacked, so nothing may switch for it.
func checkUpgrade(res *http.Response) error {
	if res.StatusCode != http.StatusSwitchingProtocols {
		return nil
	}
	want, got := upgradeType(res.Request.Header), upgradeType(res.Header)
	if res.Request.ProtoMajor != 1 {
		want = ""
	}
	if want == "" || !asciiEqualFold(want, got) {
		return &UpgradeError{Requested: want, Offered: got}
	}
	return nil
}

func upgradeType(h http.Header) string {
	if !httpguts.HeaderValuesContainsToken(h["Connection"], "Upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

// asciiEqualFold is strings.EqualFold without Unicode folding (which matches "k" and the
// Kelvin sign), as ReverseProxy compares.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

type exchangeKey struct{}

func exchangeOf(ctx context.Context) *exchange {
	x, _ := ctx.Value(exchangeKey{}).(*exchange)
	return x
}

// exchange is one proxied request's watchdog. The clock runs only while the backend is the one
// holding things up: the round trip is pending (connecting, sending, awaiting headers) and the
// transport is not waiting for the client's request body, or a read of the response body is
// pending. Waits on the client (its upload, its reading of the response) pause it: the
// server's idle timeout bounds those. Any byte moving restarts it.
type exchange struct {
	p      *proxy
	in     *http.Request   // the client's request: its context ends when the client goes away
	ctx    context.Context // the backend's side
	cancel context.CancelCauseFunc

	mu         sync.Mutex
	timer      *time.Timer
	scheduled  bool      // the timer is set to go off
	deadline   time.Time // when the backend runs out of time; zero while the clock is paused
	roundTrip  bool      // the transport's RoundTrip is pending
	clientRead bool      // a read of the client's request body is pending
	bodyRead   bool      // a read of the backend's response body is pending
	hasBody    bool      // the request has a body
	bodyDone   bool      // the request body was read to its end
	done       bool      // timed out or finished: no more watching
	reported   bool
}

// change applies f under the lock, then starts, restarts (on progress) or pauses the clock.
func (x *exchange) change(f func(), progress bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	f()
	if x.done || !x.waitingOnBackendLocked() {
		x.deadline = time.Time{}
		return
	}
	if !progress && !x.deadline.IsZero() {
		return
	}
	x.deadline = time.Now().Add(x.p.timeout)
	// The timer is not stopped when the clock pauses or restarted on every byte: when it
	// goes off early, expire sets it again for the deadline, so a busy transfer costs one
	// timer per timeout, not two timer operations per read.
	if !x.scheduled {
		x.scheduled = true
		if x.timer == nil {
			x.timer = time.AfterFunc(x.p.timeout, x.expire)
		} else {
			x.timer.Reset(x.p.timeout)
		}
	}
}

func (x *exchange) waitingOnBackendLocked() bool {
	return (x.roundTrip && !x.clientRead) || x.bodyRead
}

func (x *exchange) expire() {
	x.mu.Lock()
	if x.done || x.deadline.IsZero() {
		x.scheduled = false
		x.mu.Unlock()
		return
	}
	if left := time.Until(x.deadline); left > 0 {
		x.timer.Reset(left)
		x.mu.Unlock()
		return
	}
	phase := ProxyPhaseBody
	if !x.bodyRead {
		phase = ProxyPhaseHeaders
		if x.hasBody && !x.bodyDone {
			phase = ProxyPhaseRequest
		}
	}
	x.done, x.scheduled = true, false
	x.mu.Unlock()
	// Cancelling the backend's context makes the transport close its connection, which ends
	// a write blocked on a backend that does not read as well as a pending read.
	x.cancel(&ProxyTimeoutError{Phase: phase, After: x.p.timeout})
}

func (x *exchange) finish() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.done = true
	if x.timer != nil {
		x.timer.Stop()
	}
}

// report tells the request's log line (HTTPOptions.OnRequest) and OnError of the exchange's
// failure, once.
func (x *exchange) report(status int, err error) {
	x.mu.Lock()
	first := !x.reported
	x.reported = true
	x.mu.Unlock()
	if !first {
		return
	}
	pe := &ProxyError{Time: time.Now(), Remote: x.in.RemoteAddr, Method: x.in.Method, Path: x.in.RequestURI, Status: status, Err: err}
	noteRequestError(x.in.Context(), pe)
	if x.p.onError != nil {
		x.p.onError(*pe)
	}
}

// watchedTransport runs the watchdog over RoundTrip and the response body.
type watchedTransport struct{ base http.RoundTripper }

func (t watchedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	x := exchangeOf(req.Context())
	if x == nil {
		return t.base.RoundTrip(req)
	}
	x.change(func() { x.roundTrip = true }, false)
	res, err := t.base.RoundTrip(req)
	// After a 101 the body is not watched (below) and the round trip is over, so the clock
	// stops for good: a tunnel, idle or not, is bounded by the server's idle timeout.
	x.change(func() { x.roundTrip = false }, true)
	if err == nil && res.StatusCode != http.StatusSwitchingProtocols && res.Body != nil && res.Body != http.NoBody {
		res.Body = &responseBody{ReadCloser: res.Body, x: x}
	}
	return res, err
}

// requestBody pauses the clock while the transport waits for the client's bytes.
type requestBody struct {
	io.ReadCloser
	x *exchange
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.x.change(func() { b.x.clientRead = true }, false)
	n, err := b.ReadCloser.Read(p)
	b.x.change(func() {
		b.x.clientRead = false
		if err == io.EOF {
			b.x.bodyDone = true
		}
	}, n > 0 || err == io.EOF)
	return n, err
}

// responseBody runs the clock while a read of the backend's body is pending, and reports a
// body the backend broke off.
type responseBody struct {
	io.ReadCloser
	x *exchange
}

func (b *responseBody) Read(p []byte) (int, error) {
	b.x.change(func() { b.x.bodyRead = true }, false)
	n, err := b.ReadCloser.Read(p)
	b.x.change(func() { b.x.bodyRead = false }, n > 0)
	if err != nil && err != io.EOF {
		// ReverseProxy aborts the response (http.ErrAbortHandler): the client sees its
		// connection, or its HTTP/2 stream, cut.
		b.x.bodyFailed(err)
	}
	return n, err
}

func (x *exchange) bodyFailed(err error) {
	var te *ProxyTimeoutError
	switch {
	case errors.As(context.Cause(x.ctx), &te):
		x.report(0, te)
	case x.in.Context().Err() != nil:
		// The client went away: not the backend's failure.
	default:
		x.report(0, fmt.Errorf("the backend broke off the response body: %w", err))
	}
}
