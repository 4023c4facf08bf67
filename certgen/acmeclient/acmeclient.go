// Package acmeclient gets a certificate from an ACME (RFC 8555) certificate authority: the
// account (made on first use and kept), the order, each authorization and its challenge, the
// finalization with the caller's CSR, and the chain. It is built on golang.org/x/crypto/acme,
// which speaks the protocol (JWS, nonces and their retry, Retry-After); this package holds
// what a command needs around it: where the account lives, how a challenge is answered, and
// what to tell the user at each step. It never prints: Options.Progress is told of each step.
package acmeclient

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
)

// Well-known directories, by the short names the command takes.
var Directories = map[string]string{
	"letsencrypt":         "https://acme-v02.api.letsencrypt.org/directory",
	"letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
	"zerossl":             "https://acme.zerossl.com/v2/DV90",
}

// Challenge types.
const (
	HTTP01    = "http-01"
	TLSALPN01 = "tls-alpn-01"
	DNS01     = "dns-01"
)

// Options say which CA, which account and how challenges are answered.
type Options struct {
	// Directory is the CA's directory URL.
	Directory string
	// HTTPClient talks to the CA (its TLS roots, its timeouts).
	HTTPClient *http.Client
	// Account is the account's key and what is kept of it (see LoadAccount).
	Account *Account
	// Email is the account's contact, when it is made.
	Email string
	// AgreeTOS accepts the CA's terms of service, which a new account needs when the CA has
	// some; without it the terms URL is in the error (a *TermsError).
	AgreeTOS bool
	// EAB binds a new account to an account the CA's owner made (ZeroSSL, Google, a private
	// CA that requires it).
	EAB *acme.ExternalAccountBinding
	// Profile asks for a certificate profile the CA offers (e.g. "shortlived").
	Profile string
	// Wait bounds how long the CA may take to finish the authorizations, and then to issue
	// (DefaultWait when 0): x/crypto's waits end only on a final status.
	Wait time.Duration
	// Replaces is the CertID (RFC 9773) of the certificate a renewal replaces, sent in the
	// new order so the CA can link the two (and exempt the renewal from some rate limits).
	Replaces string
	// Solver answers the challenges.
	Solver Solver
	// Progress, when set, is told of each step.
	Progress func(Step)
	// UserAgent names the program to the CA.
	UserAgent string
}

// Step is one step of the work, for the user's progress lines.
type Step struct {
	// What: "account", "order", "authorization", "challenge", "finalize", "download".
	What string
	// Detail says it for people ("created https://...", "app.test: http-01 valid").
	Detail string
}

// Identifier is a name to be certified: a DNS name or an IP address.
type Identifier struct {
	Type  string // "dns" or "ip"
	Value string
}

// Identifiers turns names into ACME identifiers: IP addresses (RFC 8738) and DNS names.
func Identifiers(names []string) []Identifier {
	out := make([]Identifier, 0, len(names))
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			out = append(out, Identifier{Type: "ip", Value: ip.String()})
			continue
		}
		out = append(out, Identifier{Type: "dns", Value: n})
	}
	return out
}

// Result is the certificate the CA issued.
type Result struct {
	// Chain is the leaf first, then the intermediates the CA sent.
	Chain []*x509.Certificate
	// CertURL and OrderURL are where the CA keeps them.
	CertURL, OrderURL string
	// AccountURL is the account the order belongs to.
	AccountURL string
}

// Solver answers a challenge of one kind. Present makes the response available and returns
// once the CA may look at it; CleanUp takes it away (always called after Present, even when
// the authorization failed or the run was interrupted).
type Solver interface {
	Type() string
	Present(ctx context.Context, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) error
	CleanUp(ctx context.Context, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) error
}

// AuthorizationError is an authorization the CA refused: its identifier and the CA's problem
// document (type, detail, and per identifier the subproblems).
type AuthorizationError struct {
	Identifier string
	Challenge  string
	Problem    *acme.Error
}

func (e *AuthorizationError) Error() string {
	msg := fmt.Sprintf("authorization for %s failed", e.Identifier)
	if e.Challenge != "" {
		msg += " (" + e.Challenge + ")"
	}
	if e.Problem != nil {
		msg += ": " + describeProblem(e.Problem)
	}
	return msg
}

// describeProblem is an RFC 7807 problem document in one line: its type (without the ACME
// namespace) and detail, and each subproblem's identifier and detail.
func describeProblem(p *acme.Error) string {
	typ := strings.TrimPrefix(p.ProblemType, "urn:ietf:params:acme:error:")
	s := typ
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	for _, sub := range p.Subproblems {
		s += fmt.Sprintf("; %s: %s", subIdentifier(sub), strings.TrimPrefix(sub.Type, "urn:ietf:params:acme:error:"))
		if sub.Detail != "" {
			s += ": " + sub.Detail
		}
	}
	return s
}

// CAError is the CA refusing a request outright (not an authorization): its problem document.
type CAError struct {
	Step    string
	Problem *acme.Error
}

func (e *CAError) Error() string {
	return fmt.Sprintf("%s: the CA answered %d %s", e.Step, e.Problem.StatusCode, describeProblem(e.Problem))
}

// caError wraps an error of x/crypto/acme with the step it happened in: a problem document
// becomes a *CAError, others keep their words.
func caError(step string, err error) error {
	var ae *acme.Error
	if errors.As(err, &ae) {
		return &CAError{Step: step, Problem: ae}
	}
	var oe *acme.OrderError
	if errors.As(err, &oe) {
		return fmt.Errorf("%s: the order became %s", step, oe.Status)
	}
	return fmt.Errorf("%s: %w", step, err)
}

func (o *Options) progress(what, format string, args ...any) {
	if o.Progress != nil {
		o.Progress(Step{What: what, Detail: fmt.Sprintf(format, args...)})
	}
}

// client is the x/crypto/acme client of the account.
func (o *Options) client() *acme.Client {
	return &acme.Client{
		Key:          o.Account.Key,
		HTTPClient:   o.HTTPClient,
		DirectoryURL: o.Directory,
		UserAgent:    o.UserAgent,
		KID:          acme.KeyID(o.Account.URL),
		// x/crypto's default backoff retries 5xx, 429 (after Retry-After) and bad nonces
		// until the context ends; bounded here, so a CA that is down fails the run in about
		// half a minute rather than at --timeout only.
		RetryBackoff: boundedBackoff,
	}
}

// maxRetries bounds the retries of one request; retryCap bounds each wait.
const (
	maxRetries      = 5
	maxNonceRetries = 10
	retryCap        = 10 * time.Second
)

// boundedBackoff waits Retry-After when the CA says (giving up at once when that is longer than
// retryCap), else 1, 2, 4, 8 s, and gives up after maxRetries.
func boundedBackoff(n int, _ *http.Request, resp *http.Response) time.Duration {
	if resp != nil && resp.StatusCode == http.StatusBadRequest {
		// x/crypto retries a 400 only for a bad nonce (RFC 8555 6.5: retry with the fresh one
		// the answer carries): at once, a few more times, since it costs the CA nothing.
		if n > maxNonceRetries {
			return 0
		}
		return time.Millisecond
	}
	if n > maxRetries {
		return 0
	}
	if resp != nil {
		if v := resp.Header.Get("Retry-After"); v != "" {
			d := time.Duration(-1)
			if s, err := time.ParseDuration(v + "s"); err == nil && s > 0 {
				d = s
			} else if t, err := http.ParseTime(v); err == nil {
				d = max(time.Until(t), time.Second)
			}
			// A CA that asks for more than retryCap (a rate limit's hour) is not asked again
			// sooner than it said: the run fails now, with its problem document.
			if d > retryCap {
				return 0
			}
			if d > 0 {
				return d
			}
		}
	}
	return min(time.Duration(1<<(n-1))*time.Second, retryCap)
}

// DefaultWait is Options.Wait's default: minutes, as a CA under load takes, not for ever.
const DefaultWait = 5 * time.Minute

func waitFor(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultWait
	}
	return d
}

// Issue gets a certificate for the CSR's names: the account (made if it has no URL yet), the
// order, each authorization through o.Solver, finalization and the chain.
func Issue(ctx context.Context, o Options, ids []Identifier, csrDER []byte) (*Result, error) {
	if o.Solver == nil {
		return nil, errors.New("no challenge solver")
	}
	if err := ensureAccount(ctx, &o); err != nil {
		return nil, err
	}
	c := o.client()
	var authzIDs []acme.AuthzID
	for _, id := range ids {
		authzIDs = append(authzIDs, acme.AuthzID{Type: id.Type, Value: id.Value})
	}
	var opts []acme.OrderOption
	if o.Profile != "" {
		opts = append(opts, acme.WithOrderIssuanceProfile(acme.ProfileName(o.Profile)))
	}
	newOrder := func() (*acme.Order, error) {
		if o.Replaces != "" {
			order, err := newOrderReplacing(ctx, &o, authzIDs, o.Replaces)
			var ae *acme.Error
			switch {
			case errors.As(err, &ae) && ae.ProblemType == "urn:ietf:params:acme:error:alreadyReplaced":
				// A renewal of a certificate that was renewed before (or whose replacement
				// order was lost): still a certificate for the names, without the link.
				o.progress("order", "the CA says the certificate was already replaced; ordering without naming it")
			case !errors.Is(err, errNotP256):
				return order, err
			default:
				o.progress("order", "not naming the certificate it replaces: %v", err)
			}
		}
		return c.AuthorizeOrder(ctx, authzIDs, opts...)
	}
	order, err := newOrder()
	var ae *acme.Error
	if errors.As(err, &ae) && ae.ProblemType == "urn:ietf:params:acme:error:accountDoesNotExist" {
		// The CA no longer knows the kept account (a test CA restarted, an account the CA
		// dropped): made anew with the same key, once.
		o.progress("account", "%s is not known to the CA any more; making it anew", o.Account.URL)
		o.Account.URL = ""
		if err := ensureAccount(ctx, &o); err != nil {
			return nil, err
		}
		c = o.client()
		order, err = newOrder()
	}
	if err != nil {
		return nil, caError("creating the order", err)
	}
	o.progress("order", "%s (%s)", order.URI, order.Status)
	if err := authorizeAll(ctx, &o, c, order.AuthzURLs); err != nil {
		return nil, err
	}
	o.progress("finalize", "sending the CSR")
	finalCtx, cancel := context.WithTimeout(ctx, waitFor(o.Wait))
	defer cancel()
	der, certURL, err := c.CreateCertFromOrder(finalCtx, order, csrDER, true)
	if err != nil && finalCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return nil, fmt.Errorf("finalizing the order: the CA did not issue within %v", waitFor(o.Wait))
	}
	if err != nil {
		return nil, caError("finalizing the order", err)
	}
	chain := make([]*x509.Certificate, 0, len(der))
	for _, d := range der {
		cert, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, fmt.Errorf("the CA's certificate chain: %w", err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errors.New("the CA sent no certificate")
	}
	o.progress("download", "%s: %d certificates", certURL, len(chain))
	return &Result{Chain: chain, CertURL: certURL, OrderURL: order.URI, AccountURL: o.Account.URL}, nil
}

// pending is an authorization whose challenge is being answered.
type pending struct {
	url  string
	name string
	az   *acme.Authorization
	ch   *acme.Challenge
}

// authorizeAll completes the order's authorizations: every challenge presented and accepted
// first, then each waited for, so the CA checks them all at once (one wait, not one per name),
// and every answer taken away at the end, whatever happened (a valid one the CA had already is
// skipped).
func authorizeAll(ctx context.Context, o *Options, c *acme.Client, urls []string) error {
	var todo []pending
	defer func() {
		for _, p := range todo {
			cleanUp(o, c, p.az, p.ch)
		}
	}()
	for _, url := range urls {
		authz, err := c.GetAuthorization(ctx, url)
		if err != nil {
			return caError("fetching an authorization", err)
		}
		name := authz.Identifier.Value
		if authz.Status == acme.StatusValid {
			o.progress("authorization", "%s: already valid", name)
			continue
		}
		var ch *acme.Challenge
		var offered []string
		for _, c := range authz.Challenges {
			offered = append(offered, c.Type)
			if c.Type == o.Solver.Type() {
				ch = c
			}
		}
		if ch == nil {
			return fmt.Errorf("authorization for %s: the CA offers %s, not %s", name, strings.Join(offered, ", "), o.Solver.Type())
		}
		o.progress("authorization", "%s: %s", name, ch.Type)
		// Noted before Present, so what Present did part of is undone too.
		todo = append(todo, pending{url: url, name: name, az: authz, ch: ch})
		if err := o.Solver.Present(ctx, c, authz, ch); err != nil {
			return fmt.Errorf("%s for %s: %w", ch.Type, name, err)
		}
	}
	for _, p := range todo {
		if _, err := c.Accept(ctx, p.ch); err != nil {
			return caError("accepting the "+p.ch.Type+" challenge for "+p.name, err)
		}
	}
	// x/crypto's wait returns only on valid or invalid: a CA that leaves an authorization
	// pending (or deactivates it) would hold a cron job for ever.
	waitCtx, cancel := context.WithTimeout(ctx, waitFor(o.Wait))
	defer cancel()
	for _, p := range todo {
		done, err := c.WaitAuthorization(waitCtx, p.url)
		if err != nil && waitCtx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return fmt.Errorf("the CA left the authorization of %s unfinished for %v", p.name, waitFor(o.Wait))
		}
		if err != nil {
			var ae *acme.AuthorizationError
			if errors.As(err, &ae) {
				return authzFailure(ctx, c, ae, p.name, p.ch)
			}
			return caError("waiting for the authorization of "+p.name, err)
		}
		o.progress("challenge", "%s: %s %s", p.name, p.ch.Type, done.Status)
	}
	return nil
}

// cleanUp runs the solver's CleanUp with a context of its own: after Ctrl-C the run's context
// is done, and the token must still be taken away (a dns-01 hook's remove still run).
func cleanUp(o *Options, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) {
	ctx, cancel := context.WithTimeout(context.Background(), CleanUpTimeout)
	defer cancel()
	if err := o.Solver.CleanUp(ctx, c, authz, ch); err != nil {
		o.progress("challenge", "%s: cleaning up the %s response failed: %v", authz.Identifier.Value, ch.Type, err)
	}
}

// CleanUpTimeout bounds a solver's CleanUp.
const CleanUpTimeout = 30 * time.Second

// authzFailure is the CA's reason for a failed authorization: the challenge's error (the
// problem document), which the authorization error names by its challenges.
func authzFailure(ctx context.Context, c *acme.Client, ae *acme.AuthorizationError, name string, ch *acme.Challenge) error {
	e := &AuthorizationError{Identifier: name, Challenge: ch.Type}
	if got, err := c.GetChallenge(ctx, ch.URI); err == nil && got.Error != nil {
		var p *acme.Error
		if errors.As(got.Error, &p) {
			e.Problem = p
		}
	}
	if e.Problem == nil {
		for _, err := range ae.Errors {
			var p *acme.Error
			if errors.As(err, &p) {
				e.Problem = p
				break
			}
		}
	}
	return e
}

func subIdentifier(sub acme.Subproblem) string {
	if sub.Identifier != nil {
		return sub.Identifier.Value
	}
	return "?"
}

// ErrNoAccount is a revocation by account with no account for that CA here.
var ErrNoAccount = errors.New("no account for this CA here")

// Revoke asks the CA to revoke the certificate, signed by the account that ordered it (or, when
// key is set, by the certificate's own key: then no account is needed), with an RFC 5280
// reason code.
func Revoke(ctx context.Context, o Options, certDER []byte, key crypto.Signer, reason int) error {
	var c *acme.Client
	switch {
	case key != nil:
		c = &acme.Client{Key: key, HTTPClient: o.HTTPClient, DirectoryURL: o.Directory, UserAgent: o.UserAgent, RetryBackoff: boundedBackoff}
	case o.Account == nil || o.Account.URL == "":
		return ErrNoAccount
	default:
		c = o.client()
	}
	if err := c.RevokeCert(ctx, key, certDER, acme.CRLReasonCode(reason)); err != nil {
		return caError("revoking the certificate", err)
	}
	o.progress("revoke", "revoked")
	return nil
}
