package revocation

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// crlServer serves handlers by path on loopback.
func crlServer(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func serveBytes(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write(b) }
}

func TestFetchBadServers(t *testing.T) {
	t.Parallel()
	big := make([]byte, 2<<20)
	rand.Read(big)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := crlServer(t, map[string]http.HandlerFunc{
		"/404":     http.NotFound,
		"/garbage": serveBytes([]byte("this is not a CRL")),
		"/big":     serveBytes(big),
		"/big-chunked": func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 4; i++ { // no Content-Length: the cap must hold while reading
				w.Write(big[:1<<20])
				w.(http.Flusher).Flush()
			}
		},
		"/hang": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
		"/drip": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			for i := 0; i < 1000; i++ {
				if _, err := w.Write([]byte{0x30}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(50 * time.Millisecond):
				case <-r.Context().Done():
					return
				}
			}
		},
		"/loop": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) },
		"/ldap": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "ldap://127.0.0.1/x", http.StatusFound)
		},
		"/panic": func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
	})
	tests := []struct{ path, errHas string }{
		{"/404", "HTTP 404"},
		{"/garbage", "not a valid CRL"},
		{"/big", "over the 1048576-byte limit"},
		{"/big-chunked", "over the 1048576-byte limit"},
		{"/hang", "timed out"},
		{"/drip", "timed out"},
		{"/loop", "redirects"},
		{"/ldap", "redirected to a ldap URL"},
		{"/panic", "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			f := NewFetcher(FetcherOptions{MaxCRLBytes: 1 << 20, Timeout: 300 * time.Millisecond})
			_, err := f.CRL(context.Background(), srv.URL+tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("error %v, want one saying %q", err, tt.errHas)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	t.Run("scheme", func(t *testing.T) {
		_, err := NewFetcher(FetcherOptions{}).CRL(context.Background(), "ldap://127.0.0.1/cn=x")
		if err == nil || !strings.Contains(err.Error(), "ldap URLs are not supported") {
			t.Fatalf("error %v", err)
		}
	})
}

// A CRL is downloaded once per Fetcher, however many certificates ask for it at once.
func TestFetchCRLOnce(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	var hits atomic.Int32
	crl := newCRL(t, p.inter)
	srv := crlServer(t, map[string]http.HandlerFunc{"/c.crl": func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(crl.Header.Raw)
	}})
	f := NewFetcher(FetcherOptions{})
	done := make(chan error)
	for i := 0; i < 20; i++ {
		go func() {
			_, err := f.CRL(context.Background(), srv.URL+"/c.crl")
			done <- err
		}()
	}
	for i := 0; i < 20; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
}

// pkiServer is a PKI whose CRLs and OCSP responder are served on loopback.
type pkiServer struct {
	testPKI
	srv        *httptest.Server
	interCRL   *CRL
	rootCRL    *CRL
	ocspStatus int
}

func newPKIServer(t *testing.T, leafRevoked bool) *pkiServer {
	t.Helper()
	ps := &pkiServer{ocspStatus: ocsp.Good}
	mux := http.NewServeMux()
	ps.srv = httptest.NewServer(mux)
	t.Cleanup(ps.srv.Close)
	root := newCert(t, "Test Root", true, nil)
	inter := newCert(t, "Test Issuing CA", true, root, withCDP(ps.srv.URL+"/root.crl"))
	leaf := newCert(t, "leaf.test", false, inter, withCDP(ps.srv.URL+"/inter.crl"), withOCSP(ps.srv.URL+"/ocsp"))
	ps.testPKI = testPKI{root: root, inter: inter, leaf: leaf}
	var opts []crlOpt
	if leafRevoked {
		opts = append(opts, revoked(leaf.cert.SerialNumber, 1))
		ps.ocspStatus = ocsp.Revoked
	}
	ps.interCRL = newCRL(t, inter, opts...)
	ps.rootCRL = newCRL(t, root)
	mux.HandleFunc("/inter.crl", serveBytes(ps.interCRL.Header.Raw))
	mux.HandleFunc("/root.crl", serveBytes(ps.rootCRL.Header.Raw))
	mux.HandleFunc("/ocsp", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil || req.SerialNumber.Cmp(leaf.cert.SerialNumber) != 0 {
			w.Write(ocsp.MalformedRequestErrorResponse)
			return
		}
		w.Write(ocspResponse(t, leaf.cert, inter.cert, inter, false, func(r *ocsp.Response) {
			r.Status = ps.ocspStatus
			if r.Status == ocsp.Revoked {
				r.RevokedAt = testNow.Add(-time.Hour)
			}
		}))
	})
	return ps
}

func (ps *pkiServer) chain() []*x509.Certificate {
	return []*x509.Certificate{ps.leaf.cert, ps.inter.cert, ps.root.cert}
}

func TestCheckModes(t *testing.T) {
	t.Parallel()
	good := newPKIServer(t, false)
	bad := newPKIServer(t, true)
	goodStaple := ocspResponse(t, good.leaf.cert, good.inter.cert, good.inter, true)
	wrongStaple := ocspResponse(t, good.leaf.cert, good.inter.cert, newCert(t, "x", true, nil), false)

	tests := []struct {
		name     string
		ps       *pkiServer
		mode     Mode
		staple   []byte
		want     string   // overall
		per      []string // leaf, intermediate, root
		source   string
		errHas   string
		noFetch  bool
		localCRL bool
	}{
		{"off", good, ModeOff, goodStaple, StatusOff, nil, "", "", false, false},
		{"staple, none stapled", good, ModeStaple, nil, StatusNotChecked, []string{"not_checked", "not_checked", "not_checked"}, "", "", false, false},
		{"staple, good", good, ModeStaple, goodStaple, StatusGood, []string{"good", "not_checked", "not_checked"}, "staple", "", false, false},
		{"staple, invalid", good, ModeStaple, wrongStaple, StatusUnknown, []string{"unknown", "not_checked", "not_checked"}, "staple", "stapled OCSP response is invalid", false, false},
		{"crl, good", good, ModeCRL, nil, StatusGood, []string{"good", "good", "not_checked"}, "crl", "", false, false},
		{"crl, revoked", bad, ModeCRL, nil, StatusRevoked, []string{"revoked", "good", "not_checked"}, "crl", "keyCompromise", false, false},
		{"ocsp, good", good, ModeOCSP, nil, StatusUnknown, []string{"good", "unknown", "not_checked"}, "ocsp", "names no OCSP responder", false, false},
		{"ocsp, revoked", bad, ModeOCSP, nil, StatusRevoked, []string{"revoked", "unknown", "not_checked"}, "ocsp", "OCSP responder", false, false},
		{"auto, good", good, ModeAuto, nil, StatusGood, []string{"good", "good", "not_checked"}, "crl", "", false, false},
		{"auto, good staple then CRL", good, ModeAuto, goodStaple, StatusGood, []string{"good", "good", "not_checked"}, "staple,crl", "", false, false},
		{"auto, invalid staple falls back", bad, ModeAuto, wrongStaple, StatusRevoked, []string{"revoked", "good", "not_checked"}, "crl", "", false, false},
		{"crl without network", good, ModeCRL, nil, StatusUnknown, []string{"unknown", "unknown", "not_checked"}, "", "no network", true, false},
		{"local CRL in staple mode", bad, ModeStaple, nil, StatusRevoked, []string{"revoked", "not_checked", "not_checked"}, "crl", "says the CRL inter.crl", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{Mode: tt.mode, Now: testNow}
			if !tt.noFetch {
				opts.Fetcher = NewFetcher(FetcherOptions{})
			}
			if tt.localCRL {
				opts.CRLs = []LocalCRL{{File: "inter.crl", CRL: tt.ps.interCRL}}
			}
			rep := Check(context.Background(), tt.ps.chain(), nil, tt.staple, opts)
			if rep.Status != tt.want {
				t.Fatalf("status %q (%s), want %q", rep.Status, rep.Error, tt.want)
			}
			for i, w := range tt.per {
				if got := rep.Certificates[i].Status; got != w {
					t.Errorf("certificate %d: %q (%s), want %q", i, got, rep.Certificates[i].Error, w)
				}
			}
			if rep.Source != tt.source {
				t.Errorf("source %q, want %q", rep.Source, tt.source)
			}
			if !strings.Contains(rep.Error, tt.errHas) {
				t.Errorf("error %q does not say %q", rep.Error, tt.errHas)
			}
		})
	}
}

// A certificate whose issuer was not sent is still checked when the issuer is among extra
// (the trusted roots, or --intermediates).
func TestCheckFindsIssuerInExtra(t *testing.T) {
	t.Parallel()
	ps := newPKIServer(t, true)
	rep := Check(context.Background(), []*x509.Certificate{ps.leaf.cert}, []*x509.Certificate{ps.root.cert, ps.inter.cert}, nil,
		Options{Mode: ModeCRL, Now: testNow, Fetcher: NewFetcher(FetcherOptions{})})
	if rep.Status != StatusRevoked {
		t.Fatalf("%+v", rep)
	}
	rep = Check(context.Background(), []*x509.Certificate{ps.leaf.cert}, nil, nil,
		Options{Mode: ModeCRL, Now: testNow, Fetcher: NewFetcher(FetcherOptions{})})
	if rep.Status != StatusUnknown || !strings.Contains(rep.Error, "neither sent nor trusted") {
		t.Fatalf("%+v", rep)
	}
}

// A CRL server that never answers leaves the certificate unknown once the context ends.
func TestCheckHangingServer(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := crlServer(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	defer close(release)
	root := newCert(t, "Test Root", true, nil)
	leaf := newCert(t, "leaf.test", false, root, withCDP(srv.URL+"/x.crl"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	rep := Check(ctx, []*x509.Certificate{leaf.cert, root.cert}, nil, nil, Options{Mode: ModeAuto, Now: testNow,
		Fetcher: NewFetcher(FetcherOptions{Timeout: time.Second})})
	if rep.Status != StatusUnknown || !strings.Contains(rep.Error, "timed out") {
		t.Fatalf("%+v", rep)
	}
}

// A caller that gives up does not fail the others waiting for the same download.
func TestFetchOutlivesItsFirstCaller(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	crl := newCRL(t, p.inter)
	var hits atomic.Int32
	srv := crlServer(t, map[string]http.HandlerFunc{"/c.crl": func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(300 * time.Millisecond)
		w.Write(crl.Header.Raw)
	}})
	f := NewFetcher(FetcherOptions{Timeout: 5 * time.Second})
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.CRL(short, srv.URL+"/c.crl"); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("the impatient caller: %v", err)
	}
	if _, err := f.CRL(context.Background(), srv.URL+"/c.crl"); err != nil {
		t.Fatalf("the patient caller: %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
}

// Past the cache's bound, a download is handed over and not kept.
func TestFetchCacheBound(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	crl := newCRL(t, p.inter)
	var hits atomic.Int32
	srv := crlServer(t, map[string]http.HandlerFunc{"/c.crl": func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(crl.Header.Raw)
	}})
	f := NewFetcher(FetcherOptions{MaxCacheBytes: int64(len(crl.Header.Raw)) - 1})
	for i := 0; i < 2; i++ {
		if _, err := f.CRL(context.Background(), srv.URL+"/c.crl"); err != nil {
			t.Fatal(err)
		}
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("%d downloads, want 2 (nothing kept)", n)
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for _, m := range Modes {
		if got, err := ParseMode(string(m)); err != nil || got != m {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := ParseMode("always"); err == nil || !strings.Contains(err.Error(), "staple, crl, ocsp, auto, off") {
		t.Errorf("%v", err)
	}
}

// Proven asks more than a good status: every certificate but the root good. A good staple
// says nothing of the intermediate.
func TestCheckProven(t *testing.T) {
	t.Parallel()
	ps := newPKIServer(t, false)
	staple := ocspResponse(t, ps.leaf.cert, ps.inter.cert, ps.inter, true)
	rep := Check(context.Background(), ps.chain(), nil, staple, Options{Mode: ModeStaple, Now: testNow})
	if rep.Status != StatusGood || rep.Proven || len(rep.Unproven()) != 1 || rep.Unproven()[0] != 1 {
		t.Errorf("staple mode: %s, proven %t, unproven %v", rep.Status, rep.Proven, rep.Unproven())
	}
	rep = Check(context.Background(), ps.chain(), nil, staple, Options{Mode: ModeAuto, Now: testNow, Fetcher: NewFetcher(FetcherOptions{})})
	if rep.Status != StatusGood || !rep.Proven {
		t.Errorf("auto mode: %s, proven %t, unproven %v", rep.Status, rep.Proven, rep.Unproven())
	}
}

// Of two current CRLs from one issuer, the newer speaks, whatever order they come in.
func TestLocalCRLNewestWins(t *testing.T) {
	t.Parallel()
	ps := newPKIServer(t, false)
	older := newCRL(t, ps.inter, crlTimes(testNow.Add(-48*time.Hour), testNow.Add(48*time.Hour)))
	newer := newCRL(t, ps.inter, revoked(ps.leaf.cert.SerialNumber, 1))
	for _, order := range [][]*CRL{{older, newer}, {newer, older}} {
		opts := Options{Mode: ModeStaple, Now: testNow, CRLs: []LocalCRL{{File: "a", CRL: order[0]}, {File: "b", CRL: order[1]}}}
		if rep := Check(context.Background(), ps.chain(), nil, nil, opts); rep.Certificates[0].Status != StatusRevoked {
			t.Errorf("%+v", rep.Certificates[0])
		}
	}
}
