package handshake

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// echAttempt follows one handshake's Encrypted Client Hello. crypto/tls does the HPKE; what it
// does not hand back (whether the rejected outer handshake authenticated the retry configs) is
// worked out here.
type echAttempt struct {
	roots *x509.CertPool
	now   func() time.Time

	mu       sync.Mutex
	rejected bool
}

// verifyRejection is crypto/tls's EncryptedClientHelloRejectionVerify. The retry configs of a
// rejection may be used only when the server proved it holds the public name (RFC 9849
// section 6.1.7), but crypto/tls calls this before it has stored the peer's certificates, so
// it only lets the handshake end with the rejection (its configs are shown either way); result
// judges the certificate the transcript holds, and Run retries only with authenticated configs.
func (e *echAttempt) verifyRejection(tls.ConnectionState) error {
	e.mu.Lock()
	e.rejected = true
	e.mu.Unlock()
	return nil
}

// result says what ECH did, from the recorded outer ClientHello, the handshake's error (a
// rejection carries the retry configs) and its state.
// peer is the chain the server sent (decrypted from the transcript).
func (e *echAttempt) result(steps []Step, sni string, hsErr error, cs tls.ConnectionState, peer []*x509.Certificate) *ECHResult {
	r := &ECHResult{Accepted: hsErr == nil && cs.ECHAccepted, HiddenSNI: sni}
	sent := false
	for i, s := range steps {
		if ch, ok := s.Details.(*wire.ClientHello); ok && s.Direction == Sent {
			if !sent && sni != "" && ch.ECH != nil {
				// The timeline says what the wire did not show.
				steps[i].Summary += "; the encrypted inner hello has SNI " + sni
			}
			sent = true
			r.OuterSNI = ch.ServerName
			if ch.ECH != nil && ch.ECH.Type == "outer" {
				r.ConfigID = ch.ECH.ConfigID
				suite := ch.ECH.CipherSuite
				r.HPKESuite = &suite
			}
			break
		}
	}
	if !sent {
		return nil // no hello went out: the error says why, and ECH did nothing
	}
	r.PublicName = r.OuterSNI
	var rej *tls.ECHRejectionError
	if errors.As(hsErr, &rej) {
		r.Rejected = true
		r.RetryConfigList = rej.RetryConfigList
		var parseErr error
		if len(rej.RetryConfigList) > 0 {
			var configs []wire.ECHConfig
			if configs, parseErr = wire.ParseECHConfigList(rej.RetryConfigList); parseErr == nil {
				r.RetryConfigs = inspect.DescribeECHConfigs(configs)
			}
		}
		e.mu.Lock()
		rejected := e.rejected
		e.mu.Unlock()
		v := inspect.VerifyChain(peer, inspect.VerifyOptions{Roots: e.roots, Host: r.PublicName, Now: e.now()})
		switch {
		case !rejected || len(peer) == 0:
			r.RetryError = "the server's certificate for the public name was not seen"
		case v.Verified:
			r.RetryAuthenticated = true
		default:
			r.RetryError = "the server's certificate does not authenticate the public name " + r.PublicName + ": " + v.Error
		}
		if parseErr != nil {
			r.RetryError = "the retry configs do not decode: " + parseErr.Error()
		}
	}
	return r
}
