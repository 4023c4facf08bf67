package inspect

import (
	"errors"
	"fmt"

	"github.com/tlskit/tlskit/inspect/material"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The PKCS#12 walker reads a PFX (RFC 7292) far enough to find every key derivation go-pkcs12
// would run on it, and checks each one's cost before any of them runs: the MAC (the PKCS#12 KDF,
// or PBKDF2 under PBMAC1, RFC 9579), each encrypted content (PKCS#12 PBE or PBES2/PBKDF2) and each
// shrouded key bag it can see. go-pkcs12 caps none of them, and a count of 4*10^18 in any one is
// a file that never finishes decoding.
//
// It mirrors what go-pkcs12 v0.6.0 parses, element by element, and is never more demanding than
// encoding/asn1 is there (FuzzPKCS12Walk holds it to that): where the library would refuse a
// structure before deriving a key, the walker may be lenient; where the walker cannot read
// something the library would, it refuses the file (it fails closed), because a derivation it
// did not see is one it did not bound.

// maxPBMAC1KeyLength bounds the key PBMAC1 derives (its length is the file's to choose, and PBKDF2
// costs one run of the iterations per hash-sized block): HMAC-SHA-512, the widest MAC go-pkcs12
// offers, takes 64 bytes, and RFC 9579 asks for the MAC's own output size.
const maxPBMAC1KeyLength = 64

// DER contents of the object identifiers the walker compares (encoding/asn1 insists on minimal
// encodings, so comparing bytes is comparing identifiers).
var (
	pfxOIDData             = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01}             // 1.2.840.113549.1.7.1
	pfxOIDEncryptedData    = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06}             // 1.2.840.113549.1.7.6
	pfxOIDKeyBag           = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x01} // 1.2.840.113549.1.12.10.1.1
	pfxOIDShroudedKeyBag   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02} // 1.2.840.113549.1.12.10.1.2
	pfxOIDCertBag          = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x03} // 1.2.840.113549.1.12.10.1.3
	pfxOIDPBEWithSHA3DES   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03}       // 1.2.840.113549.1.12.1.3
	pfxOIDPBEWithSHARC2128 = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x05}       // 1.2.840.113549.1.12.1.5
	pfxOIDPBEWithSHARC240  = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x06}       // 1.2.840.113549.1.12.1.6
	pfxOIDPBES2            = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d}             // 1.2.840.113549.1.5.13
	pfxOIDPBKDF2           = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c}             // 1.2.840.113549.1.5.12
	pfxOIDPBMAC1           = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0e}             // 1.2.840.113549.1.5.14
)

// pfxBagKind is what DecodeChain makes of a safe bag.
type pfxBagKind int

const (
	pfxBagOther pfxBagKind = iota // skipped by DecodeChain (CRL, secret, nested safe contents...)
	pfxBagCert
	pfxBagKey // a keyBag or a pkcs8ShroudedKeyBag: DecodeChain takes the first, refuses a second
)

// pfxBag is one SafeBag of a content that is not encrypted.
type pfxBag struct {
	der  []byte // the whole SafeBag, as in the file
	kind pfxBagKind
}

// pfxContent is one ContentInfo of the AuthenticatedSafe.
type pfxContent struct {
	der       []byte // the whole ContentInfo, as in the file
	encrypted bool   // encryptedData: its bags are out of sight until it is decrypted
	bags      []pfxBag
}

// pfxMAC is the MacData, which go-pkcs12 checks before it decrypts anything.
type pfxMAC struct {
	alg        []byte // the digest algorithm's OID (DER contents), or PBMAC1's
	algParams  []byte // the AlgorithmIdentifier's parameters (a whole element), nil if absent
	digest     []byte
	salt       []byte
	iterations int64
}

// pfxWalk is what the walker found: enough to bound the cost and to rebuild the file.
type pfxWalk struct {
	der      []byte
	limit    int64  // the bound on iteration counts
	authSafe []byte // the AuthenticatedSafe, the bytes the MAC covers
	mac      *pfxMAC
	contents []pfxContent
	// counts is every iteration count checked, in file order ("MAC", "encrypted content 1",
	// ...): tests compare it with what openssl pkcs12 -info reports.
	counts []pfxCount
}

// pfxCount is one key derivation's iteration count, and where it is in the file.
type pfxCount struct {
	where      string
	iterations int64
}

// errPFXMalformed marks the walker's refusals of structure; the message says where.
var errPFXMalformed = errors.New("malformed")

func pfxMalformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errPFXMalformed, fmt.Sprintf(format, args...))
}

// walkPFX reads der, a PFX whose outer shape Decode has recognised, and checks every key
// derivation in sight against limit (material.MaxKDFIterations; the fuzz test's is lower, so that
// go-pkcs12 can be run on whatever passes). Errors are *material.KDFLimitError or wrap
// errPFXMalformed.
func walkPFX(der []byte, limit int64) (*pfxWalk, error) {
	w := &pfxWalk{der: der, limit: limit}
	in := cryptobyte.String(der)
	var pfx, authSafe cryptobyte.String
	var version int64
	if !in.ReadASN1(&pfx, cbasn1.SEQUENCE) || !in.Empty() ||
		!pfx.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) ||
		!pfx.ReadASN1(&authSafe, cbasn1.SEQUENCE) {
		return nil, pfxMalformed("PFX")
	}
	if pfx.PeekASN1Tag(cbasn1.SEQUENCE) {
		var macData cryptobyte.String
		pfx.ReadASN1(&macData, cbasn1.SEQUENCE)
		mac, err := walkMacData(macData)
		if err != nil {
			return nil, err
		}
		w.mac = mac
	}
	// Anything after MacData is ignored, as encoding/asn1 ignores trailing SEQUENCE elements.

	var ct []byte
	if !authSafe.ReadASN1Bytes(&ct, cbasn1.OBJECT_IDENTIFIER) {
		return nil, pfxMalformed("authSafe content type")
	}
	if !equalBytes(ct, pfxOIDData) {
		// go-pkcs12 reads only password-integrity files (not public-key signed ones).
		return nil, pfxMalformed("authSafe: only password-protected PFX is supported")
	}
	inner, ok := readExplicitValue(&authSafe)
	if !ok {
		return nil, pfxMalformed("authSafe content")
	}
	// go-pkcs12 takes the contents of whatever single element is there (an OCTET STRING in
	// every file but a hostile one).
	el, rest, ok := readAnyElement(inner)
	if !ok || len(rest) != 0 {
		return nil, pfxMalformed("authSafe content")
	}
	w.authSafe = el.contents

	if err := w.costOfMAC(); err != nil {
		return nil, err
	}

	seqOf := cryptobyte.String(w.authSafe)
	var infos cryptobyte.String
	if !seqOf.ReadASN1(&infos, cbasn1.SEQUENCE) || !seqOf.Empty() {
		return nil, pfxMalformed("AuthenticatedSafe")
	}
	for n := 1; !infos.Empty(); n++ {
		var full, info cryptobyte.String
		if !infos.ReadASN1Element(&full, cbasn1.SEQUENCE) {
			return nil, pfxMalformed("AuthenticatedSafe content %d", n)
		}
		outer := full
		outer.ReadASN1(&info, cbasn1.SEQUENCE)
		c, err := w.walkContent(info, n)
		if err != nil {
			return nil, err
		}
		c.der = full
		w.contents = append(w.contents, c)
	}
	return w, nil
}

// walkMacData reads MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations
// INTEGER DEFAULT 1 }.
func walkMacData(s cryptobyte.String) (*pfxMAC, error) {
	var digestInfo, algID cryptobyte.String
	m := &pfxMAC{iterations: 1}
	if !s.ReadASN1(&digestInfo, cbasn1.SEQUENCE) ||
		!digestInfo.ReadASN1(&algID, cbasn1.SEQUENCE) ||
		!algID.ReadASN1Bytes(&m.alg, cbasn1.OBJECT_IDENTIFIER) ||
		!digestInfo.ReadASN1Bytes(&m.digest, cbasn1.OCTET_STRING) ||
		!s.ReadASN1Bytes(&m.salt, cbasn1.OCTET_STRING) {
		return nil, pfxMalformed("MacData")
	}
	if !algID.Empty() {
		el, _, ok := readAnyElement(algID)
		if !ok {
			return nil, pfxMalformed("MAC algorithm parameters")
		}
		m.algParams = el.full
	}
	if s.PeekASN1Tag(cbasn1.INTEGER) && !s.ReadASN1Int64WithTag(&m.iterations, cbasn1.INTEGER) {
		return nil, pfxMalformed("MAC iteration count")
	}
	return m, nil
}

// costOfMAC checks the MAC's derivation: PBKDF2 for PBMAC1 (whose parameters replace MacData's
// salt and iterations), the PKCS#12 KDF otherwise.
func (w *pfxWalk) costOfMAC() error {
	m := w.mac
	if m == nil {
		return nil
	}
	if !equalBytes(m.alg, pfxOIDPBMAC1) {
		return w.checkIterations("MAC", m.iterations)
	}
	p, err := parsePBMAC1(m.algParams)
	if err != nil || p == nil {
		return err
	}
	if err := w.checkIterations("PBMAC1", p.iterations); err != nil {
		return err
	}
	if p.keyLength > maxPBMAC1KeyLength {
		return &material.KDFLimitError{Where: "PBMAC1", What: "key length", Value: p.keyLength, Limit: maxPBMAC1KeyLength}
	}
	return nil
}

// walkContent reads one ContentInfo of the AuthenticatedSafe (the n-th, from 1).
func (w *pfxWalk) walkContent(info cryptobyte.String, n int) (pfxContent, error) {
	var c pfxContent
	var ct []byte
	if !info.ReadASN1Bytes(&ct, cbasn1.OBJECT_IDENTIFIER) {
		return c, pfxMalformed("content %d: content type", n)
	}
	inner, ok := readExplicitValue(&info)
	if !ok {
		return c, pfxMalformed("content %d", n)
	}
	s := cryptobyte.String(inner)
	switch {
	case equalBytes(ct, pfxOIDData):
		var safeContents []byte
		if !s.ReadASN1Bytes(&safeContents, cbasn1.OCTET_STRING) || !s.Empty() {
			return c, pfxMalformed("content %d: data", n)
		}
		bags, err := w.walkSafeContents(safeContents, n)
		if err != nil {
			return c, err
		}
		c.bags = bags
	case equalBytes(ct, pfxOIDEncryptedData):
		// EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo SEQUENCE {
		//   contentType OID, contentEncryptionAlgorithm AlgorithmIdentifier, [0] ... } }
		var ed, eci, alg cryptobyte.String
		var version int64
		if !s.ReadASN1(&ed, cbasn1.SEQUENCE) || !s.Empty() ||
			!ed.ReadASN1Int64WithTag(&version, cbasn1.INTEGER) ||
			!ed.ReadASN1(&eci, cbasn1.SEQUENCE) ||
			!eci.SkipASN1(cbasn1.OBJECT_IDENTIFIER) ||
			!eci.ReadASN1(&alg, cbasn1.SEQUENCE) {
			return c, pfxMalformed("content %d: encryptedData", n)
		}
		if err := w.costOfEncryption(alg, fmt.Sprintf("encrypted content %d", n)); err != nil {
			return c, err
		}
		c.encrypted = true
	default:
		return c, pfxMalformed("content %d: only data and encryptedData contents are supported", n)
	}
	return c, nil
}

// walkSafeContents reads SafeContents ::= SEQUENCE OF SafeBag, SafeBag ::= SEQUENCE { bagId OID,
// bagValue [0] EXPLICIT ANY, bagAttributes SET OF ... OPTIONAL }, and checks each shrouded key.
func (w *pfxWalk) walkSafeContents(der []byte, n int) ([]pfxBag, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, pfxMalformed("content %d: SafeContents", n)
	}
	var bags []pfxBag
	for m := 1; !seq.Empty(); m++ {
		var full cryptobyte.String
		if !seq.ReadASN1Element(&full, cbasn1.SEQUENCE) {
			return nil, pfxMalformed("content %d: bag %d", n, m)
		}
		outer, bag := full, cryptobyte.String(nil)
		var id []byte
		outer.ReadASN1(&bag, cbasn1.SEQUENCE)
		if !bag.ReadASN1Bytes(&id, cbasn1.OBJECT_IDENTIFIER) {
			return nil, pfxMalformed("content %d: bag %d: bag type", n, m)
		}
		value, ok := readExplicitValue(&bag)
		if !ok {
			return nil, pfxMalformed("content %d: bag %d: bag value", n, m)
		}
		b := pfxBag{der: full}
		switch {
		case equalBytes(id, pfxOIDCertBag):
			b.kind = pfxBagCert
		case equalBytes(id, pfxOIDKeyBag):
			b.kind = pfxBagKey
		case equalBytes(id, pfxOIDShroudedKeyBag):
			b.kind = pfxBagKey
			// EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier,
			// encryptedData OCTET STRING }
			v := cryptobyte.String(value)
			var epki, alg cryptobyte.String
			if v.ReadASN1(&epki, cbasn1.SEQUENCE) && epki.ReadASN1(&alg, cbasn1.SEQUENCE) {
				if err := w.costOfEncryption(alg, fmt.Sprintf("shrouded key bag %d in content %d", m, n)); err != nil {
					return nil, err
				}
			}
			// Otherwise go-pkcs12 cannot read the bag either, and refuses it before decrypting.
		}
		bags = append(bags, b)
	}
	return bags, nil
}

// costOfEncryption checks the derivation behind the contents of an AlgorithmIdentifier that
// go-pkcs12 decrypts with: the PKCS#12 PBE schemes or PBES2 with PBKDF2. Any other algorithm
// go-pkcs12 refuses before deriving anything.
func (w *pfxWalk) costOfEncryption(alg cryptobyte.String, where string) error {
	var oid []byte
	if !alg.ReadASN1Bytes(&oid, cbasn1.OBJECT_IDENTIFIER) {
		return pfxMalformed("%s: algorithm", where)
	}
	switch {
	case equalBytes(oid, pfxOIDPBEWithSHA3DES), equalBytes(oid, pfxOIDPBEWithSHARC2128), equalBytes(oid, pfxOIDPBEWithSHARC240):
		// pbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
		var params cryptobyte.String
		var iterations int64
		if !alg.ReadASN1(&params, cbasn1.SEQUENCE) || !skipAnyElement(&params) ||
			!params.ReadASN1Int64WithTag(&iterations, cbasn1.INTEGER) {
			return pfxMalformed("%s: PBE parameters", where)
		}
		return w.checkIterations(where, iterations)
	case equalBytes(oid, pfxOIDPBES2):
		// PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme ... }
		var params, kdf cryptobyte.String
		var kdfOID []byte
		if !alg.ReadASN1(&params, cbasn1.SEQUENCE) || !params.ReadASN1(&kdf, cbasn1.SEQUENCE) ||
			!kdf.ReadASN1Bytes(&kdfOID, cbasn1.OBJECT_IDENTIFIER) {
			return pfxMalformed("%s: PBES2 parameters", where)
		}
		if !equalBytes(kdfOID, pfxOIDPBKDF2) {
			return nil
		}
		p, ok := parsePBKDF2Params(kdf)
		if !ok {
			return pfxMalformed("%s: PBKDF2 parameters", where)
		}
		return w.checkIterations(where, p.iterations)
	}
	return nil
}

// pbkdf2Params is what the walker reads of PBKDF2-params ::= SEQUENCE { salt CHOICE {...},
// iterationCount INTEGER, keyLength INTEGER OPTIONAL, prf AlgorithmIdentifier DEFAULT sha1 }.
type pbkdf2Params struct {
	salt       cbasn1.Tag // the salt's tag byte; go-pkcs12 wants OCTET STRING
	saltBytes  []byte
	iterations int64
	keyLength  int64 // 0 when absent
	prf        []byte
	prfSet     bool
}

// parsePBKDF2Params reads the parameters that follow PBKDF2's OID in s.
func parsePBKDF2Params(s cryptobyte.String) (*pbkdf2Params, bool) {
	var params cryptobyte.String
	if !s.ReadASN1(&params, cbasn1.SEQUENCE) {
		return nil, false
	}
	p := &pbkdf2Params{}
	el, rest, ok := readAnyElement(params)
	if !ok {
		return nil, false
	}
	p.salt, p.saltBytes = el.tag, el.contents
	params = rest
	if !params.ReadASN1Int64WithTag(&p.iterations, cbasn1.INTEGER) {
		return nil, false
	}
	if params.PeekASN1Tag(cbasn1.INTEGER) && !params.ReadASN1Int64WithTag(&p.keyLength, cbasn1.INTEGER) {
		return nil, false
	}
	if params.PeekASN1Tag(cbasn1.SEQUENCE) {
		var prf cryptobyte.String
		params.ReadASN1(&prf, cbasn1.SEQUENCE)
		if !prf.ReadASN1Bytes(&p.prf, cbasn1.OBJECT_IDENTIFIER) {
			return nil, false
		}
		p.prfSet = true
	}
	return p, true
}

// pbmac1Params is PBMAC1-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,
// messageAuthScheme AlgorithmIdentifier } with PBKDF2 as the derivation.
type pbmac1Params struct {
	*pbkdf2Params
	macAlg []byte
}

// parsePBMAC1 reads PBMAC1's parameters (a whole element). It returns nil, nil when the
// derivation is not PBKDF2, which go-pkcs12 refuses without deriving anything.
func parsePBMAC1(der []byte) (*pbmac1Params, error) {
	in := cryptobyte.String(der)
	var params, kdf, mac cryptobyte.String
	var kdfOID, macOID []byte
	if !in.ReadASN1(&params, cbasn1.SEQUENCE) || !params.ReadASN1(&kdf, cbasn1.SEQUENCE) ||
		!kdf.ReadASN1Bytes(&kdfOID, cbasn1.OBJECT_IDENTIFIER) {
		return nil, pfxMalformed("PBMAC1 parameters")
	}
	if !equalBytes(kdfOID, pfxOIDPBKDF2) {
		return nil, nil
	}
	p, ok := parsePBKDF2Params(kdf)
	if !ok {
		return nil, pfxMalformed("PBMAC1 PBKDF2 parameters")
	}
	if !params.ReadASN1(&mac, cbasn1.SEQUENCE) || !mac.ReadASN1Bytes(&macOID, cbasn1.OBJECT_IDENTIFIER) {
		return nil, pfxMalformed("PBMAC1 parameters")
	}
	return &pbmac1Params{pbkdf2Params: p, macAlg: macOID}, nil
}

// checkIterations records a derivation's count and refuses it over the limit.
func (w *pfxWalk) checkIterations(where string, n int64) error {
	w.counts = append(w.counts, pfxCount{where, n})
	if n > w.limit {
		return &material.KDFLimitError{Where: where, What: "iteration count", Value: n, Limit: w.limit}
	}
	return nil
}

// readExplicitValue reads `[0] EXPLICIT ANY` as encoding/asn1 does for a RawValue field: a [0]
// that is constructed (or empty), whose contents are returned; ok is false when it is absent.
func readExplicitValue(s *cryptobyte.String) ([]byte, bool) {
	var v cryptobyte.String
	switch {
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()):
		s.ReadASN1(&v, cbasn1.Tag(0).ContextSpecific().Constructed())
	case s.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific()):
		// encoding/asn1 takes a primitive [0] too, when it is empty.
		if !s.ReadASN1(&v, cbasn1.Tag(0).ContextSpecific()) || len(v) != 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	return v, true
}

// derElement is one TLV as encoding/asn1 reads it.
type derElement struct {
	tag      cbasn1.Tag // the identifier byte (for the high-tag-number form, its first byte)
	contents []byte
	full     []byte
}

// readAnyElement reads one element of any tag, as encoding/asn1 does for an ANY (RawValue)
// field: unlike cryptobyte it takes the high-tag-number form, which such a field accepts.
func readAnyElement(b []byte) (derElement, []byte, bool) {
	if len(b) < 2 {
		return derElement{}, nil, false
	}
	i := 1
	if b[0]&0x1f == 0x1f {
		// Base-128 tag number, minimal, below 2^31, and at least 31.
		var n int64
		for start := i; ; i++ {
			if i >= len(b) || i-start >= 5 || (i == start && b[i] == 0x80) {
				return derElement{}, nil, false
			}
			n = n<<7 | int64(b[i]&0x7f)
			if b[i]&0x80 == 0 {
				i++
				break
			}
		}
		if n < 0x1f || n > 1<<31-1 {
			return derElement{}, nil, false
		}
	}
	if i >= len(b) {
		return derElement{}, nil, false
	}
	l := int(b[i])
	i++
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 4 || i+k > len(b) {
			return derElement{}, nil, false
		}
		l = 0
		for j := 0; j < k; j++ {
			if l == 0 && b[i+j] == 0 {
				return derElement{}, nil, false // superfluous leading zero
			}
			l = l<<8 | int(b[i+j])
		}
		i += k
		if l < 0x80 || l >= 1<<31 {
			return derElement{}, nil, false
		}
	}
	if l > len(b)-i {
		return derElement{}, nil, false
	}
	return derElement{tag: cbasn1.Tag(b[0]), contents: b[i : i+l], full: b[:i+l]}, b[i+l:], true
}

func skipAnyElement(s *cryptobyte.String) bool {
	_, rest, ok := readAnyElement(*s)
	if ok {
		*s = rest
	}
	return ok
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }
