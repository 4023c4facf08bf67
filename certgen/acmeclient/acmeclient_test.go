package acmeclient

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

func TestDescribeProblem(t *testing.T) {
	p := &acme.Error{ProblemType: "urn:ietf:params:acme:error:rejectedIdentifier", Detail: "some names were rejected",
		Subproblems: []acme.Subproblem{
			{Type: "urn:ietf:params:acme:error:caa", Detail: "CAA forbids", Identifier: &acme.AuthzID{Type: "dns", Value: "a.test"}},
			{Type: "urn:ietf:params:acme:error:malformed"},
		}}
	want := "rejectedIdentifier: some names were rejected; a.test: caa: CAA forbids; ?: malformed"
	if got := describeProblem(p); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
}

func TestBoundedBackoff(t *testing.T) {
	withHeader := func(v string) *http.Response { return &http.Response{Header: http.Header{"Retry-After": {v}}} }
	for _, tc := range []struct {
		n    int
		resp *http.Response
		want time.Duration
	}{
		{1, nil, time.Second},
		{3, nil, 4 * time.Second},
		{5, nil, 10 * time.Second},
		{6, nil, 0},
		{1, withHeader("3"), 3 * time.Second},
		{1, withHeader("3600"), 0}, // a rate limit's hour: not asked again sooner
		{1, withHeader("10"), 10 * time.Second},
		{2, withHeader("soon"), 2 * time.Second},
		{3, &http.Response{StatusCode: 400}, time.Millisecond}, // a bad nonce: at once
		{11, &http.Response{StatusCode: 400}, 0},
	} {
		if got := boundedBackoff(tc.n, nil, tc.resp); got != tc.want {
			t.Errorf("retry %d (%v): %v, want %v", tc.n, tc.resp, got, tc.want)
		}
	}
}

func TestAccountDir(t *testing.T) {
	for dir, want := range map[string]string{
		"https://acme-v02.api.letsencrypt.org/directory": "acme-v02.api.letsencrypt.org",
		"https://127.0.0.1:14000/dir":                    "127.0.0.1:14000",
		"https://ca.internal/acme/acme/directory":        "ca.internal_acme_acme",
		"https://ca.internal/acme/other/directory":       "ca.internal_acme_other",
		"https://acme.zerossl.com/v2/DV90":               "acme.zerossl.com_v2_DV90",
	} {
		got, err := AccountDir("/base", dir)
		if err != nil || got != filepath.Join("/base", want) {
			t.Errorf("%s: %q %v, want %q", dir, got, err, want)
		}
	}
	if _, err := AccountDir("/base", "not a url"); err == nil {
		t.Error("a directory that is not a URL was accepted")
	}
}

func TestReverseName(t *testing.T) {
	for ip, want := range map[string]string{
		"127.0.0.1": "1.0.0.127.in-addr.arpa.",
		"::1":       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	} {
		if got, err := reverseName(ip); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", ip, got, err, want)
		}
	}
}

func TestRecordName(t *testing.T) {
	for name, want := range map[string]string{"a.test": "_acme-challenge.a.test.", "*.a.test": "_acme-challenge.a.test."} {
		if _, got := recordName(&acme.Authorization{Identifier: acme.AuthzID{Value: name}}); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestLoadAccount: a new account's key is written 0600 at once and read back the same; its
// URL is kept once saved.
func TestLoadAccount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca.test")
	a, created, err := LoadAccount(dir, "https://ca.test/dir")
	if err != nil || !created {
		t.Fatalf("LoadAccount: %v created %v", err, created)
	}
	if st, err := os.Stat(filepath.Join(dir, accountKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode().Perm())
	}
	a.URL = "https://ca.test/acct/1"
	if err := a.save(); err != nil {
		t.Fatal(err)
	}
	b, created, err := LoadAccount(dir, "https://ca.test/dir")
	if err != nil || created || b.URL != a.URL {
		t.Fatalf("reloaded: %+v created %v err %v", b, created, err)
	}
	if !b.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(a.Key.Public()) {
		t.Error("the reloaded key is another")
	}
	os.WriteFile(filepath.Join(dir, accountKeyFile), []byte("garbage"), 0o600)
	if _, _, err := LoadAccount(dir, "https://ca.test/dir"); err == nil {
		t.Error("a garbage key file was accepted")
	}
}

// TestLoadAccountAtOnce: runs that make the account at the same moment end with one key, each
// having read it whole, and no staging file left beside it.
func TestLoadAccountAtOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca.test")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const runs = 8
	keys := make([]crypto.Signer, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			var a *Account
			if a, _, errs[i] = LoadAccount(dir, "https://ca.test/dir"); errs[i] == nil {
				keys[i] = a.Key
			}
		})
	}
	wg.Wait()
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if !keys[i].Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(keys[0].Public()) {
			t.Errorf("run %d has another key", i)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != accountKeyFile {
		t.Errorf("the account directory holds %v, want only %s", entries, accountKeyFile)
	}
}

// TestAccountJSONHoldsNoKey: account.json keeps the URL, never the private key (nor the
// directory it was written in); account-key.pem is the key, even when it was replaced.
func TestAccountJSONHoldsNoKey(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "ca.test")
	a, _, err := LoadAccount(dir, "https://ca.test/dir")
	if err != nil {
		t.Fatal(err)
	}
	a.URL = "https://ca.test/acct/1"
	if err := a.save(); err != nil {
		t.Fatal(err)
	}
	info, _ := os.ReadFile(filepath.Join(dir, accountInfoFile))
	if strings.Contains(string(info), `"D"`) || strings.Contains(string(info), `"Key"`) || strings.Contains(string(info), dir) {
		t.Errorf("account.json holds the key or its directory:\n%s", info)
	}
	// The key file replaced (restored from a backup, a key of the user's own): it is the key.
	os.Remove(filepath.Join(dir, accountKeyFile))
	b, created, err := LoadAccount(dir, "https://ca.test/dir")
	if err != nil || !created {
		t.Fatalf("new key: %v created %v", err, created)
	}
	os.WriteFile(filepath.Join(dir, accountInfoFile), info, 0o600)
	// The directory moved: it is where it is now.
	moved := filepath.Join(base, "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	c, _, err := LoadAccount(moved, "https://ca.test/dir")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(b.Key.Public()) {
		t.Error("the account's key is the one account.json held, not account-key.pem")
	}
	if c.Dir != moved || c.URL != a.URL {
		t.Errorf("reloaded Dir %q URL %q, want %q %q", c.Dir, c.URL, moved, a.URL)
	}

	// An earlier tlskit's account.json, with the key in it: rewritten without it on load.
	legacy := fmt.Sprintf(`{"Dir": %q, "Key": {"D": 12345}, "url": %q, "directory": "https://ca.test/dir"}`, dir, a.URL)
	os.WriteFile(filepath.Join(moved, accountInfoFile), []byte(legacy), 0o600)
	if d, _, err := LoadAccount(moved, "https://ca.test/dir"); err != nil || d.URL != a.URL {
		t.Fatalf("legacy account.json: %v %+v", err, d)
	}
	if info, _ := os.ReadFile(filepath.Join(moved, accountInfoFile)); strings.Contains(string(info), "12345") {
		t.Errorf("the legacy account.json keeps the key:\n%s", info)
	}
}

// TestRateLimitedNotRetried: a 429 whose Retry-After is an hour fails the request at once with
// the CA's problem document, instead of asking again every 10 s against what the CA said.
func TestRateLimitedNotRetried(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"type": "urn:ietf:params:acme:error:rateLimited", "detail": "too many certificates"}`))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := &acme.Client{DirectoryURL: srv.URL, HTTPClient: srv.Client(), RetryBackoff: boundedBackoff}
	start := time.Now()
	_, err := c.Discover(ctx)
	var ae *acme.Error
	if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:rateLimited" {
		t.Errorf("error %v, want the CA's rateLimited problem", err)
	}
	if took := time.Since(start); took > time.Second || hits.Load() != 1 {
		t.Errorf("%d requests in %v, want one, answered at once", hits.Load(), took)
	}
}

// TestCertID: RFC 9773 section 4.1's example (a serial whose high bit is set keeps its leading
// zero octet), and a serial without one.
func TestCertID(t *testing.T) {
	aki := []byte{0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C, 0xDE, 0x01, 0xC8, 0xD4}
	for serial, want := range map[int64]string{
		0x87654321: "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
		0x12345678: "aYhba4dGQEHhs3uEe6CuLN4ByNQ.EjRWeA",
	} {
		got, err := CertID(&x509.Certificate{AuthorityKeyId: aki, SerialNumber: big.NewInt(serial)})
		if err != nil || got != want {
			t.Errorf("serial %x: %q %v, want %q", serial, got, err, want)
		}
	}
	if _, err := CertID(&x509.Certificate{SerialNumber: big.NewInt(1)}); err == nil {
		t.Error("a certificate without an authority key identifier got a CertID")
	}
}
