package inspect

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/tlskit/tlskit/inspect/material"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"software.sslmate.com/src/go-pkcs12"
)

// Reading a PKCS#12 file: walkPFX bounds every key derivation it can see, then go-pkcs12 decodes,
// in a goroutine so that an interrupted run returns at once (what the library has left to do is
// bounded by the walk, and is abandoned).
//
// One derivation the walker cannot see before decrypting: a shrouded key bag inside an encrypted
// content. go-pkcs12 decrypts every content first and then the first key bag it meets, so when an
// encrypted content comes before the first visible key bag (the usual layout: certificates
// encrypted, then the key), the library is given a rebuilt copy of the file instead, with the
// visible key bag first (or, when there is none, a throwaway key bag of ours) so that it refuses
// any hidden key bag ("expected exactly one key bag") before deriving its key. Reordering breaks
// the file's MAC, so inspect checks that MAC itself (pkcs12mac.go) and gives the copy a one-round
// MAC under the same password; the certificates are put back in the file's order afterwards.

// errPFXHiddenKey refuses a file whose only private key is inside an encrypted content.
var errPFXHiddenKey = errors.New("a private key inside an encrypted content is not supported (its key-derivation cost cannot be checked before it is decrypted); export the file again with openssl pkcs12 -export")

// pfxKeyBagRefusal is go-pkcs12 v0.6.0's message for a second key bag, which it gives before
// decrypting that bag (TestPKCS12LibraryRefusesSecondKeyBag pins it).
const pfxKeyBagRefusal = "pkcs12: expected exactly one key bag"

// pfxDecoded is what one password trial got from go-pkcs12.
type pfxDecoded struct {
	key   any
	leaf  *x509.Certificate
	chain []*x509.Certificate
}

func decodePKCS12(ctx context.Context, der []byte, opts DecodeOptions) ([]Item, error) {
	w, err := walkPFX(der, material.MaxKDFIterations)
	if err != nil {
		var le *material.KDFLimitError
		if errors.As(err, &le) {
			return nil, &DecodeError{Reason: "PKCS#12 file: " + le.Error(), Err: le}
		}
		return nil, &DecodeError{Reason: "malformed PKCS#12 file: " + unwrapMalformed(err)}
	}
	return interruptible(ctx, func() ([]Item, error) { return w.decode(ctx, opts.Password) })
}

func unwrapMalformed(err error) string {
	msg := err.Error()
	if p := errPFXMalformed.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}

// decode is the password trial: the empty password first (many files have none), then the
// given one. Every derivation it can run was bounded by walkPFX, once, before the first trial.
func (w *pfxWalk) decode(ctx context.Context, given []byte) ([]Item, error) {
	incorrect := func(err error) bool {
		return errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption)
	}
	password := ""
	d, err := w.decodeChain(ctx, password)
	if incorrect(err) {
		if len(given) == 0 {
			return nil, &DecodeError{Reason: "PKCS#12 file: a password is required", Err: material.ErrPasswordRequired}
		}
		password = string(given)
		d, err = w.decodeChain(ctx, password)
		if incorrect(err) {
			return nil, &DecodeError{Reason: "PKCS#12 file: incorrect password", Err: material.ErrIncorrectPassword}
		}
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if errors.Is(err, errPFXHiddenKey) {
		return nil, &DecodeError{Reason: "PKCS#12 file: " + err.Error()}
	}
	var certs []*x509.Certificate
	key := d.key
	if err == nil {
		certs = append([]*x509.Certificate{d.leaf}, d.chain...)
	} else if ts, tsErr := pkcs12.DecodeTrustStore(w.der, password); tsErr == nil && len(ts) > 0 {
		// A Java trust store: certificates only. DecodeTrustStore never decrypts a key bag, so
		// the walk bounds it on the file as it is.
		certs, key = ts, nil
	} else {
		return nil, &DecodeError{Reason: decodeReason("PKCS#12 file", err)}
	}
	var items []Item
	for _, c := range certs {
		items = append(items, Item{Kind: KindCertificate, Index: len(items), Cert: c, PublicKey: c.PublicKey, FromPKCS12: true})
	}
	if key != nil {
		k, err := material.Signer(key)
		if err != nil {
			return nil, &DecodeError{Reason: "PKCS#12 file: " + err.Error()}
		}
		it := Item{Index: len(items), Encrypted: password != "", FromPKCS12: true}
		it.setPrivateKey(k)
		items = append(items, it)
	}
	return items, nil
}

// decodeChain is pkcs12.DecodeChain under one password, on the file itself when the library
// cannot meet a key bag the walk did not see, and on a rebuilt copy otherwise.
func (w *pfxWalk) decodeChain(ctx context.Context, password string) (pfxDecoded, error) {
	plan, ok := w.rebuildPlan()
	if !ok {
		key, leaf, chain, err := pkcs12.DecodeChain(w.der, password)
		return pfxDecoded{key, leaf, chain}, err
	}
	if plan.refuse {
		return pfxDecoded{}, errPFXHiddenKey
	}
	form, err := w.passwordForm(ctx, password)
	if err != nil {
		return pfxDecoded{}, err
	}
	dummy := pfxDummyKey()
	copyDER, err := w.rebuild(plan, form, dummy)
	if err != nil {
		return pfxDecoded{}, err
	}
	key, leaf, chain, err := pkcs12.DecodeChain(copyDER, password)
	if err != nil {
		if plan.dummy && err.Error() == pfxKeyBagRefusal {
			return pfxDecoded{}, errPFXHiddenKey
		}
		return pfxDecoded{}, err
	}
	if k, isDummy := key.(ed25519.PrivateKey); plan.dummy && isDummy && k.Equal(dummy.key) {
		// No key in the file: what DecodeChain says of the file itself.
		return pfxDecoded{}, errors.New("pkcs12: private key missing")
	}
	// The rebuilt copy moved plan.rotate certificates to the front; put them back.
	all := append([]*x509.Certificate{leaf}, chain...)
	if r := plan.rotate; r > 0 && r < len(all) {
		all = append(all[r:len(all):len(all)], all[:r]...)
	}
	return pfxDecoded{key, all[0], all[1:]}, nil
}

// passwordForm is the BMPString go-pkcs12 will decrypt with, found by checking the MAC as the
// library would: the password, and for the empty password also an empty byte string (which
// some encoders use). Without a MAC the library takes only the empty password.
func (w *pfxWalk) passwordForm(ctx context.Context, password string) ([]byte, error) {
	bmp, err := bmpPassword(password)
	if err != nil {
		return nil, err
	}
	if w.mac == nil {
		if password != "" {
			return nil, errors.New("pkcs12: no MAC in data")
		}
		return bmp, nil
	}
	err = w.verifyMAC(ctx, bmp)
	if errors.Is(err, errMACMismatch) && password == "" {
		bmp = nil
		err = w.verifyMAC(ctx, bmp)
	}
	if errors.Is(err, errMACMismatch) {
		return nil, pkcs12.ErrIncorrectPassword
	}
	return bmp, err
}

// pfxRebuildPlan says how the copy given to go-pkcs12 is laid out.
type pfxRebuildPlan struct {
	front  int  // the content whose key bag (or, with dummy, whose bags after ours) go first
	dummy  bool // no visible key bag: put a throwaway one first
	alone  bool // the throwaway key bag gets a content of its own (front is unused)
	rotate int  // certificates moved to the front, to move back after decoding
	refuse bool // nowhere to put the throwaway key bag: every content is encrypted
}

// rebuildPlan reports whether the file needs rebuilding (ok) and how. DecodeChain reads one or two
// contents (it refuses other counts after the MAC and before decrypting anything); the risk is
// an encrypted content before the first visible key bag.
func (w *pfxWalk) rebuildPlan() (pfxRebuildPlan, bool) {
	n := len(w.contents)
	if n < 1 || n > 2 {
		return pfxRebuildPlan{}, false
	}
	firstEnc, keyAt := -1, -1
	for i, c := range w.contents {
		if c.encrypted && firstEnc < 0 {
			firstEnc = i
		}
		if keyAt < 0 {
			for _, b := range c.bags {
				if b.kind == pfxBagKey {
					keyAt = i
					break
				}
			}
		}
	}
	if firstEnc < 0 || (keyAt >= 0 && keyAt < firstEnc) {
		return pfxRebuildPlan{}, false
	}
	p := pfxRebuildPlan{front: keyAt}
	if keyAt < 0 {
		p.dummy = true
		switch {
		case n == 1:
			p.alone = true
		case !w.contents[0].encrypted:
			p.front = 0
		case !w.contents[1].encrypted:
			p.front = 1
		default:
			p.refuse = true
		}
	}
	if !p.alone && p.front > 0 {
		for _, b := range w.contents[p.front].bags {
			if b.kind == pfxBagCert {
				p.rotate++
			}
		}
	}
	return p, true
}

// pfxThrowaway is the key bag put first in a rebuilt copy with no key bag of its own.
type pfxThrowaway struct {
	key   ed25519.PrivateKey
	pkcs8 []byte
}

func pfxDummyKey() pfxThrowaway {
	k := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic("inspect: marshalling an Ed25519 key: " + err.Error()) // cannot happen
	}
	return pfxThrowaway{k, der}
}

// rebuild encodes the copy of the file that plan describes, with a one-round MAC under form (or
// none, as in the file, when it has none).
func (w *pfxWalk) rebuild(plan pfxRebuildPlan, form []byte, dummy pfxThrowaway) ([]byte, error) {
	addData := func(b *cryptobyte.Builder, bags [][]byte) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(pfxOIDData) })
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, bag := range bags {
							b.AddBytes(bag)
						}
					})
				})
			})
		})
	}
	dummyBag := func() []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(pfxOIDKeyBag) })
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(dummy.pkcs8) })
		})
		return b.BytesOrPanic()
	}

	var safe cryptobyte.Builder
	safe.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		if plan.alone {
			addData(b, [][]byte{dummyBag()})
		} else {
			// The front content, its first key bag (or ours) leading.
			var bags [][]byte
			if plan.dummy {
				bags = append(bags, dummyBag())
			}
			moved := plan.dummy
			var rest [][]byte
			for _, bag := range w.contents[plan.front].bags {
				if !moved && bag.kind == pfxBagKey {
					bags, moved = append(bags, bag.der), true
					continue
				}
				rest = append(rest, bag.der)
			}
			addData(b, append(bags, rest...))
		}
		for i, c := range w.contents {
			if plan.alone || i != plan.front {
				b.AddBytes(c.der)
			}
		}
	})
	authSafe, err := safe.Bytes()
	if err != nil {
		return nil, fmt.Errorf("rebuilding the PKCS#12 file: %w", err)
	}

	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(3)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(pfxOIDData) })
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(authSafe)
			})
		})
		if w.mac == nil {
			return
		}
		salt := make([]byte, 16)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oidSHA256DER) })
					b.AddASN1NULL()
				})
				b.AddASN1OctetString(pkcs12MAC(authSafe, salt, form))
			})
			b.AddASN1OctetString(salt)
			b.AddASN1Int64(1)
		})
	})
	return out.Bytes()
}
