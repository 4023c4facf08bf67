package inspect

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tlskit/tlskit/inspect/material"
)

// Kind of an item found in input.
type Kind string

// The kinds of item Decode finds.
const (
	KindCertificate        Kind = "certificate"
	KindCertificateRequest Kind = "certificate_request"
	KindPrivateKey         Kind = "private_key"
	KindPublicKey          Kind = "public_key"
	KindCRL                Kind = "crl"
	// KindECHConfigList is an Encrypted Client Hello ECHConfigList (RFC 9849): an ECHCONFIG
	// PEM block, its bytes, base64 of them, or the ech SvcParam of DNS HTTPS records.
	KindECHConfigList Kind = "ech_config_list"
	// KindPKCS12 names a PKCS#12 file in messages; Decode reports what one holds as certificate
	// and private_key items with FromPKCS12 set.
	KindPKCS12 Kind = "pkcs12"
)

// Item is one thing found in the input.
//
// Exactly one of Cert, CSR, PrivateKey or X25519Key (for private keys), PublicKey (for bare public
// keys), CRL and ECH says what the item is; PublicKey is also filled in for certificates, requests
// and private keys, so callers can match keys to certificates (it stays nil for a certificate or
// request whose key algorithm Go does not support). The contents of a PKCS#12 file are reported
// as their certificates (leaf first) and private key, each with the KindCertificate or
// KindPrivateKey kind and PEMType "".
type Item struct {
	Kind Kind
	// Index is the item's position in the input, from 0: for PEM, the number of the block
	// (unknown block types are skipped but keep their number, so the CLI's "block N" is stable);
	// for DER, 0, or for a PKCS#12 file the position of the item within it; for the ech
	// SvcParams of DNS records, the param's number, from 0. It always increases.
	Index      int
	PEMType    string // the PEM block type, "" for DER
	Cert       *x509.Certificate
	CSR        *x509.CertificateRequest
	PrivateKey crypto.Signer // never printed by callers; only described
	// X25519Key is a private key that agrees on secrets and cannot sign (the key of an ECH key
	// file, RFC 9934); PrivateKey is nil then. Never printed by callers; only described.
	X25519Key *ecdh.PrivateKey
	PublicKey crypto.PublicKey
	CRL       *x509.RevocationList
	ECH       *ECHConfigList
	// Encrypted says the private key was encrypted (and was decrypted with the password).
	Encrypted bool
	// FromPKCS12 says the item came out of a PKCS#12 file.
	FromPKCS12 bool
}

// DecodeOptions say how to open protected input.
type DecodeOptions struct {
	// Password for encrypted PKCS#8 keys and PKCS#12 files. For PKCS#12 the empty password is
	// always tried first, since many files have none.
	Password []byte
}

// ErrNothingFound is returned (possibly wrapped with detail) when the input holds no PEM block of
// a known type, is not DER of any supported form, and is no ECHConfigList.
var ErrNothingFound = errors.New("no certificate, key, request or CRL found")

// DecodeError says why one part of the input could not be decoded.
type DecodeError struct {
	// Index is the PEM block's number, from 0 (0 for DER input).
	Index int
	// PEMType is the block's type, "" for DER input.
	PEMType string
	// Reason says what is wrong, for people, in one line.
	Reason string
	// Err is the underlying cause when it is one callers test for (material.ErrPasswordRequired,
	// material.ErrIncorrectPassword); nil otherwise.
	Err error
}

// Error numbers PEM blocks from 1, as people count them: "block 3 (CERTIFICATE): ...".
func (e *DecodeError) Error() string {
	if e.PEMType == "" {
		return e.Reason
	}
	return fmt.Sprintf("block %d (%s): %s", e.Index+1, e.PEMType, e.Reason)
}

// Unwrap returns the cause, for errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

var (
	decodePEMStart = []byte("-----BEGIN ")
	decodePEMLine  = []byte("\n-----BEGIN ")
)

// Decode finds every item in data: PEM with any number of blocks and arbitrary text around and
// between them, or a single DER structure (certificate, request, CRL, PKCS#8/PKCS#1/SEC1 private
// key, encrypted PKCS#8 private key, PKIX/PKCS#1 public key, or PKCS#12), or, when it is none of
// these, an ECHConfigList: its bytes, base64 of them, or the ech SvcParams of DNS HTTPS records
// (decodeECH says in which order). An ECHConfigList in PEM is an ECHCONFIG block.
//
// Errors are *DecodeError for a part that does not parse (errors.Is finds
// material.ErrPasswordRequired and material.ErrIncorrectPassword through it, errors.As a
// *material.KDFLimitError for a key derivation over its bound), or ErrNothingFound, possibly
// wrapped with detail. On error no items are returned. Every item is held at once: to show a
// large bundle an item at a time, use DecodeBundle.
func Decode(data []byte, opts DecodeOptions) ([]Item, error) {
	return DecodeContext(context.Background(), data, opts)
}

// DecodeContext is Decode under ctx: the password-based key derivations of encrypted keys and
// PKCS#12 files (each bounded by material.MaxKDFIterations, but seconds at that bound) are
// abandoned when ctx is done, and DecodeContext then returns context.Cause(ctx) at once.
func DecodeContext(ctx context.Context, data []byte, opts DecodeOptions) ([]Item, error) {
	data = material.StripBOM(data)
	if decodeHasPEMStart(data) {
		return decodePEM(ctx, data, opts)
	}
	return decodeNotPEM(ctx, data, opts)
}

// interruptible runs f, which cannot be interrupted, in a goroutine and returns its result, or
// context.Cause(ctx) as soon as ctx is done; f then finishes in the background, its result
// dropped. It is for bounded work only (a capped key derivation), never an endless one.
func interruptible[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// decodeHasPEMStart reports whether data has a BEGIN line where pem.Decode would look for one.
func decodeHasPEMStart(data []byte) bool {
	return bytes.HasPrefix(data, decodePEMStart) || bytes.Contains(data, decodePEMLine)
}

// decodeCountPEMStarts counts BEGIN lines, as pem.Decode recognises them, in data (which starts at
// the beginning of a line or of the input).
func decodeCountPEMStarts(data []byte) int {
	n := bytes.Count(data, decodePEMLine)
	if bytes.HasPrefix(data, decodePEMStart) {
		n++
	}
	return n
}

// decodeBeginType is the type named on the first BEGIN line in data, or "" if none is readable.
func decodeBeginType(data []byte) string {
	i := 0
	if !bytes.HasPrefix(data, decodePEMStart) {
		i = bytes.Index(data, decodePEMLine)
		if i < 0 {
			return ""
		}
		i++
	}
	line := data[i+len(decodePEMStart):]
	if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	t, ok := bytes.CutSuffix(bytes.TrimRight(line, " \t"), []byte("-----"))
	if !ok || len(t) > 64 {
		return ""
	}
	return string(t)
}

func decodePEM(ctx context.Context, data []byte, opts DecodeOptions) ([]Item, error) {
	var items []Item
	err := walkPEM(ctx, data, opts, nil, func(it Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// walkPEM decodes data's PEM blocks in order and hands each item to yield as soon as it is
// decoded, so that a caller need hold no more than one. A block whose index is in kept is not
// decoded again: kept[index] is its item. walkPEM stops at the first error, its own or
// yield's; the items before a decoding error have been yielded by then. When no block is of a
// known type, the error is ErrNothingFound.
func walkPEM(ctx context.Context, data []byte, opts DecodeOptions, kept map[int]Item, yield func(Item) error) error {
	var unknown []string
	index, found := 0, 0
	rest := data
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		block, next := pem.Decode(rest)
		if block == nil {
			if decodeHasPEMStart(rest) {
				return decodeMalformedPEM(index, rest)
			}
			break
		}
		// pem.Decode silently skips a block it cannot read and returns the next good one: the
		// text it passed over must hold exactly one BEGIN line, the returned block's.
		consumed := rest[:len(rest)-len(next)]
		if decodeCountPEMStarts(consumed) > 1 {
			return decodeMalformedPEM(index, consumed)
		}
		rest = next
		item, known := kept[index]
		if !known {
			var err error
			item, known, err = decodePEMBlock(ctx, block, index, opts)
			if err != nil {
				return err
			}
		}
		if known {
			found++
			if err := yield(item); err != nil {
				return err
			}
		} else if !decodeContains(unknown, block.Type) {
			unknown = append(unknown, block.Type)
		}
		index++
	}
	if found == 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w (the PEM holds only blocks of type %s)", ErrNothingFound, strings.Join(unknown, ", "))
	}
	return nil
}

func decodeContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func decodeMalformedPEM(index int, data []byte) error {
	t := decodeBeginType(data)
	if t == "" {
		t = "?"
	}
	return &DecodeError{Index: index, PEMType: t, Reason: "malformed PEM (bad base64 or missing END line)"}
}

// decodePEMBlock decodes one block; known is false for block types Decode does not handle.
func decodePEMBlock(ctx context.Context, block *pem.Block, index int, opts DecodeOptions) (item Item, known bool, err error) {
	item = Item{Index: index, PEMType: block.Type}
	fail := func(what string, cause error) (Item, bool, error) {
		return Item{}, true, &DecodeError{Index: index, PEMType: block.Type, Reason: decodeReason(what, cause)}
	}
	der := block.Bytes
	switch block.Type {
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		if block.Type == "TRUSTED CERTIFICATE" {
			// OpenSSL appends its trust settings after the certificate; keep only the certificate.
			var raw asn1.RawValue
			if _, err := asn1.Unmarshal(der, &raw); err == nil {
				der = raw.FullBytes
			}
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return Item{}, true, &DecodeError{Index: index, PEMType: block.Type, Reason: malformedCertificateReason(der, err)}
		}
		item.Kind, item.Cert, item.PublicKey = KindCertificate, c, c.PublicKey
	case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		csr, err := x509.ParseCertificateRequest(der)
		if err != nil {
			return fail("certificate request", err)
		}
		item.Kind, item.CSR, item.PublicKey = KindCertificateRequest, csr, csr.PublicKey
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		k, err := material.ParsePrivateKeyBlock(block, nil)
		var ke *material.KeyError
		if err != nil && block.Type == "PRIVATE KEY" {
			if xk, ok := material.ParseX25519PKCS8(der); ok {
				item.setX25519Key(xk)
				return item, true, nil
			}
		}
		switch {
		case errors.As(err, &ke):
			return fail(ke.What, ke.Err)
		case err != nil:
			return Item{}, true, &DecodeError{Index: index, PEMType: block.Type, Reason: err.Error()}
		}
		item.setPrivateKey(k)
	case "ENCRYPTED PRIVATE KEY":
		k, err := decodeEncryptedPKCS8(ctx, der, opts.Password)
		if ctx.Err() != nil {
			return Item{}, true, context.Cause(ctx)
		}
		if err != nil {
			e := &DecodeError{Index: index, PEMType: block.Type, Reason: err.Error()}
			if errors.Is(err, material.ErrPasswordRequired) || errors.Is(err, material.ErrIncorrectPassword) {
				e.Err = err
			}
			return Item{}, true, e
		}
		item.setPrivateKey(k)
		item.Encrypted = true
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return fail("public key", err)
		}
		item.Kind, item.PublicKey = KindPublicKey, k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return fail("RSA public key", err)
		}
		item.Kind, item.PublicKey = KindPublicKey, k
	case "X509 CRL":
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return fail("CRL", err)
		}
		item.Kind, item.CRL = KindCRL, crl
	case "ECHCONFIG":
		it, err := decodeECHBlock(der, index)
		if err != nil {
			return Item{}, true, err
		}
		return it, true, nil
	default:
		return Item{}, false, nil
	}
	return item, true, nil
}

// malformedCertificateReason says which certificate Go refused and which of its fields.
func malformedCertificateReason(der []byte, err error) string {
	m := DiagnoseMalformed(der, err)
	if m.Subject == "" && m.Field == "" {
		return decodeReason("certificate", err)
	}
	return "malformed certificate " + m.String()
}

func (it *Item) setPrivateKey(k crypto.Signer) {
	it.Kind, it.PrivateKey, it.PublicKey = KindPrivateKey, k, k.Public()
}

func (it *Item) setX25519Key(k *ecdh.PrivateKey) {
	it.Kind, it.X25519Key, it.PublicKey = KindPrivateKey, k, k.PublicKey()
}

// decodeReason makes "malformed <what>: <cause>" short: Go's asn1 errors carry struct dumps.
func decodeReason(what string, cause error) string {
	msg := cause.Error()
	for _, p := range []string{"x509: ", "asn1: ", "pkcs12: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	// "structure error: tags don't match (16 vs {class:1 tag:14 ...}) {optional:false ...} @2"
	if i := strings.Index(msg, "structure error: "); i >= 0 {
		if j := strings.IndexAny(msg[i:], "({"); j >= 0 {
			msg = msg[:i+j]
		}
	}
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\n", " "))
	if len(msg) > 120 {
		msg = msg[:117] + "..."
	}
	reason := "malformed " + what
	if msg != "" && !strings.EqualFold(msg, reason) {
		reason += ": " + msg
	}
	return reason
}

// decodeEncryptedPKCS8 decrypts and parses an encrypted PKCS#8 key, giving up when ctx ends. Its
// errors are meant to be read on their own ("the private key is encrypted; a password is
// required").
func decodeEncryptedPKCS8(ctx context.Context, der, password []byte) (crypto.Signer, error) {
	k, err := interruptible(ctx, func() (crypto.Signer, error) {
		return material.ParsePrivateKeyBlock(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}, password)
	})
	var ke *material.KeyError
	if errors.As(err, &ke) {
		return nil, fmt.Errorf("decrypted private key: %s", decodeReason(ke.What, ke.Err))
	}
	return k, err
}

// decodeEncryptedPKCS8Shape is EncryptedPrivateKeyInfo (RFC 5208), to recognise one before asking
// for a password.
type decodeEncryptedPKCS8Shape struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

// decodePFXShape is the outside of a PKCS#12 PFX (RFC 7292), to recognise one (walkPFX reads it).
type decodePFXShape struct {
	Version  int
	AuthSafe struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
	}
	MacData struct {
		Mac        asn1.RawValue
		Salt       []byte
		Iterations int `asn1:"optional,default:1"`
	} `asn1:"optional"`
}

// decodeExact unmarshals der into v and insists nothing follows it.
func decodeExact(der []byte, v any) bool {
	rest, err := asn1.Unmarshal(der, v)
	return err == nil && len(rest) == 0
}

// decodeNotPEM decodes input without a PEM BEGIN line: a DER structure, or else an
// ECHConfigList. What is not an ECHConfigList keeps the error decodeDER gives it.
func decodeNotPEM(ctx context.Context, data []byte, opts DecodeOptions) ([]Item, error) {
	items, err := decodeDER(ctx, data, opts)
	var de *DecodeError
	if err == nil || !errors.Is(err, ErrNothingFound) || errors.As(err, &de) {
		return items, err
	}
	if echItems, ok, echErr := decodeECH(data); ok {
		return echItems, echErr
	}
	return nil, err
}

func decodeDER(ctx context.Context, data []byte, opts DecodeOptions) ([]Item, error) {
	der := data
	if len(der) == 0 || der[0] != 0x30 {
		// A DER structure starts with a SEQUENCE tag and may end in any byte, so whitespace is
		// trimmed only from input that does not look like DER.
		der = bytes.TrimSpace(der)
	}
	if len(der) == 0 {
		return nil, fmt.Errorf("%w (the input is empty)", ErrNothingFound)
	}
	if der[0] != 0x30 {
		return nil, fmt.Errorf("%w (the input is neither PEM nor DER)", ErrNothingFound)
	}
	one := func(it Item) ([]Item, error) { return []Item{it}, nil }
	if c, err := x509.ParseCertificate(der); err == nil {
		return one(Item{Kind: KindCertificate, Cert: c, PublicKey: c.PublicKey})
	}
	if csr, err := x509.ParseCertificateRequest(der); err == nil {
		return one(Item{Kind: KindCertificateRequest, CSR: csr, PublicKey: csr.PublicKey})
	}
	if crl, err := x509.ParseRevocationList(der); err == nil {
		return one(Item{Kind: KindCRL, CRL: crl})
	}
	if _, ok := splitCertificate(der); ok {
		// Shaped like a certificate, but refused: say why, rather than that it is nothing.
		_, err := x509.ParseCertificate(der)
		return nil, &DecodeError{Reason: malformedCertificateReason(der, err)}
	}
	if k, ok := material.ParseUnencryptedKeyDER(der); ok {
		it := Item{}
		it.setPrivateKey(k)
		return one(it)
	}
	if k, ok := material.ParseX25519PKCS8(der); ok {
		it := Item{}
		it.setX25519Key(k)
		return one(it)
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		return one(Item{Kind: KindPublicKey, PublicKey: k})
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return one(Item{Kind: KindPublicKey, PublicKey: k})
	}
	var epki decodeEncryptedPKCS8Shape
	if decodeExact(der, &epki) && len(epki.Algorithm.Algorithm) > 0 {
		k, err := decodeEncryptedPKCS8(ctx, der, opts.Password)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if err == nil {
			it := Item{Encrypted: true}
			it.setPrivateKey(k)
			return one(it)
		}
		// A structure this generic may be something else entirely; only report on it when the
		// password was the problem or the key clearly was PBES2/PBE-encrypted.
		e := &DecodeError{Reason: "encrypted private key: " + err.Error()}
		if errors.Is(err, material.ErrPasswordRequired) || errors.Is(err, material.ErrIncorrectPassword) {
			e.Err = err
			return nil, e
		}
		if decodeIsPBEOID(epki.Algorithm.Algorithm) {
			return nil, e
		}
	}
	var pfx decodePFXShape
	if decodeExact(der, &pfx) && pfx.Version == 3 {
		return decodePKCS12(ctx, der, opts)
	}
	return nil, fmt.Errorf("%w (the DER is not a certificate, request, CRL, key or PKCS#12 file)", ErrNothingFound)
}

// decodeIsPBEOID reports whether oid is a password-based encryption scheme from PKCS#5 or PKCS#12
// (1.2.840.113549.1.5.* or 1.2.840.113549.1.12.1.*).
func decodeIsPBEOID(oid asn1.ObjectIdentifier) bool {
	pkcs := asn1.ObjectIdentifier{1, 2, 840, 113549, 1}
	if len(oid) < 7 || !oid[:5].Equal(pkcs) {
		return false
	}
	return oid[5] == 5 || (oid[5] == 12 && oid[6] == 1)
}
