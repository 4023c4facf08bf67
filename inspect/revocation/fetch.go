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

// Fetcher gets CRLs and OCSP responses over HTTP, each bounded in size, in time (by the context
// it is given) and in redirects, and remembers each within a run: a thousand leaves under one
// intermediate cost one CRL download and one parse. Safe for concurrent use.
type Fetcher struct {
	client       *http.Client
	maxCRLBytes  int64
	maxOCSPBytes int64

	mu    sync.Mutex
	crls  map[string]*crlEntry
	ocsps map[string]*ocspEntry
}

// FetcherOptions tune a Fetcher; zero values take the defaults.
type FetcherOptions struct {
	MaxCRLBytes  int64
	MaxOCSPBytes int64
	// Transport replaces the HTTP transport (tests); the default honours HTTP_PROXY and
	// NO_PROXY as curl does.
	Transport http.RoundTripper
}

// NewFetcher makes a Fetcher.
func NewFetcher(o FetcherOptions) *Fetcher {
	f := &Fetcher{
		maxCRLBytes:  o.MaxCRLBytes,
		maxOCSPBytes: o.MaxOCSPBytes,
		crls:         map[string]*crlEntry{},
		ocsps:        map[string]*ocspEntry{},
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
			body, err := f.get(ctx, http.MethodGet, rawURL, nil, "", f.maxCRLBytes)
			if err == nil {
				e.crl, err = ParseCRL(body)
			}
			if err != nil {
				var fe *FetchError
				if !errors.As(err, &fe) {
					err = &FetchError{URL: rawURL, Err: err}
				}
			}
			e.err = err
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
			e.der, e.err = f.get(ctx, http.MethodPost, rawURL, request, "application/ocsp-request", f.maxOCSPBytes)
		}()
	}
	select {
	case <-e.done:
		return e.der, e.err
	case <-ctx.Done():
		return nil, &FetchError{URL: rawURL, Err: timeoutError(ctx)}
	}
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
