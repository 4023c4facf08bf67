package certgen

import (
	"crypto"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// OCSPValidity is how long an answer of `tlskit ca serve` may be relied on (its nextUpdate):
// short, since a revocation should reach clients soon, and long enough to be stapled.
const OCSPValidity = time.Hour

// OCSPLogEntry is the log line of `tlskit ca serve` for one request (docs/json.md): when, from
// whom, and what AnswerOCSP answered. Pinned by testdata/ocsp-log.json (TestDocumentsGolden).
type OCSPLogEntry struct {
	Time   time.Time `json:"time"`
	Remote string    `json:"remote"`
	// Answer is AnswerOCSP's status: "good SERIAL", "revoked SERIAL", "malformed request", ...
	Answer string `json:"answer"`
}

// AnswerOCSP answers one DER OCSP request as the CA (RFC 6960), from its revocation database:
// revoked (with time and reason) for a serial the database lists, good for any other serial of
// this CA (there is no record of what it issued, so "good" means "not revoked", as §2.2 allows),
// signed by the CA itself. A request about another CA's certificates gets "unauthorized", a
// malformed one "malformedRequest". The answer's status says which, for the log.
func AnswerOCSP(is Issuer, db RevocationDB, der []byte, now time.Time) (answer []byte, status string) {
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, "malformed request"
	}
	if !revocation.IssuedBy(req.HashAlgorithm, req.IssuerNameHash, req.IssuerKeyHash, is.Cert) {
		return ocsp.UnauthorizedErrorResponse, "unauthorized (another CA's certificate)"
	}
	signer, ok := is.Key.(crypto.Signer)
	if !ok {
		return ocsp.InternalErrorErrorResponse, "internal error (the CA key cannot sign)"
	}
	tmpl := ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: req.SerialNumber,
		ThisUpdate:   now.UTC().Truncate(time.Second),
		NextUpdate:   now.UTC().Truncate(time.Second).Add(OCSPValidity),
	}
	for _, r := range db.Revoked {
		serial, err := ParseSerial(r.Serial)
		if err != nil || serial.Cmp(req.SerialNumber) != 0 {
			continue
		}
		tmpl.Status, tmpl.RevokedAt = ocsp.Revoked, r.RevokedAt
		if reason, err := ParseRevocationReason(r.Reason); err == nil {
			tmpl.RevocationReason = int(reason)
		}
		break
	}
	resp, err := ocsp.CreateResponse(is.Cert, is.Cert, tmpl, signer)
	if err != nil {
		return ocsp.InternalErrorErrorResponse, fmt.Sprintf("internal error (%v)", err)
	}
	status = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked"}[tmpl.Status]
	return resp, status + " " + FormatSerial(req.SerialNumber)
}
