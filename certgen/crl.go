package certgen

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// CRL validity: a week by default, as many CAs publish; at most a year.
const (
	DefaultCRLDays = 7
	MaxCRLDays     = 366
)

// CRLRequest describes a CRL to sign.
type CRLRequest struct {
	// Number is its CRL number; the caller takes it from the CA's revocation database, where it
	// only ever increases.
	Number int64
	Now    time.Time
	Days   int // nextUpdate is Now plus this many days
	// Revoked are the database's entries, each with its reason code.
	Revoked []Revocation
}

// CheckCanSignCRL says whether the issuer may sign CRLs: a CA whose key usage, when present,
// includes cRLSign, and which has a subject key identifier for the CRL's authority key
// identifier (RFC 5280 §5.2.1 requires one).
func CheckCanSignCRL(is Issuer) error {
	if err := is.Validate(); err != nil {
		return err
	}
	if is.Cert.KeyUsage != 0 && is.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return fmt.Errorf("CA certificate %q may not sign CRLs (no cRLSign key usage)", dn.Subject(is.Cert))
	}
	if len(is.Cert.SubjectKeyId) == 0 {
		return fmt.Errorf("CA certificate %q has no subject key identifier, which a CRL's authority key identifier needs", dn.Subject(is.Cert))
	}
	return nil
}

// CreateCRL signs a complete CRL (no issuing distribution point: it covers every certificate the
// CA issued) with thisUpdate now and nextUpdate days later. Each entry keeps its revocation time
// and, unless unspecified (RFC 5280 §5.3.1 says to leave the extension out then), its reason code.
func CreateCRL(random io.Reader, is Issuer, req CRLRequest) (*x509.RevocationList, error) {
	if err := CheckCanSignCRL(is); err != nil {
		return nil, err
	}
	if req.Days < 1 || req.Days > MaxCRLDays {
		return nil, profileErrorf("CRL validity must be 1 to %d days, not %d", MaxCRLDays, req.Days)
	}
	if req.Number < 1 {
		return nil, errors.New("CRL number must be positive")
	}
	entries := make([]x509.RevocationListEntry, 0, len(req.Revoked))
	for _, r := range req.Revoked {
		serial, err := ParseSerial(r.Serial)
		if err != nil {
			return nil, err
		}
		reason, err := ParseRevocationReason(r.Reason)
		if err != nil {
			return nil, err
		}
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber:   serial,
			RevocationTime: r.RevokedAt.UTC(),
			ReasonCode:     int(reason),
		})
	}
	thisUpdate := req.Now.UTC().Truncate(time.Second)
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(req.Number),
		ThisUpdate:                thisUpdate,
		NextUpdate:                thisUpdate.Add(time.Duration(req.Days) * 24 * time.Hour),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(random, tmpl, is.Cert, is.Key)
	if err != nil {
		return nil, fmt.Errorf("signing CRL: %w", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the new CRL: %w", err)
	}
	return crl, nil
}

// EncodeCRLPEM writes a CRL as `openssl crl` reads it.
func EncodeCRLPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// CRLSummary is what `tlskit ca crl` reports (docs/json.md).
type CRLSummary struct {
	Files      []WrittenFile `json:"files"`
	Issuer     string        `json:"issuer"`
	Number     int64         `json:"crl_number"`
	ThisUpdate time.Time     `json:"this_update"`
	NextUpdate time.Time     `json:"next_update"`
	Revoked    int           `json:"revoked"`
	Format     string        `json:"format"`
	Warnings   []string      `json:"warnings"`
}

// SummarizeCRL fills a CRLSummary from a CRL.
func SummarizeCRL(crl *x509.RevocationList, format string) CRLSummary {
	return CRLSummary{
		Issuer:     dn.Of(crl.RawIssuer, crl.Issuer),
		Number:     crl.Number.Int64(),
		ThisUpdate: crl.ThisUpdate.UTC(),
		NextUpdate: crl.NextUpdate.UTC(),
		Revoked:    len(crl.RevokedCertificateEntries),
		Format:     format,
		Files:      []WrittenFile{},
		Warnings:   []string{},
	}
}

// Record lists written files in a summary.
func (s *CRLSummary) Record(files []OutputFile) { s.Files = append(s.Files, writtenFiles(files)...) }
