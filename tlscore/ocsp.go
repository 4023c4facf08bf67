package tlscore

import (
	"crypto/x509"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPStatus is what a stapled OCSP response says about the leaf.
type OCSPStatus struct {
	// Status is "good", "revoked", "unknown", or "invalid" when the response cannot be trusted.
	Status     string     `json:"status"`
	ProducedAt *time.Time `json:"produced_at,omitempty"`
	ThisUpdate *time.Time `json:"this_update,omitempty"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// parseOCSP reads a stapled response and checks its signature against the leaf's issuer when the
// server sent it.
func parseOCSP(der []byte, chain []*x509.Certificate) *OCSPStatus {
	var leaf, issuer *x509.Certificate
	if len(chain) > 0 {
		leaf = chain[0]
	}
	if len(chain) > 1 {
		issuer = chain[1]
	}
	var (
		resp *ocsp.Response
		err  error
	)
	if leaf != nil && issuer != nil {
		resp, err = ocsp.ParseResponseForCert(der, leaf, issuer)
	} else {
		resp, err = ocsp.ParseResponse(der, nil)
	}
	if err != nil {
		return &OCSPStatus{Status: "invalid", Error: err.Error()}
	}
	st := &OCSPStatus{}
	switch resp.Status {
	case ocsp.Good:
		st.Status = "good"
	case ocsp.Revoked:
		st.Status = "revoked"
		t := resp.RevokedAt.UTC()
		st.RevokedAt = &t
	default:
		st.Status = "unknown"
	}
	for _, p := range []struct {
		t   time.Time
		dst **time.Time
	}{{resp.ProducedAt, &st.ProducedAt}, {resp.ThisUpdate, &st.ThisUpdate}, {resp.NextUpdate, &st.NextUpdate}} {
		if !p.t.IsZero() {
			t := p.t.UTC()
			*p.dst = &t
		}
	}
	return st
}
