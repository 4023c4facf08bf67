package revocation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Limits on what a fetch may cost. A CRL of the largest public CAs' partitions is a few MiB;
// an OCSP response a few KiB.
const (
	DefaultMaxCRLBytes  = 10 << 20
	DefaultMaxOCSPBytes = 1 << 20
	// MaxRedirects bounds the redirects followed for one fetch.
	MaxRedirects = 3
)

// FetchError is a fetch that did not produce a body to judge.
type FetchError struct {
	URL string
	Err error
}

func (e *FetchError) Error() string { return fmt.Sprintf("fetching %s: %v", e.URL, e.Err) }
func (e *FetchError) Unwrap() error { return e.Err }

// Fetcher gets CRLs and OCSP responses over HTTP, each bounded in size, in time and in
// redirects, and remembers each within a run: a thousand leaves under one intermediate cost one
// CRL download and one parse. Each download runs under the Fetcher's own timeout, not under the
// context of whichever caller asked first, so a caller that gives up (its target's time ran
// out) does not fail the others that wait for the same URL; each caller waits only as long as
// its own context allows. Safe for concurrent use.
type Fetcher struct {
	client       *http.Client
	maxCRLBytes  int64
	maxOCSPBytes int64
	timeout      time.Duration
	maxCache     int64

	mu     sync.Mutex
	crls   map[string]*crlEntry
	ocsps  map[string]*ocspEntry
	cached int64 // bytes of the CRLs and responses kept
}

// FetcherOptions tune a Fetcher; zero values take the defaults.
type FetcherOptions struct {
	MaxCRLBytes  int64
	MaxOCSPBytes int64
	// Timeout bounds each download (10s when 0).
	Timeout time.Duration
	// MaxCacheBytes bounds what is remembered (64 MiB when 0); past it, new downloads are
	// handed to their callers and not kept.
	MaxCacheBytes int64
	// Transport replaces the HTTP transport (tests); the default honours HTTP_PROXY and
	// NO_PROXY as curl does.
	Transport http.RoundTripper
}

// NewFetcher makes a Fetcher.
func NewFetcher(o FetcherOptions) *Fetcher {
	f := &Fetcher{
		maxCRLBytes:  o.MaxCRLBytes,
		maxOCSPBytes: o.MaxOCSPBytes,
		timeout:      o.Timeout,
		maxCache:     o.MaxCacheBytes,
		crls:         map[string]*crlEntry{},
		ocsps:        map[string]*ocspEntry{},
	}
	if f.timeout <= 0 {
		f.timeout = 10 * time.Second
	}
	if f.maxCache <= 0 {
		f.maxCache = 64 << 20
	}
	if f.maxCRLBytes <= 0 {
		f.maxCRLBytes = DefaultMaxCRLBytes
	}
	if f.maxOCSPBytes <= 0 {
		f.maxOCSPBytes = DefaultMaxOCSPBytes
	}
	tr := o.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       30 * time.Second,
			ResponseHeaderTimeout: 0, // the context bounds it
			DisableCompression:    true,
		}
	}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("more than %d redirects", MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirected to a %s URL", req.URL.Scheme)
			}
			return nil
		},
	}
	return f
}

type crlEntry struct {
	done chan struct{}
	crl  *CRL
	err  error
}

type ocspEntry struct {
	done chan struct{}
	der  []byte
	err  error
}

// CRL downloads and parses the CRL at rawURL, once per Fetcher.
func (f *Fetcher) CRL(ctx context.Context, rawURL string) (*CRL, error) {
	f.mu.Lock()
	e, ok := f.crls[rawURL]
	if !ok {
		e = &crlEntry{done: make(chan struct{})}
		f.crls[rawURL] = e
	}
	f.mu.Unlock()
	if !ok {
		go func() {
			defer close(e.done)
			body, err := f.download(http.MethodGet, rawURL, nil, "", f.maxCRLBytes)
			if err == nil {
				if e.crl, err = ParseCRL(body); err != nil {
					err = &FetchError{URL: rawURL, Err: err}
				}
			}
			e.err = err
			f.keep(len(body), func() { delete(f.crls, rawURL) })
		}()
	}
	select {
	case <-e.done:
		return e.crl, e.err
	case <-ctx.Done():
		return nil, &FetchError{URL: rawURL, Err: timeoutError(ctx)}
	}
}

// OCSP posts an OCSP request to rawURL and returns the response's body, once per Fetcher and
// request.
func (f *Fetcher) OCSP(ctx context.Context, rawURL string, request []byte) ([]byte, error) {
	key := rawURL + "\x00" + string(request)
	f.mu.Lock()
	e, ok := f.ocsps[key]
	if !ok {
		e = &ocspEntry{done: make(chan struct{})}
		f.ocsps[key] = e
	}
	f.mu.Unlock()
	if !ok {
		go func() {
			defer close(e.done)
			e.der, e.err = f.download(http.MethodPost, rawURL, request, "application/ocsp-request", f.maxOCSPBytes)
			f.keep(len(e.der)+len(key), func() { delete(f.ocsps, key) })
		}()
	}
	select {
	case <-e.done:
		return e.der, e.err
	case <-ctx.Done():
		return nil, &FetchError{URL: rawURL, Err: timeoutError(ctx)}
	}
}

// keep counts a finished download against the cache's bound, or, past it, forgets it (forget
// runs under the lock): its waiters have it already, later callers download again.
func (f *Fetcher) keep(n int, forget func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cached+int64(n) > f.maxCache {
		forget()
		return
	}
	f.cached += int64(n)
}

// download runs one request under the Fetcher's own timeout.
func (f *Fetcher) download(method, rawURL string, body []byte, contentType string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	return f.get(ctx, method, rawURL, body, contentType, limit)
}

func (f *Fetcher) get(ctx context.Context, method, rawURL string, body []byte, contentType string, limit int64) ([]byte, error) {
	fail := func(err error) ([]byte, error) { return nil, &FetchError{URL: rawURL, Err: err} }
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail(errors.New("not a valid URL"))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail(fmt.Errorf("%s URLs are not supported (only http and https)", u.Scheme))
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "tlskit")
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fail(timeoutError(ctx))
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("HTTP %s", resp.Status))
	}
	if resp.ContentLength > limit {
		return fail(fmt.Errorf("the response is %d bytes, over the %d-byte limit", resp.ContentLength, limit))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return fail(timeoutError(ctx))
		}
		return fail(fmt.Errorf("reading the response: %v", err))
	}
	if int64(len(data)) > limit {
		return fail(fmt.Errorf("the response is over the %d-byte limit", limit))
	}
	return data, nil
}

func timeoutError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errors.New("timed out")
	}
	return errors.New(strings.TrimPrefix(ctx.Err().Error(), "context "))
}
