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
	// entryCritical is a critical entry extension tlskit does not understand, on any entry.
	entryCritical asn1.ObjectIdentifier
}

// RevokedEntry is a CRL entry, decoded.
type RevokedEntry struct {
	RevocationTime time.Time
	// ReasonCode is set (with HasReason) when the entry gives a reason.
	ReasonCode int
	HasReason  bool
	Extensions []pkix.Extension
}

// ParseCRL reads one CRL, PEM ("X509 CRL") or DER; a file of several is an error (ParseCRLs
// reads those).
func ParseCRL(data []byte) (*CRL, error) {
	crls, err := ParseCRLs(data)
	if err != nil {
		return nil, err
	}
	if len(crls) > 1 {
		return nil, fmt.Errorf("%d CRLs where one was expected", len(crls))
	}
	return crls[0], nil
}

// ParseCRLs reads every CRL of a file: DER, or any number of PEM "X509 CRL" blocks (with text
// around them, as `openssl crl -text` writes). Other PEM blocks are an error, not skipped: a
// file given as CRLs that holds something else is a mistake worth saying.
func ParseCRLs(data []byte) ([]*CRL, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		crl, err := parseCRL(data)
		if err != nil {
			return nil, fmt.Errorf("not a valid CRL: %w", err)
		}
		return []*CRL{crl}, nil
	}
	var out []*CRL
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			return nil, fmt.Errorf("a PEM %q block, not an X509 CRL", block.Type)
		}
		crl, err := parseCRL(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CRL %d: not a valid CRL: %w", len(out)+1, err)
		}
		out = append(out, crl)
	}
	if len(out) == 0 {
		return nil, errors.New("not a valid CRL: malformed PEM")
	}
	return out, nil
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
	if c.Entries, c.entryCritical, err = checkEntries(entries); err != nil {
		return nil, err
	}
	return c, nil
}

// checkEntries reads every entry as crypto/x509 would, so the lazy CRL accepts what it
// accepts and refuses what it refuses: a minimally encoded serial (which Lookup's byte
// comparison relies on), a valid time, well-formed extensions and reason codes. It counts the
// entries and returns the first critical entry extension tlskit does not understand, on any
// entry: RFC 5280 §5.3 says such a CRL must not be used at all.
func checkEntries(entries cryptobyte.String) (int, asn1.ObjectIdentifier, error) {
	n := 0
	var unhandled asn1.ObjectIdentifier
	for !entries.Empty() {
		var e, serial cryptobyte.String
		if !entries.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1(&serial, cbasn1.INTEGER) || !minimalInteger(serial) {
			return 0, nil, fmt.Errorf("malformed entry %d", n+1)
		}
		crit, err := checkEntry(e)
		if err != nil {
			return 0, nil, fmt.Errorf("entry %d: %v", n+1, err)
		}
		if unhandled == nil {
			unhandled = crit
		}
		n++
	}
	return n, unhandled, nil
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

// The DER contents of the entry extensions' OIDs that every CA writes.
var (
	derReasonCode     = []byte{0x55, 0x1d, 0x15} // 2.5.29.21
	derInvalidityDate = []byte{0x55, 0x1d, 0x18} // 2.5.29.24
)

// checkEntry checks what parseEntry would read, without allocating for the usual entry (a
// canonical time and a reason code): it runs for every entry of the CRL. It returns the OID of
// a critical extension tlskit does not understand, if the entry has one.
func checkEntry(e cryptobyte.String) (asn1.ObjectIdentifier, error) {
	var t time.Time
	if err := readEntryTime(&e, &t); err != nil {
		return nil, err
	}
	var exts cryptobyte.String
	var present bool
	if !e.ReadOptionalASN1(&exts, &present, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed entry extensions")
	}
	var unhandled asn1.ObjectIdentifier
	for present && !exts.Empty() {
		var ext, oid, val cryptobyte.String
		var critical bool
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1(&oid, cbasn1.OBJECT_IDENTIFIER) {
			return nil, errors.New("malformed entry extension")
		}
		known := bytes.Equal(oid, derReasonCode) || bytes.Equal(oid, derInvalidityDate)
		var id asn1.ObjectIdentifier
		if !known {
			// Decoded only when unusual: crypto/x509 refuses a malformed OID, so must this.
			b := cryptobyte.NewBuilder(nil)
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
			raw := cryptobyte.String(b.BytesOrPanic())
			if !raw.ReadASN1ObjectIdentifier(&id) {
				return nil, errors.New("malformed entry extension")
			}
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) && !ext.ReadASN1Boolean(&critical) {
			return nil, errors.New("malformed entry extension")
		}
		if !ext.ReadASN1(&val, cbasn1.OCTET_STRING) {
			return nil, errors.New("malformed entry extension")
		}
		if !known && critical && unhandled == nil {
			unhandled = id
		}
		if bytes.Equal(oid, derReasonCode) {
			var code int
			if !val.ReadASN1Enum(&code) {
				return nil, errors.New("malformed reason code")
			}
		}
	}
	return unhandled, nil
}

// parseEntry decodes what follows an entry's serial, as crypto/x509 does: its time, and
// optional extensions (what follows them is ignored, as there).
func parseEntry(e cryptobyte.String) (*RevokedEntry, error) {
	var re RevokedEntry
	if err := readEntryTime(&e, &re.RevocationTime); err != nil {
		return nil, err
	}
	var exts cryptobyte.String
	var present bool
	if !e.ReadOptionalASN1(&exts, &present, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed entry extensions")
	}
	for present && !exts.Empty() {
		var ext, val cryptobyte.String
		var ex pkix.Extension
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&ex.Id) {
			return nil, errors.New("malformed entry extension")
		}
		if ext.PeekASN1Tag(cbasn1.BOOLEAN) && !ext.ReadASN1Boolean(&ex.Critical) {
			return nil, errors.New("malformed entry extension")
		}
		if !ext.ReadASN1(&val, cbasn1.OCTET_STRING) {
			return nil, errors.New("malformed entry extension")
		}
		ex.Value = val
		re.Extensions = append(re.Extensions, ex)
		if ex.Id.Equal(oidExtReasonCode) {
			var code int
			if !val.ReadASN1Enum(&code) {
				return nil, errors.New("malformed reason code")
			}
			re.ReasonCode, re.HasReason = code, true
		}
	}
	return &re, nil
}

// readEntryTime reads a revocation date. The canonical forms every CA writes (YYMMDDHHMMSSZ,
// YYYYMMDDHHMMSSZ) are checked by hand, which is several times quicker than cryptobyte's
// parse-and-reformat; anything else goes to cryptobyte, whose answer is crypto/x509's.
func readEntryTime(s *cryptobyte.String, t *time.Time) error {
	for _, f := range []struct {
		tag  cbasn1.Tag
		size int
	}{{cbasn1.UTCTime, 13}, {cbasn1.GeneralizedTime, 15}} {
		if !s.PeekASN1Tag(f.tag) {
			continue
		}
		var peek cryptobyte.String = *s
		var body cryptobyte.String
		if peek.ReadASN1(&body, f.tag) && len(body) == f.size {
			if v, ok := canonicalTime(body, f.tag == cbasn1.UTCTime); ok {
				*t, *s = v, peek
				return nil
			}
		}
		return readTime(s, f.tag, t)
	}
	return errors.New("malformed revocation date")
}

// canonicalTime reads digits and a final Z; ok is false for anything time.Parse would refuse
// (month 13, February 30, hour 24), found by building the time and comparing its fields.
func canonicalTime(b []byte, utc bool) (time.Time, bool) {
	if b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	digits := b[:len(b)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range digits[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	var year, i int
	if utc {
		year, i = num(0, 2), 2
		// RFC 5280 §4.1.2.5.1, as cryptobyte reads it: 50-99 are 1950-1999.
		if year >= 50 {
			year += 1900
		} else {
			year += 2000
		}
	} else {
		year, i = num(0, 4), 4
	}
	mon, day, hour, min, sec := num(i, 2), num(i+2, 2), num(i+4, 2), num(i+6, 2), num(i+8, 2)
	if mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon), day, hour, min, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
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
