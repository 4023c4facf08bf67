package acmeclient

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// CertID is a certificate's ACME Renewal Information identifier (RFC 9773 section 4.1):
// base64url of its Authority Key Identifier's keyIdentifier, a dot, and base64url of its
// serial number's DER content octets (a leading zero kept when the high bit is set).
func CertID(c *x509.Certificate) (string, error) {
	if len(c.AuthorityKeyId) == 0 {
		return "", errors.New("the certificate has no authority key identifier, which ARI needs")
	}
	serial := c.SerialNumber.Bytes()
	if len(serial) == 0 || serial[0]&0x80 != 0 {
		serial = append([]byte{0}, serial...)
	}
	return base64.RawURLEncoding.EncodeToString(c.AuthorityKeyId) + "." + base64.RawURLEncoding.EncodeToString(serial), nil
}

// Window is the CA's suggested renewal window for a certificate.
type Window struct {
	Start, End     time.Time
	ExplanationURL string
}

// ErrNoARI is a CA without ACME Renewal Information.
var ErrNoARI = errors.New("the CA offers no renewal information (ARI)")

// RenewalInfo asks the CA when to renew the certificate (RFC 9773): its directory's
// renewalInfo URL, then a GET of the certificate's CertID there.
func RenewalInfo(ctx context.Context, o Options, c *x509.Certificate) (*Window, error) {
	var dir struct {
		RenewalInfo string `json:"renewalInfo"`
	}
	if err := getJSON(ctx, o.HTTPClient, o.Directory, &dir); err != nil {
		return nil, fmt.Errorf("reading the ACME directory: %w", err)
	}
	if dir.RenewalInfo == "" {
		return nil, ErrNoARI
	}
	id, err := CertID(c)
	if err != nil {
		return nil, err
	}
	var info struct {
		SuggestedWindow struct {
			Start time.Time `json:"start"`
			End   time.Time `json:"end"`
		} `json:"suggestedWindow"`
		ExplanationURL string `json:"explanationURL"`
	}
	if err := getJSON(ctx, o.HTTPClient, strings.TrimRight(dir.RenewalInfo, "/")+"/"+id, &info); err != nil {
		return nil, fmt.Errorf("reading the renewal information: %w", err)
	}
	w := &Window{Start: info.SuggestedWindow.Start, End: info.SuggestedWindow.End, ExplanationURL: info.ExplanationURL}
	if w.Start.IsZero() || w.End.Before(w.Start) {
		return nil, fmt.Errorf("the CA's renewal window (%v to %v) is not a window", w.Start, w.End)
	}
	return w, nil
}

// Due says whether the certificate should be renewed now, and from when: from the start of
// the CA's window when it gave one, else once a third of its lifetime is left.
func Due(c *x509.Certificate, w *Window, now time.Time) (bool, time.Time) {
	from := c.NotAfter.Add(-c.NotAfter.Sub(c.NotBefore) / 3)
	if w != nil {
		from = w.Start
	}
	return !now.Before(from), from
}

// maxJSON bounds an answer of the CA read as JSON.
const maxJSON = 1 << 20

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, v)
}

// OffersARI reports whether the CA's directory has renewalInfo: RFC 9773 section 5 says a
// client should send "replaces" only to a CA that offers ARI.
func OffersARI(ctx context.Context, o Options) bool {
	var dir struct {
		RenewalInfo string `json:"renewalInfo"`
	}
	return getJSON(ctx, o.HTTPClient, o.Directory, &dir) == nil && dir.RenewalInfo != ""
}
