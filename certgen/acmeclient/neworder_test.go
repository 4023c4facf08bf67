package acmeclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"context"

	"golang.org/x/crypto/acme"
)

// TestNewOrderReplacing: the replaces order is a flattened JWS whose ES256 signature (r||s)
// verifies with the account key, with kid, nonce and url in its protected header, and
// "replaces" in its payload; the nonces the CA rejects (three in a row here) are retried with
// the fresh one each rejection carries.
func TestNewOrderReplacing(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	issued, rejected := 0, 0
	valid := map[string]bool{}
	fresh := func() string {
		issued++
		n := fmt.Sprintf("nonce-%d", issued)
		valid[n] = true
		return n
	}
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/dir":
			fmt.Fprintf(w, `{"newNonce": %q, "newOrder": %q}`, srv.URL+"/nonce", srv.URL+"/order")
		case "/nonce":
			w.Header().Set("Replay-Nonce", fresh())
		case "/order":
			var jws struct{ Protected, Payload, Signature string }
			body, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(body, &jws); err != nil {
				t.Errorf("not a flattened JWS: %s", body)
			}
			b64 := base64.RawURLEncoding
			prot, _ := b64.DecodeString(jws.Protected)
			var h map[string]string
			json.Unmarshal(prot, &h)
			sig, _ := b64.DecodeString(jws.Signature)
			digest := sha256.Sum256([]byte(jws.Protected + "." + jws.Payload))
			if len(sig) != 64 || !ecdsa.Verify(&key.PublicKey, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
				t.Errorf("the signature (%d bytes) does not verify as ES256 r||s", len(sig))
			}
			if h["alg"] != "ES256" || h["kid"] != "https://ca.test/acct/1" || h["url"] != srv.URL+"/order" || h["jwk"] != "" {
				t.Errorf("protected header %v", h)
			}
			if r.Header.Get("Content-Type") != "application/jose+json" || r.Header.Get("User-Agent") != "tlskit/test" {
				t.Errorf("headers %v", r.Header)
			}
			w.Header().Set("Replay-Nonce", fresh())
			if !valid[h["nonce"]] || rejected < 3 {
				rejected++
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"type": "urn:ietf:params:acme:error:badNonce", "detail": "JWS has an invalid anti-replay nonce"}`)
				return
			}
			delete(valid, h["nonce"])
			payload, _ := b64.DecodeString(jws.Payload)
			var req struct {
				Replaces    string `json:"replaces"`
				Identifiers []acme.AuthzID
			}
			json.Unmarshal(payload, &req)
			if req.Replaces != "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE" || len(req.Identifiers) != 1 {
				t.Errorf("payload %s", payload)
			}
			w.Header().Set("Location", srv.URL+"/order/1")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"status": "pending", "authorizations": [%q], "finalize": %q}`, srv.URL+"/authz/1", srv.URL+"/order/1/finalize")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	o := &Options{Directory: srv.URL + "/dir", HTTPClient: srv.Client(), UserAgent: "tlskit/test",
		Account: &Account{Key: key, URL: "https://ca.test/acct/1"}}
	order, err := newOrderReplacing(context.Background(), o, []acme.AuthzID{{Type: "dns", Value: "a.test"}}, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
	if err != nil {
		t.Fatalf("after %d rejected nonces: %v", rejected, err)
	}
	if order.URI != srv.URL+"/order/1" || order.FinalizeURL != srv.URL+"/order/1/finalize" || len(order.AuthzURLs) != 1 {
		t.Errorf("order %+v", order)
	}
}
