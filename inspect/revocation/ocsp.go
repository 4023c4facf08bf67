package revocation

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Skew is how far thisUpdate may lie in the future, and nextUpdate in the past, before a
// response or CRL is refused: clocks disagree by that much in practice. It is OpenSSL's
// default (`openssl ocsp -validity_period 300`).
const Skew = 5 * time.Minute

// OCSP verdicts. Invalid is a response that failed a check; it says nothing about the
// certificate, so Check turns it into an unknown revocation status.
const (
	StatusGood       = "good"
	StatusRevoked    = "revoked"
	StatusUnknown    = "unknown"
	StatusInvalid    = "invalid"
	StatusNotChecked = "not_checked"
	StatusOff        = "off"
)

// OCSPResult is a judged OCSP response: the JSON of a staple (`ocsp` in handshake's document)
// and the evidence behind an OCSP-sourced revocation status.
type OCSPResult struct {
	// Status is good, revoked, unknown (the responder does not know the certificate), or
	// invalid when the response failed a check (Error says which).
	Status     string     `json:"status"`
	ProducedAt *time.Time `json:"produced_at,omitempty"`
	ThisUpdate *time.Time `json:"this_update,omitempty"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// RevocationReason is RFC 5280's name for the reason, when revoked and one was given.
	RevocationReason string `json:"revocation_reason,omitempty"`
	// Signer says who signed: "issuer" or "delegated responder <subject>".
	Signer string `json:"signer,omitempty"`
	Error  string `json:"error,omitempty"`
}

// OCSPError is why a response was judged invalid.
type OCSPError struct{ Reason string }

func (e *OCSPError) Error() string { return e.Reason }

func invalidf(format string, args ...any) error {
	return &OCSPError{Reason: fmt.Sprintf(format, args...)}
}

// JudgeOCSP checks a DER OCSP response about cert as RFC 6960 §3.2 and §4.2.2.2 require: the
// response is successful; one of its SingleResponses has this certificate's CertID (serial and
// the hashes of its issuer's name and key); it is signed by the issuer itself (whether or not
// the issuer's certificate is embedded) or by a responder certificate the issuer issued for
// id-kp-OCSPSigning, valid now, which the ResponderID names; and thisUpdate <= now <= nextUpdate
// within Skew. issuer may be nil when it is not known, which makes the response invalid: its
// signature cannot be checked.
func JudgeOCSP(der []byte, cert, issuer *x509.Certificate, now time.Time) OCSPResult {
	res, err := judgeOCSP(der, cert, issuer, now)
	if err != nil {
		res.Status = StatusInvalid
		res.Error = err.Error()
	}
	return res
}

func judgeOCSP(der []byte, cert, issuer *x509.Certificate, now time.Time) (OCSPResult, error) {
	var res OCSPResult
	if issuer == nil {
		return res, invalidf("its signature cannot be checked: the issuer's certificate was neither sent nor trusted")
	}
	// x/crypto/ocsp decodes the response (picking the SingleResponse with this serial) and,
	// when a certificate is embedded, checks that the response's signature verifies with it.
	// It is given no issuer: it would take any embedded certificate for a delegated
	// responder, refusing the issuer's own (RFC 6960 allows both), and it matches only the
	// serial. Both checks are made here instead.
	resp, err := ocsp.ParseResponseForCert(der, cert, nil)
	if err != nil {
		var re ocsp.ResponseError
		switch {
		case errors.As(err, &re):
			return res, invalidf("the responder answered %q, not a status", re.Status.String())
		case strings.Contains(err.Error(), "no response matching"):
			if one, perr := ocsp.ParseResponse(der, nil); perr == nil {
				if ids, perr := parseCertIDs(one.TBSResponseData); perr == nil {
					return res, notThisCertificate(ids, cert)
				}
			}
			return res, invalidf("it holds no response for this certificate (serial %s)", serialHex(cert.SerialNumber))
		}
		return res, invalidf("%s", notOCSPResponse(der, err))
	}
	ids, err := parseCertIDs(resp.TBSResponseData)
	if err != nil {
		return res, invalidf("%s", notOCSPResponse(der, err))
	}
	single, err := matchCertID(ids, cert, issuer)
	if err != nil {
		return res, err
	}
	// x/crypto/ocsp's fields describe the first SingleResponse with this serial; they are ours
	// only if that is the one whose issuer hashes matched.
	for _, id := range ids {
		if id.serial.Cmp(cert.SerialNumber) == 0 {
			if id.index != single.index {
				return res, invalidf("it holds several responses for serial %s, and the first is about another issuer's certificate", serialHex(cert.SerialNumber))
			}
			break
		}
	}
	fillTimes(&res, resp)

	signer, err := checkSigner(resp, issuer, now)
	if err != nil {
		return res, err
	}
	res.Signer = signer

	if resp.ThisUpdate.After(now.Add(Skew)) {
		return res, invalidf("its thisUpdate %s is in the future", resp.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(now.Add(-Skew)) {
		return res, invalidf("it expired: its nextUpdate was %s", resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	switch resp.Status {
	case ocsp.Good:
		res.Status = StatusGood
	case ocsp.Revoked:
		res.Status = StatusRevoked
		// x/crypto/ocsp reports an absent reason as 0, unspecified: show only a given one.
		if resp.RevocationReason != ocsp.Unspecified {
			res.RevocationReason = ReasonName(resp.RevocationReason)
		}
	default:
		res.Status = StatusUnknown
	}
	return res, nil
}

func fillTimes(res *OCSPResult, resp *ocsp.Response) {
	for _, p := range []struct {
		t   time.Time
		dst **time.Time
	}{{resp.ProducedAt, &res.ProducedAt}, {resp.ThisUpdate, &res.ThisUpdate}, {resp.NextUpdate, &res.NextUpdate}, {resp.RevokedAt, &res.RevokedAt}} {
		if !p.t.IsZero() {
			t := p.t.UTC()
			*p.dst = &t
		}
	}
}

// checkSigner finds who signed the response and checks that they may: the issuer, or a
// delegated responder that the issuer certified for OCSP signing.
func checkSigner(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) (string, error) {
	embedded := resp.Certificate
	if embedded == nil || sameKey(embedded, issuer) {
		// Signed by the issuer: OpenSSL's `-rsigner CA.pem` embeds the CA's certificate
		// unless told -resp_no_certs; either way the issuer's own key must verify it.
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			if embedded == nil {
				return "", invalidf("it is not signed by the issuer %q (and names no responder certificate)", dn.Subject(issuer))
			}
			return "", invalidf("its signature does not verify with the issuer's key: %v", err)
		}
		if err := checkResponderID(resp, issuer); err != nil {
			return "", err
		}
		return "issuer", nil
	}
	// A delegated responder. ParseResponse has checked that its key signed the response.
	who := dn.Subject(embedded)
	if err := embedded.CheckSignatureFrom(issuer); err != nil {
		return "", invalidf("it is signed by %q, which the issuer %q did not certify", who, dn.Subject(issuer))
	}
	if !hasOCSPSigning(embedded) {
		return "", invalidf("it is signed by %q, whose certificate lacks the OCSP signing extended key usage (id-kp-OCSPSigning)", who)
	}
	if now.Before(embedded.NotBefore) || now.After(embedded.NotAfter) {
		return "", invalidf("its responder certificate %q is not valid now (valid %s to %s)", who,
			embedded.NotBefore.UTC().Format(time.RFC3339), embedded.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := checkResponderID(resp, embedded); err != nil {
		return "", err
	}
	return "delegated responder " + who, nil
}

// checkResponderID checks that the response's ResponderID names the certificate that signed it.
func checkResponderID(resp *ocsp.Response, signer *x509.Certificate) error {
	if len(resp.RawResponderName) > 0 {
		if !bytes.Equal(resp.RawResponderName, signer.RawSubject) {
			return invalidf("its responder ID names %s, not its signer %q", describeName(resp.RawResponderName), dn.Subject(signer))
		}
		return nil
	}
	bits, err := publicKeyBits(signer)
	if err != nil {
		return invalidf("the signer's public key cannot be read: %v", err)
	}
	sum := sha1.Sum(bits)
	if !bytes.Equal(resp.ResponderKeyHash, sum[:]) {
		return invalidf("its responder ID is the hash of another key than its signer's %q", dn.Subject(signer))
	}
	return nil
}

func describeName(raw []byte) string {
	if s, ok := dn.String(raw); ok {
		return fmt.Sprintf("%q", s)
	}
	return "an unreadable name"
}

func hasOCSPSigning(c *x509.Certificate) bool {
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageOCSPSigning {
			return true
		}
	}
	return false
}

func sameKey(a, b *x509.Certificate) bool {
	return bytes.Equal(a.RawSubject, b.RawSubject) && bytes.Equal(a.RawSubjectPublicKeyInfo, b.RawSubjectPublicKeyInfo)
}

// certID is one SingleResponse's CertID (RFC 6960 §4.1.1).
type certID struct {
	index    int
	hash     crypto.Hash // 0 for an algorithm tlskit does not know
	hashOID  asn1.ObjectIdentifier
	nameHash []byte
	keyHash  []byte
	serial   *big.Int
}

var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// parseCertIDs reads the CertIDs of a ResponseData (RFC 6960 §4.2.1), which x/crypto/ocsp
// decodes but does not expose.
func parseCertIDs(tbs []byte) ([]certID, error) {
	in := cryptobyte.String(tbs)
	var data cryptobyte.String
	if !in.ReadASN1(&data, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed response data")
	}
	// version [0] EXPLICIT DEFAULT v1, then responderID: [1] byName or [2] byKey.
	if !data.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!(data.SkipASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) || data.SkipASN1(cbasn1.Tag(2).Constructed().ContextSpecific())) ||
		!data.SkipASN1(cbasn1.GeneralizedTime) {
		return nil, errors.New("malformed response data")
	}
	var responses cryptobyte.String
	if !data.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed list of responses")
	}
	var ids []certID
	for i := 0; !responses.Empty(); i++ {
		var single, id, alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		cid := certID{index: i, serial: new(big.Int)}
		if !responses.ReadASN1(&single, cbasn1.SEQUENCE) ||
			!single.ReadASN1(&id, cbasn1.SEQUENCE) ||
			!id.ReadASN1(&alg, cbasn1.SEQUENCE) ||
			!alg.ReadASN1ObjectIdentifier(&oid) ||
			!id.ReadASN1Bytes(&cid.nameHash, cbasn1.OCTET_STRING) ||
			!id.ReadASN1Bytes(&cid.keyHash, cbasn1.OCTET_STRING) ||
			!id.ReadASN1Integer(cid.serial) {
			return nil, fmt.Errorf("malformed CertID in response %d", i+1)
		}
		cid.hashOID = oid
		for _, h := range hashOIDs {
			if h.oid.Equal(oid) {
				cid.hash = h.hash
			}
		}
		ids = append(ids, cid)
	}
	if len(ids) == 0 {
		return nil, errors.New("it holds no responses")
	}
	return ids, nil
}

// matchCertID finds the SingleResponse about cert: same serial, and hashes of the issuer's
// name and key that match. A response about another certificate is invalid, whatever it says.
func matchCertID(ids []certID, cert, issuer *x509.Certificate) (certID, error) {
	keyBits, err := publicKeyBits(issuer)
	if err != nil {
		return certID{}, invalidf("the issuer's public key cannot be read: %v", err)
	}
	var sameSerial *certID
	for i := range ids {
		id := ids[i]
		if id.serial.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		sameSerial = &ids[i]
		if id.hash == 0 || !id.hash.Available() {
			continue
		}
		if bytes.Equal(id.nameHash, digest(id.hash, cert.RawIssuer)) && bytes.Equal(id.keyHash, digest(id.hash, keyBits)) {
			return id, nil
		}
	}
	if sameSerial != nil {
		if sameSerial.hash == 0 {
			return certID{}, invalidf("its CertID uses a hash algorithm tlskit does not know (%v)", sameSerial.hashOID)
		}
		return certID{}, invalidf("it is for serial %s of another issuer than %q", serialHex(cert.SerialNumber), dn.Subject(issuer))
	}
	return certID{}, notThisCertificate(ids, cert)
}

// notThisCertificate says that a response's CertIDs are all about other certificates.
func notThisCertificate(ids []certID, cert *x509.Certificate) error {
	serials := ""
	for i, id := range ids {
		if i == 3 {
			serials += ", ..."
			break
		}
		if i > 0 {
			serials += ", "
		}
		serials += serialHex(id.serial)
	}
	return invalidf("it is for another certificate (serial %s), not this one (serial %s)", serials, serialHex(cert.SerialNumber))
}

func digest(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

// publicKeyBits is the subjectPublicKey BIT STRING's contents, which RFC 6960 hashes for the
// issuer's key hash and the responder's key ID.
func publicKeyBits(c *x509.Certificate) ([]byte, error) {
	in := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil, errors.New("malformed subject public key info")
	}
	return bits.Bytes, nil
}

func serialHex(n *big.Int) string {
	if n == nil {
		return "?"
	}
	return fmt.Sprintf("%X", n)
}

// notOCSPResponse says why der is not an OCSP response in a user's words: encoding/asn1's
// structure errors name Go types and tags ("tags don't match (16 vs {class:1 ...})"), which
// tell a user nothing; what they need is whether they gave PEM, or something else altogether.
func notOCSPResponse(der []byte, err error) string {
	if bytes.HasPrefix(bytes.TrimSpace(der), []byte("-----BEGIN")) {
		return "not an OCSP response: it is PEM text; a staple is the DER that `openssl ocsp -respout` writes"
	}
	var se asn1.StructuralError
	var sy asn1.SyntaxError
	if errors.As(err, &se) || errors.As(err, &sy) {
		return "not a valid OCSP response: not the DER encoding of an OCSPResponse (RFC 6960)"
	}
	return "not a valid OCSP response: " + err.Error()
}

// CheckStaple decides whether a server may staple der for its certificate leaf: the response
// must pass JudgeOCSP (any status: a valid "revoked" is the truth, and is stapled), or, when
// the server's chain does not hold the issuer (issuer nil), at least be about leaf's serial
// and current, since its signature cannot be checked.
func CheckStaple(der []byte, leaf, issuer *x509.Certificate, now time.Time) (OCSPResult, error) {
	if issuer != nil {
		r := JudgeOCSP(der, leaf, issuer, now)
		if r.Status == StatusInvalid {
			return r, errors.New(r.Error)
		}
		return r, nil
	}
	var res OCSPResult
	resp, err := ocsp.ParseResponse(der, nil)
	if err != nil {
		var re ocsp.ResponseError
		if errors.As(err, &re) {
			return res, fmt.Errorf("the responder answered %q, not a status", re.Status.String())
		}
		return res, errors.New(notOCSPResponse(der, err))
	}
	ids, err := parseCertIDs(resp.TBSResponseData)
	if err != nil {
		return res, errors.New(notOCSPResponse(der, err))
	}
	if !slices.ContainsFunc(ids, func(id certID) bool { return id.serial.Cmp(leaf.SerialNumber) == 0 }) {
		return res, notThisCertificate(ids, leaf)
	}
	if resp, err = ocsp.ParseResponseForCert(der, leaf, nil); err != nil {
		return res, errors.New(notOCSPResponse(der, err))
	}
	fillTimes(&res, resp)
	if !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(now.Add(-Skew)) {
		return res, fmt.Errorf("it expired: its nextUpdate was %s", resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	if resp.ThisUpdate.After(now.Add(Skew)) {
		return res, fmt.Errorf("its thisUpdate %s is in the future", resp.ThisUpdate.UTC().Format(time.RFC3339))
	}
	res.Status = map[int]string{ocsp.Good: StatusGood, ocsp.Revoked: StatusRevoked}[resp.Status]
	if res.Status == "" {
		res.Status = StatusUnknown
	}
	return res, nil
}

// IssuedBy reports whether a CertID's issuer hashes (of the issuer's name and public key, with
// hash h) are issuer's: how a responder knows a request is about its own certificates.
func IssuedBy(h crypto.Hash, nameHash, keyHash []byte, issuer *x509.Certificate) bool {
	if !h.Available() {
		return false
	}
	bits, err := publicKeyBits(issuer)
	return err == nil && bytes.Equal(nameHash, digest(h, issuer.RawSubject)) && bytes.Equal(keyHash, digest(h, bits))
}
