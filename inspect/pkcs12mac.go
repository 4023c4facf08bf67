package inspect

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"unicode/utf16"

	"software.sslmate.com/src/go-pkcs12"
)

// The MAC of a PKCS#12 file, checked here rather than by go-pkcs12 when inspect hands the library
// a rebuilt copy of the file (see pkcs12.go). The derivations check ctx as they go, so an
// interrupted run stops within a fraction of a second instead of when the count runs out.

// kdfCheckEvery is how many iterations a derivation runs between looks at its context.
const kdfCheckEvery = 1 << 14

var (
	oidSHA1DER       = []byte{0x2b, 0x0e, 0x03, 0x02, 0x1a}                         // 1.3.14.3.2.26
	oidSHA256DER     = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01} // 2.16.840.1.101.3.4.2.1
	oidSHA512DER     = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03} // 2.16.840.1.101.3.4.2.3
	oidHMACSHA1DER   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07}       // 1.2.840.113549.2.7
	oidHMACSHA256DER = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09}       // 1.2.840.113549.2.9
	oidHMACSHA512DER = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b}       // 1.2.840.113549.2.11
)

// pkcs12Hash is a digest the PKCS#12 KDF runs on: u is its output size, v its block size.
type pkcs12Hash struct {
	new  func() hash.Hash
	u, v int
}

// macHash is the digest of a classic (non-PBMAC1) PKCS#12 MAC, as go-pkcs12 supports them.
func macHash(oid []byte) (pkcs12Hash, bool) {
	switch {
	case equalBytes(oid, oidSHA1DER):
		return pkcs12Hash{sha1.New, 20, 64}, true
	case equalBytes(oid, oidSHA256DER):
		return pkcs12Hash{sha256.New, 32, 64}, true
	case equalBytes(oid, oidSHA512DER):
		return pkcs12Hash{sha512.New, 64, 128}, true
	}
	return pkcs12Hash{}, false
}

// hmacHash is an HMAC algorithm (as PBKDF2's PRF or PBMAC1's MAC) that go-pkcs12 supports.
func hmacHash(oid []byte) (func() hash.Hash, bool) {
	switch {
	case equalBytes(oid, oidHMACSHA1DER):
		return sha1.New, true
	case equalBytes(oid, oidHMACSHA256DER):
		return sha256.New, true
	case equalBytes(oid, oidHMACSHA512DER):
		return sha512.New, true
	}
	return nil, false
}

// pkcs12KDF is the key derivation of RFC 7292 appendix B.2 (id 1 key, 2 IV, 3 MAC key) over a
// password already in its BMPString form. Like go-pkcs12, a count below 1 hashes once.
func pkcs12KDF(ctx context.Context, h pkcs12Hash, id byte, salt, password []byte, iterations int64, size int) ([]byte, error) {
	fill := func(p []byte) []byte {
		if len(p) == 0 {
			return nil
		}
		n := h.v * ((len(p) + h.v - 1) / h.v)
		out := make([]byte, n)
		for i := range out {
			out[i] = p[i%len(p)]
		}
		return out
	}
	d := make([]byte, h.v)
	for i := range d {
		d[i] = id
	}
	I := append(fill(salt), fill(password)...)
	var out []byte
	for len(out) < size {
		hh := h.new()
		hh.Write(d)
		hh.Write(I)
		a := hh.Sum(nil)
		for j := int64(1); j < iterations; j++ {
			if j%kdfCheckEvery == 0 && ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			hh.Reset()
			hh.Write(a)
			a = hh.Sum(a[:0])
		}
		out = append(out, a...)
		if len(out) >= size {
			break
		}
		// I_j = (I_j + B + 1) mod 2^(8v), B being A repeated to v bytes.
		b := make([]byte, h.v)
		for i := range b {
			b[i] = a[i%len(a)]
		}
		for j := 0; j < len(I); j += h.v {
			carry := 1
			for k := h.v - 1; k >= 0; k-- {
				sum := int(I[j+k]) + int(b[k]) + carry
				I[j+k], carry = byte(sum), sum>>8
			}
		}
	}
	return out[:size], nil
}

// pbkdf2Key is PBKDF2 (RFC 8018 section 5.2) with an HMAC PRF; a count below 1 runs once, as in
// golang.org/x/crypto/pbkdf2, which go-pkcs12 uses.
func pbkdf2Key(ctx context.Context, prf func() hash.Hash, password, salt []byte, iterations int64, size int) ([]byte, error) {
	mac := hmac.New(prf, password)
	var out []byte
	for block := uint32(1); len(out) < size; block++ {
		mac.Reset()
		mac.Write(salt)
		mac.Write(binary.BigEndian.AppendUint32(nil, block))
		u := mac.Sum(nil)
		t := append([]byte(nil), u...)
		for n := int64(2); n <= iterations; n++ {
			if n%kdfCheckEvery == 0 && ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			mac.Reset()
			mac.Write(u)
			u = mac.Sum(u[:0])
			for i := range t {
				t[i] ^= u[i]
			}
		}
		out = append(out, t...)
	}
	return out[:size], nil
}

// errMACMismatch says the MAC did not verify under a password.
var errMACMismatch = errors.New("mac mismatch")

// verifyMAC checks the file's MAC under password (its BMPString form, or nil for go-pkcs12's
// second try at the empty password). It returns errMACMismatch, or a
// pkcs12.NotImplementedError for a MAC go-pkcs12 does not support either.
func (w *pfxWalk) verifyMAC(ctx context.Context, password []byte) error {
	m := w.mac
	var want []byte
	if equalBytes(m.alg, pfxOIDPBMAC1) {
		key, hfn, err := w.pbmac1Key(ctx, password)
		if err != nil {
			return err
		}
		mac := hmac.New(hfn, key)
		mac.Write(w.authSafe)
		want = mac.Sum(nil)
	} else {
		h, ok := macHash(m.alg)
		if !ok {
			return pkcs12.NotImplementedError("MAC digest algorithm not supported")
		}
		key, err := pkcs12KDF(ctx, h, 3, m.salt, password, m.iterations, h.u)
		if err != nil {
			return err
		}
		mac := hmac.New(h.new, key)
		mac.Write(w.authSafe)
		want = mac.Sum(nil)
	}
	if !hmac.Equal(m.digest, want) {
		return errMACMismatch
	}
	return nil
}

// pbmac1Key derives PBMAC1's key (RFC 9579), from the password as UTF-8 like go-pkcs12 does.
func (w *pfxWalk) pbmac1Key(ctx context.Context, bmpPassword []byte) ([]byte, func() hash.Hash, error) {
	p, err := parsePBMAC1(w.mac.algParams)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, pkcs12.NotImplementedError("PBMAC1 KDF algorithm is not supported")
	}
	if p.salt&0x1f != 0x04 { // go-pkcs12 looks only at the tag number
		return nil, nil, pkcs12.NotImplementedError("only octet string salts are supported for PBMAC1/PBKDF2")
	}
	prf := sha1.New
	if p.prfSet {
		var ok bool
		if prf, ok = hmacHash(p.prf); !ok {
			return nil, nil, pkcs12.NotImplementedError("PBMAC1 PRF is not supported")
		}
	}
	hfn, ok := hmacHash(p.macAlg)
	if !ok {
		return nil, nil, pkcs12.NotImplementedError("PBMAC1 MAC algorithm is not supported")
	}
	if p.keyLength <= 0 {
		return nil, nil, errors.New("pkcs12: PBMAC1 requires explicit KeyLength parameter in PBKDF2 parameters")
	}
	key, err := pbkdf2Key(ctx, prf, []byte(bmpToUTF8(bmpPassword)), p.saltBytes, p.iterations, int(p.keyLength))
	return key, hfn, err
}

// bmpPassword is a password as the PKCS#12 KDF takes it: UCS-2, big-endian, with a terminating
// zero, which is what go-pkcs12 derives from its string argument.
func bmpPassword(s string) ([]byte, error) {
	out := make([]byte, 0, 2*len(s)+2)
	for _, r := range s {
		if r1, _ := utf16.EncodeRune(r); r1 != 0xfffd {
			return nil, errors.New("pkcs12: string contains characters that cannot be encoded in UCS-2")
		}
		out = append(out, byte(r>>8), byte(r))
	}
	return append(out, 0, 0), nil
}

// bmpToUTF8 reverses bmpPassword (the terminator is optional).
func bmpToUTF8(b []byte) string {
	if n := len(b); n >= 2 && b[n-1] == 0 && b[n-2] == 0 {
		b = b[:n-2]
	}
	u := make([]uint16, 0, len(b)/2)
	for ; len(b) >= 2; b = b[2:] {
		u = append(u, uint16(b[0])<<8|uint16(b[1]))
	}
	return string(utf16.Decode(u))
}

// pkcs12MAC is the MAC inspect puts on its rebuilt copy: HMAC-SHA-256 with one iteration, which
// go-pkcs12 checks in microseconds. It authenticates nothing (inspect checked the file's own MAC
// first); it is there because go-pkcs12 only takes a password together with a MAC.
func pkcs12MAC(content, salt, password []byte) []byte {
	h := pkcs12Hash{sha256.New, 32, 64}
	key, _ := pkcs12KDF(context.Background(), h, 3, salt, password, 1, h.u)
	mac := hmac.New(sha256.New, key)
	mac.Write(content)
	return mac.Sum(nil)
}
