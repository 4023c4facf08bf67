package revocation

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CRL is a parsed CRL whose entries are read only when looked up. crypto/x509 decodes every
// entry (two time parses and a big.Int each), which for a 20 000-entry CRL costs about 70 ms;
// judging one certificate needs one entry. So the header (issuer, dates, extensions, signature
// algorithm) is decoded by crypto/x509 from a copy of the CRL without its entries, the
// signature is checked over the original bytes, and the entries stay raw until Lookup walks them
// comparing serials as bytes.
type CRL struct {
	// Header is the CRL as crypto/x509 decodes it, but with no entries: RawTBSRevocationList,
	// Raw and Signature are the original CRL's, so CheckSignatureFrom checks the real thing.
	Header *x509.RevocationList
	// entries is the revokedCertificates SEQUENCE's contents.
	entries cryptobyte.String
	// Entries is how many certificates the CRL lists.
	Entries int
}

// RevokedEntry is a CRL entry, decoded.
type RevokedEntry struct {
	RevocationTime time.Time
	// ReasonCode is set (with HasReason) when the entry gives a reason.
	ReasonCode int
	HasReason  bool
	Extensions []pkix.Extension
}

// ParseCRL reads one CRL, PEM ("X509 CRL") or DER, checking the structure of every entry.
func ParseCRL(data []byte) (*CRL, error) {
	der := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(bytes.TrimLeft(der, " \t\r\n"), []byte("-----BEGIN")) {
		block, _ := pem.Decode(der)
		if block == nil {
			return nil, errors.New("not a valid CRL: malformed PEM")
		}
		if block.Type != "X509 CRL" {
			return nil, fmt.Errorf("a PEM %q block, not an X509 CRL", block.Type)
		}
		der = block.Bytes
	}
	crl, err := parseCRL(der)
	if err != nil {
		return nil, fmt.Errorf("not a valid CRL: %w", err)
	}
	return crl, nil
}

func parseCRL(der []byte) (*CRL, error) {
	// Bytes after the signature, or after the list, are ignored as crypto/x509 ignores them:
	// the signature covers only the tbsCertList.
	in := cryptobyte.String(der)
	var raw, list, tbs, sigAlg cryptobyte.String
	var rawTBS cryptobyte.String
	var sig asn1.BitString
	if !in.ReadASN1Element(&raw, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed certificate list")
	}
	list = raw
	if !list.ReadASN1(&list, cbasn1.SEQUENCE) || !list.ReadASN1Element(&rawTBS, cbasn1.SEQUENCE) ||
		!list.ReadASN1Element(&sigAlg, cbasn1.SEQUENCE) || !list.ReadASN1BitString(&sig) {
		return nil, errors.New("malformed certificate list")
	}
	tbsCopy := rawTBS
	if !tbsCopy.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed tbsCertList")
	}
	// version INTEGER OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL,
	// revokedCertificates SEQUENCE OPTIONAL, crlExtensions [0] EXPLICIT OPTIONAL; read in
	// order as crypto/x509 reads them (which ignores what follows). All but the entries go into
	// the header copy.
	var head cryptobyte.Builder
	var entries cryptobyte.String
	var hdr []byte
	take := func(tag cbasn1.Tag, required bool) bool {
		if !tbs.PeekASN1Tag(tag) {
			return !required
		}
		var el cryptobyte.String
		if !tbs.ReadASN1Element(&el, tag) {
			return false
		}
		hdr = append(hdr, el...)
		return true
	}
	takeTime := func(required bool) bool {
		if tbs.PeekASN1Tag(cbasn1.GeneralizedTime) {
			return take(cbasn1.GeneralizedTime, true)
		}
		return take(cbasn1.UTCTime, required)
	}
	if !take(cbasn1.INTEGER, false) || !take(cbasn1.SEQUENCE, true) || !take(cbasn1.SEQUENCE, true) ||
		!takeTime(true) || !takeTime(false) {
		return nil, errors.New("malformed tbsCertList")
	}
	if tbs.PeekASN1Tag(cbasn1.SEQUENCE) && !tbs.ReadASN1(&entries, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed revoked certificates")
	}
	if !take(cbasn1.Tag(0).Constructed().ContextSpecific(), false) {
		return nil, errors.New("malformed extensions")
	}
	head.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(hdr) })
		b.AddBytes(sigAlg)
		b.AddASN1BitString(sig.Bytes)
	})
	headDER, err := head.Bytes()
	if err != nil {
		return nil, err
	}
	header, err := x509.ParseRevocationList(headDER)
	if err != nil {
		return nil, errors.New(trimX509(err.Error()))
	}
	header.Raw = raw
	header.RawTBSRevocationList = rawTBS
	c := &CRL{Header: header, entries: entries}
	if c.Entries, err = countEntries(entries); err != nil {
		return nil, err
	}
	return c, nil
}

// countEntries checks that each entry is a SEQUENCE holding a minimally encoded INTEGER (as DER
// requires, and as Lookup's byte comparison relies on) and a time.
func countEntries(entries cryptobyte.String) (int, error) {
	n := 0
	for !entries.Empty() {
		var e, serial cryptobyte.String
		if !entries.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1(&serial, cbasn1.INTEGER) || !minimalInteger(serial) ||
			!(e.PeekASN1Tag(cbasn1.UTCTime) || e.PeekASN1Tag(cbasn1.GeneralizedTime)) {
			return 0, fmt.Errorf("malformed entry %d", n+1)
		}
		n++
	}
	return n, nil
}

// minimalInteger reports whether INTEGER contents are in DER's shortest form.
func minimalInteger(b []byte) bool {
	switch {
	case len(b) == 0:
		return false
	case len(b) == 1:
		return true
	case b[0] == 0x00 && b[1]&0x80 == 0, b[0] == 0xff && b[1]&0x80 != 0:
		return false
	}
	return true
}

// Lookup finds serial's entry, or nil when the CRL does not list it.
func (c *CRL) Lookup(serial *big.Int) (*RevokedEntry, error) {
	want, err := asn1.Marshal(serial)
	if err != nil {
		return nil, err
	}
	entries := c.entries
	for !entries.Empty() {
		var e, raw cryptobyte.String
		if !entries.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1Element(&raw, cbasn1.INTEGER) {
			return nil, errors.New("malformed entry")
		}
		if !bytes.Equal(raw, want) {
			continue
		}
		return parseEntry(e)
	}
	return nil, nil
}

var oidExtReasonCode = asn1.ObjectIdentifier{2, 5, 29, 21}

// parseEntry decodes what follows an entry's serial: its time and extensions.
func parseEntry(e cryptobyte.String) (*RevokedEntry, error) {
	var re RevokedEntry
	var err error
	switch {
	case e.PeekASN1Tag(cbasn1.UTCTime):
		err = readTime(&e, cbasn1.UTCTime, &re.RevocationTime)
	case e.PeekASN1Tag(cbasn1.GeneralizedTime):
		err = readTime(&e, cbasn1.GeneralizedTime, &re.RevocationTime)
	default:
		err = errors.New("malformed revocation date")
	}
	if err != nil {
		return nil, err
	}
	if e.Empty() {
		return &re, nil
	}
	var exts cryptobyte.String
	if !e.ReadASN1(&exts, cbasn1.SEQUENCE) || !e.Empty() {
		return nil, errors.New("malformed entry extensions")
	}
	for !exts.Empty() {
		var ext, val cryptobyte.String
		var ex pkix.Extension
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&ex.Id) ||
			!ext.ReadOptionalASN1Boolean(&ex.Critical, cbasn1.BOOLEAN, false) ||
			!ext.ReadASN1(&val, cbasn1.OCTET_STRING) || !ext.Empty() {
			return nil, errors.New("malformed entry extension")
		}
		ex.Value = val
		re.Extensions = append(re.Extensions, ex)
		if ex.Id.Equal(oidExtReasonCode) {
			var code int
			if !val.ReadASN1Enum(&code) || !val.Empty() {
				return nil, errors.New("malformed reason code")
			}
			re.ReasonCode, re.HasReason = code, true
		}
	}
	return &re, nil
}

func readTime(s *cryptobyte.String, tag cbasn1.Tag, t *time.Time) error {
	var ok bool
	if tag == cbasn1.UTCTime {
		ok = s.ReadASN1UTCTime(t)
	} else {
		ok = s.ReadASN1GeneralizedTime(t)
	}
	if !ok {
		return errors.New("malformed revocation date")
	}
	return nil
}

func trimX509(s string) string {
	return string(bytes.TrimPrefix([]byte(s), []byte("x509: ")))
}
