package revocation

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// CRLResult is a CRL judged for one certificate.
type CRLResult struct {
	// Status is good (the CRL covers the certificate and does not list it), revoked, or
	// invalid when the CRL cannot be relied on for this certificate (Error says why).
	Status           string     `json:"status"`
	ThisUpdate       *time.Time `json:"this_update,omitempty"`
	NextUpdate       *time.Time `json:"next_update,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevocationReason string     `json:"revocation_reason,omitempty"`
	// Number is the CRL's cRLNumber, in hex.
	Number string `json:"crl_number,omitempty"`
	Error  string `json:"error,omitempty"`
}

var (
	oidCRLNumber         = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidIssuingDP         = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidAuthorityKeyID    = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidFreshestCRL       = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidReasonCode        = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidInvalidityDate    = asn1.ObjectIdentifier{2, 5, 29, 24}
)

// removeFromCRL un-revokes in a delta CRL (RFC 5280 §5.3.1); in a complete CRL it means the
// certificate is not revoked.
const removeFromCRL = 8

// JudgeCRL checks that crl may speak for cert, as RFC 5280 §6.3.3 says, and looks the serial
// up: the CRL is issued and signed by the certificate's issuer (indirect CRLs are not
// supported), is current (thisUpdate <= now <= nextUpdate within Skew), is a complete CRL
// (not a delta) with no critical extension tlskit does not understand, and its issuing
// distribution point covers the certificate: a partition names one of the certificate's own
// distribution points, and a CRL of only end-entity (or only CA) certificates covers only those.
func JudgeCRL(c *CRL, cert, issuer *x509.Certificate, now time.Time) CRLResult {
	crl := c.Header
	res := CRLResult{}
	if t := crl.ThisUpdate; !t.IsZero() {
		t = t.UTC()
		res.ThisUpdate = &t
	}
	if t := crl.NextUpdate; !t.IsZero() {
		t = t.UTC()
		res.NextUpdate = &t
	}
	if crl.Number != nil {
		res.Number = fmt.Sprintf("%X", crl.Number)
	}
	if err := checkCRL(crl, cert, issuer, now); err != nil {
		res.Status, res.Error = StatusInvalid, err.Error()
		return res
	}
	if c.entryCritical != nil {
		res.Status, res.Error = StatusInvalid, fmt.Sprintf("an entry has a critical extension tlskit does not understand (%v), so the CRL cannot be used (RFC 5280 §5.3)", c.entryCritical)
		return res
	}
	e, err := c.Lookup(cert.SerialNumber)
	switch {
	case err != nil:
		res.Status, res.Error = StatusInvalid, fmt.Sprintf("its entry for this serial cannot be read: %v", err)
		return res
	case e == nil || (e.HasReason && e.ReasonCode == removeFromCRL):
		res.Status = StatusGood
		return res
	}
	res.Status = StatusRevoked
	t := e.RevocationTime.UTC()
	res.RevokedAt = &t
	if e.HasReason {
		res.RevocationReason = ReasonName(e.ReasonCode)
	}
	return res
}

func checkCRL(crl *x509.RevocationList, cert, issuer *x509.Certificate, now time.Time) error {
	if issuer == nil {
		return errors.New("its signature cannot be checked: the issuer's certificate was neither sent nor trusted")
	}
	if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
		return fmt.Errorf("it is issued by %s, not by the certificate's issuer %q (indirect CRLs are not supported)", describeName(crl.RawIssuer), dn.Issuer(cert))
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("its signature does not verify with the issuer %q's key: %v", dn.Subject(issuer), err)
	}
	if crl.ThisUpdate.After(now.Add(Skew)) {
		return fmt.Errorf("its thisUpdate %s is in the future", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if !crl.NextUpdate.IsZero() && crl.NextUpdate.Before(now.Add(-Skew)) {
		return fmt.Errorf("it expired: its nextUpdate was %s", crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	for _, ext := range crl.Extensions {
		switch {
		case ext.Id.Equal(oidDeltaCRLIndicator):
			return errors.New("it is a delta CRL, which lists changes to a base CRL and cannot be judged alone")
		case ext.Id.Equal(oidIssuingDP):
			if err := checkIssuingDP(ext.Value, cert); err != nil {
				return err
			}
		case ext.Critical && !ext.Id.Equal(oidCRLNumber) && !ext.Id.Equal(oidAuthorityKeyID) && !ext.Id.Equal(oidFreshestCRL):
			return fmt.Errorf("it has a critical extension tlskit does not understand (%v)", ext.Id)
		}
	}
	return nil
}

// issuingDP is what an issuing distribution point extension says (RFC 5280 §5.2.5).
type issuingDP struct {
	fullNameURIs    []string
	hasDPName       bool
	onlyUser        bool
	onlyCA          bool
	onlySomeReasons bool
	indirect        bool
	onlyAttribute   bool
}

func parseIssuingDP(der []byte) (issuingDP, error) {
	var idp issuingDP
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return idp, errors.New("malformed issuing distribution point")
	}
	var dpName cryptobyte.String
	var present bool
	if !seq.ReadOptionalASN1(&dpName, &present, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return idp, errors.New("malformed issuing distribution point")
	}
	if present {
		idp.hasDPName = true
		var full cryptobyte.String
		var isFull bool
		if !dpName.ReadOptionalASN1(&full, &isFull, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return idp, errors.New("malformed distribution point name")
		}
		for isFull && !full.Empty() {
			var name cryptobyte.String
			var tag cbasn1.Tag
			if !full.ReadAnyASN1(&name, &tag) {
				return idp, errors.New("malformed distribution point name")
			}
			if tag == cbasn1.Tag(6).ContextSpecific() { // uniformResourceIdentifier
				idp.fullNameURIs = append(idp.fullNameURIs, string(name))
			}
		}
	}
	readBool := func(tag int, dst *bool) bool {
		var v cryptobyte.String
		var ok bool
		if !seq.ReadOptionalASN1(&v, &ok, cbasn1.Tag(tag).ContextSpecific()) {
			return false
		}
		*dst = ok && len(v) == 1 && v[0] != 0
		return true
	}
	var reasons cryptobyte.String
	if !readBool(1, &idp.onlyUser) || !readBool(2, &idp.onlyCA) ||
		!seq.ReadOptionalASN1(&reasons, &idp.onlySomeReasons, cbasn1.Tag(3).ContextSpecific()) ||
		!readBool(4, &idp.indirect) || !readBool(5, &idp.onlyAttribute) || !seq.Empty() {
		return idp, errors.New("malformed issuing distribution point")
	}
	return idp, nil
}

// checkIssuingDP decides whether a CRL's scope covers cert.
func checkIssuingDP(der []byte, cert *x509.Certificate) error {
	idp, err := parseIssuingDP(der)
	if err != nil {
		return fmt.Errorf("its issuing distribution point cannot be read: %v", err)
	}
	switch {
	case idp.indirect:
		return errors.New("it is an indirect CRL, which tlskit does not support")
	case idp.onlyAttribute:
		return errors.New("it covers only attribute certificates")
	case idp.onlyUser && cert.IsCA:
		return errors.New("it covers only end-entity certificates, and this is a CA certificate")
	case idp.onlyCA && !cert.IsCA:
		return errors.New("it covers only CA certificates, and this is an end-entity certificate")
	case idp.onlySomeReasons:
		return errors.New("it covers only some revocation reasons, so it cannot show that the certificate is not revoked")
	}
	if idp.hasDPName {
		if len(idp.fullNameURIs) == 0 {
			return errors.New("its distribution point is named relative to its issuer, which tlskit does not support")
		}
		if !slices.ContainsFunc(idp.fullNameURIs, func(u string) bool { return slices.Contains(cert.CRLDistributionPoints, u) }) {
			return fmt.Errorf("it is the partition for %s, which is not one of the certificate's distribution points (%s)",
				idp.fullNameURIs[0], listOrNone(cert.CRLDistributionPoints))
		}
	}
	return nil
}

func listOrNone(list []string) string {
	if len(list) == 0 {
		return "it names none"
	}
	out := list[0]
	for _, s := range list[1:] {
		out += ", " + s
	}
	return out
}
