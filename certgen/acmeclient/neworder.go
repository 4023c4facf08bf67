package acmeclient

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"golang.org/x/crypto/acme"
)

// newOrderReplacing places a new order that replaces a certificate (RFC 9773 section 5:
// "replaces", its CertID), which x/crypto/acme's AuthorizeOrder cannot send: one JWS-signed
// POST of tlskit's own (ES256, the account's P-256 key, its URL as kid), the answer decoded into
// the acme.Order the rest of the flow takes. A bad nonce is retried (RFC 8555 6.5).
func newOrderReplacing(ctx context.Context, o *Options, ids []acme.AuthzID, replaces string) (*acme.Order, error) {
	key, ok := o.Account.Key.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, errNotP256
	}
	var dir struct {
		NewNonce string `json:"newNonce"`
		NewOrder string `json:"newOrder"`
	}
	if err := getJSON(ctx, o.HTTPClient, o.Directory, &dir); err != nil {
		return nil, err
	}
	type ident struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	req := struct {
		Identifiers []ident `json:"identifiers"`
		Replaces    string  `json:"replaces"`
		Profile     string  `json:"profile,omitempty"`
	}{Replaces: replaces, Profile: o.Profile}
	for _, id := range ids {
		req.Identifiers = append(req.Identifiers, ident{id.Type, id.Value})
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	nonce := ""
	for attempt := 0; ; attempt++ {
		if nonce == "" {
			if nonce, err = fetchNonce(ctx, o.HTTPClient, dir.NewNonce); err != nil {
				return nil, err
			}
		}
		body, err := signJWS(key, o.Account.URL, nonce, dir.NewOrder, payload)
		if err != nil {
			return nil, err
		}
		hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, dir.NewOrder, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		hreq.Header.Set("Content-Type", "application/jose+json")
		if o.UserAgent != "" {
			hreq.Header.Set("User-Agent", o.UserAgent)
		}
		resp, err := o.HTTPClient.Do(hreq)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusCreated {
			var v struct {
				Status         string   `json:"status"`
				Authorizations []string `json:"authorizations"`
				Finalize       string   `json:"finalize"`
			}
			if err := json.Unmarshal(data, &v); err != nil {
				return nil, fmt.Errorf("the CA's order: %w", err)
			}
			return &acme.Order{URI: resp.Header.Get("Location"), Status: v.Status, AuthzURLs: v.Authorizations, FinalizeURL: v.Finalize}, nil
		}
		p := &acme.Error{StatusCode: resp.StatusCode, Header: resp.Header}
		var doc struct {
			Type   string `json:"type"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(data, &doc) == nil {
			p.ProblemType, p.Detail = doc.Type, doc.Detail
		}
		// A bad nonce is retried with the fresh one the answer carries (RFC 8555 6.5), as
		// often as x/crypto's requests are (boundedBackoff).
		if p.ProblemType == "urn:ietf:params:acme:error:badNonce" && attempt < maxNonceRetries {
			nonce = resp.Header.Get("Replay-Nonce")
			continue
		}
		return nil, p
	}
}

var errNotP256 = errors.New("the account key is not ECDSA P-256")

func fetchNonce(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if n := resp.Header.Get("Replay-Nonce"); n != "" {
		return n, nil
	}
	return "", errors.New("the CA sent no nonce")
}

// signJWS is the flattened JWS JSON serialization (RFC 7515) of payload: ES256 over the
// protected header naming the account (kid), the nonce and the URL.
func signJWS(key *ecdsa.PrivateKey, kid, nonce, url string, payload []byte) ([]byte, error) {
	protected, err := json.Marshal(map[string]string{"alg": "ES256", "kid": kid, "nonce": nonce, "url": url})
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding
	signingInput := b64.EncodeToString(protected) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return nil, err
	}
	// ES256 signatures are r and s, 32 bytes each, big-endian (RFC 7518 3.4), not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return json.Marshal(map[string]string{
		"protected": b64.EncodeToString(protected),
		"payload":   b64.EncodeToString(payload),
		"signature": b64.EncodeToString(sig),
	})
}
