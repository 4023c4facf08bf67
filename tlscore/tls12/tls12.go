package tls12

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// bulk12 is how a suite protects records.
type bulk12 int

const (
	bulkGCM bulk12 = iota + 1
	bulkChaCha
	bulkCBC
)

// Suite is what the key schedule and the record layer need of a TLS 1.2 suite.
type Suite struct {
	cs      wire.CipherSuite
	prf     func() hash.Hash
	bulk    bulk12
	keyLen  int
	fixedIV int              // IV bytes taken from the key block: GCM's salt, ChaCha's nonce
	mac     func() hash.Hash // CBC only
	macLen  int
}

// SuiteByID says whether this package implements a suite: ECDHE or RSA key transport with an
// RSA or ECDSA certificate, and AES-GCM, ChaCha20-Poly1305 or AES-CBC with HMAC. Others (DHE,
// PSK, anonymous, CCM, Camellia, 3DES) are left out: AES and ChaCha20 are what servers that
// speak TLS 1.2 at all accept.
func SuiteByID(id uint16) (Suite, bool) {
	cs, ok := wire.CipherSuiteByID(id)
	if !ok || cs.TLS13 || cs.SCSV || cs.Anonymous || cs.Export {
		return Suite{}, false
	}
	if (cs.KeyExchange != "ECDHE" || (cs.Auth != "RSA" && cs.Auth != "ECDSA")) && (cs.KeyExchange != "RSA" || cs.Auth != "RSA") {
		return Suite{}, false
	}
	s := Suite{cs: cs, prf: sha256.New}
	// The suite's name ends with its PRF hash for AEAD suites and its MAC for CBC ones; TLS 1.2
	// uses SHA-384 for the PRF only where the name says so (RFC 5289), SHA-256 otherwise.
	if strings.HasSuffix(cs.Name, "_SHA384") {
		s.prf = sha512.New384
	}
	switch cs.Cipher {
	case "AES-128-GCM":
		s.bulk, s.keyLen, s.fixedIV = bulkGCM, 16, 4
	case "AES-256-GCM":
		s.bulk, s.keyLen, s.fixedIV = bulkGCM, 32, 4
	case "CHACHA20-POLY1305":
		s.bulk, s.keyLen, s.fixedIV = bulkChaCha, 32, 12
	case "AES-128-CBC":
		s.bulk, s.keyLen = bulkCBC, 16
	case "AES-256-CBC":
		s.bulk, s.keyLen = bulkCBC, 32
	default:
		return Suite{}, false
	}
	if s.bulk == bulkCBC {
		switch cs.MAC {
		case "SHA1":
			s.mac, s.macLen = sha1.New, sha1.Size
		case "SHA256":
			s.mac, s.macLen = sha256.New, sha256.Size
		case "SHA384":
			s.mac, s.macLen = sha512.New384, sha512.Size384
		default:
			return Suite{}, false
		}
	}
	return s, true
}

// PRF is the suite's TLS 1.2 PRF: P_hash(secret, label + seed) with its hash, n bytes.
func (s Suite) PRF(secret []byte, label string, seed []byte, n int) []byte {
	return prf(s.prf, secret, label, seed, n)
}

// CipherSuite is the suite's entry in wire's table.
func (s Suite) CipherSuite() wire.CipherSuite { return s.cs }

// prf is TLS 1.2's PRF: P_hash(secret, label + seed), n bytes.
func prf(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	labelSeed := append([]byte(label), seed...)
	mac := hmac.New(h, secret)
	out := make([]byte, 0, n+mac.Size())
	mac.Write(labelSeed)
	a := mac.Sum(nil) // A(1)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(labelSeed)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	return out[:n]
}

// TranscriptHash is the suite's PRF hash over the handshake messages so far.
func (s Suite) TranscriptHash(transcript []byte) []byte {
	h := s.prf()
	h.Write(transcript)
	return h.Sum(nil)
}

// RecordCipher protects one direction of a connection.
type RecordCipher struct {
	s      Suite
	aead   cipher.AEAD
	iv     []byte // GCM's 4-byte salt or ChaCha20's 12-byte nonce mask
	block  cipher.Block
	macKey []byte
	seq    uint64
}

// Keys derives both directions' record protection from the master secret.
func Keys(s Suite, master, clientRandom, serverRandom []byte) (client, server *RecordCipher, err error) {
	n := 2*s.macLen + 2*s.keyLen + 2*s.fixedIV
	kb := prf(s.prf, master, "key expansion", append(append([]byte{}, serverRandom...), clientRandom...), n)
	take := func(k int) []byte {
		b := kb[:k:k]
		kb = kb[k:]
		return b
	}
	cMAC, sMAC := take(s.macLen), take(s.macLen)
	cKey, sKey := take(s.keyLen), take(s.keyLen)
	cIV, sIV := take(s.fixedIV), take(s.fixedIV)
	if client, err = newRecordCipher(s, cKey, cIV, cMAC); err != nil {
		return nil, nil, err
	}
	if server, err = newRecordCipher(s, sKey, sIV, sMAC); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func newRecordCipher(s Suite, key, iv, macKey []byte) (*RecordCipher, error) {
	c := &RecordCipher{s: s, iv: iv, macKey: macKey}
	var err error
	switch s.bulk {
	case bulkGCM:
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			c.aead, err = cipher.NewGCM(b)
		}
	case bulkChaCha:
		c.aead, err = keyschedule.NewChaCha20Poly1305(key)
	case bulkCBC:
		c.block, err = aes.NewCipher(key)
	default:
		err = fmt.Errorf("suite %s has no record protection here", s.cs.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("record keys for %s: %w", s.cs.Name, err)
	}
	return c, nil
}

// additionalData is the MAC and AEAD header: seq_num, type, version, length.
func (c *RecordCipher) additionalData(typ uint8, n int) []byte {
	ad := make([]byte, 13)
	binary.BigEndian.PutUint64(ad, c.seq)
	ad[8] = typ
	binary.BigEndian.PutUint16(ad[9:], wire.VersionTLS12)
	binary.BigEndian.PutUint16(ad[11:], uint16(n))
	return ad
}

// nonce is the AEAD nonce of the current record. GCM's explicit part is the sequence number,
// as common stacks send it: unique per key, which is all RFC 5288 asks.
func (c *RecordCipher) nonce() []byte {
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], c.seq)
	if c.s.bulk == bulkGCM {
		return append(append([]byte{}, c.iv...), seq[:]...)
	}
	n := append([]byte{}, c.iv...)
	for i := range seq {
		n[4+i] ^= seq[i]
	}
	return n
}

// Seal protects one record's plaintext and returns the record's fragment.
func (c *RecordCipher) Seal(typ uint8, plaintext []byte) ([]byte, error) {
	defer func() { c.seq++ }()
	switch c.s.bulk {
	case bulkGCM, bulkChaCha:
		nonce := c.nonce()
		var out []byte
		if c.s.bulk == bulkGCM {
			out = append(out, nonce[4:]...)
		}
		return c.aead.Seal(out, nonce, plaintext, c.additionalData(typ, len(plaintext))), nil
	}
	mac := hmac.New(c.s.mac, c.macKey)
	mac.Write(c.additionalData(typ, len(plaintext)))
	mac.Write(plaintext)
	bs := c.block.BlockSize()
	body := mac.Sum(append([]byte{}, plaintext...))
	pad := bs - len(body)%bs // 1..bs bytes, each holding pad-1
	for range pad {
		body = append(body, byte(pad-1))
	}
	out := make([]byte, bs) // TLS 1.1+'s explicit IV, random
	_, _ = rand.Read(out)
	out = append(out, body...)
	cipher.NewCBCEncrypter(c.block, out[:bs]).CryptBlocks(out[bs:], out[bs:])
	return out, nil
}

// ErrBadRecordMAC is a record that does not authenticate under the session's keys.
var ErrBadRecordMAC = errors.New("a record failed authentication under the session's keys (bad_record_mac)")

// Open authenticates and decrypts one record's fragment. Timing does not matter here: the
// peer is the server being probed, and nothing is revealed to it about why a record failed.
func (c *RecordCipher) Open(typ uint8, fragment []byte) ([]byte, error) {
	defer func() { c.seq++ }()
	switch c.s.bulk {
	case bulkGCM, bulkChaCha:
		nonce := c.nonce()
		if c.s.bulk == bulkGCM {
			if len(fragment) < 8 {
				return nil, ErrBadRecordMAC
			}
			nonce = append(nonce[:4], fragment[:8]...)
			fragment = fragment[8:]
		}
		if len(fragment) < c.aead.Overhead() {
			return nil, ErrBadRecordMAC
		}
		pt, err := c.aead.Open(nil, nonce, fragment, c.additionalData(typ, len(fragment)-c.aead.Overhead()))
		if err != nil {
			return nil, ErrBadRecordMAC
		}
		return pt, nil
	}
	bs := c.block.BlockSize()
	if len(fragment) < bs+max(bs, c.s.macLen+1) || len(fragment)%bs != 0 {
		return nil, ErrBadRecordMAC
	}
	body := make([]byte, len(fragment)-bs)
	cipher.NewCBCDecrypter(c.block, fragment[:bs]).CryptBlocks(body, fragment[bs:])
	pad := int(body[len(body)-1]) + 1
	if pad+c.s.macLen > len(body) {
		return nil, ErrBadRecordMAC
	}
	for _, b := range body[len(body)-pad:] {
		if int(b) != pad-1 {
			return nil, ErrBadRecordMAC
		}
	}
	body = body[:len(body)-pad]
	pt, got := body[:len(body)-c.s.macLen], body[len(body)-c.s.macLen:]
	mac := hmac.New(c.s.mac, c.macKey)
	mac.Write(c.additionalData(typ, len(pt)))
	mac.Write(pt)
	if !hmac.Equal(mac.Sum(nil), got) {
		return nil, ErrBadRecordMAC
	}
	return pt, nil
}
