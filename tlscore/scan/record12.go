package scan

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// The TLS 1.2 key schedule and record protection (RFC 5246 sections 5, 6.2.3 and 6.3; RFC 5288
// for GCM, RFC 7905 for ChaCha20-Poly1305), for the few suites session12 speaks: a scanner's
// client needs a completed handshake with the server's own keys, not breadth.

// bulk12 is how a suite protects records.
type bulk12 int

const (
	bulkGCM bulk12 = iota + 1
	bulkChaCha
	bulkCBC
)

// suite12 is what the key schedule and the record layer need of a TLS 1.2 suite.
type suite12 struct {
	cs      wire.CipherSuite
	prf     func() hash.Hash
	bulk    bulk12
	keyLen  int
	fixedIV int              // IV bytes taken from the key block: GCM's salt, ChaCha's nonce
	mac     func() hash.Hash // CBC only
	macLen  int
}

// suite12ByID says whether session12 implements a suite: ECDHE or RSA key transport with an
// RSA or ECDSA certificate, and AES-GCM, ChaCha20-Poly1305 or AES-CBC with HMAC. Others (DHE,
// PSK, anonymous, CCM, Camellia, 3DES) are left out: AES and ChaCha20 are what servers that
// speak TLS 1.2 at all accept.
func suite12ByID(id uint16) (suite12, bool) {
	cs, ok := wire.CipherSuiteByID(id)
	if !ok || cs.TLS13 || cs.SCSV || cs.Anonymous || cs.Export {
		return suite12{}, false
	}
	if (cs.KeyExchange != "ECDHE" || (cs.Auth != "RSA" && cs.Auth != "ECDSA")) && (cs.KeyExchange != "RSA" || cs.Auth != "RSA") {
		return suite12{}, false
	}
	s := suite12{cs: cs, prf: sha256.New}
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
		s.bulk, s.keyLen, s.fixedIV = bulkChaCha, chacha20poly1305.KeySize, chacha20poly1305.NonceSize
	case "AES-128-CBC":
		s.bulk, s.keyLen = bulkCBC, 16
	case "AES-256-CBC":
		s.bulk, s.keyLen = bulkCBC, 32
	default:
		return suite12{}, false
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
			return suite12{}, false
		}
	}
	return s, true
}

// prf12 is TLS 1.2's PRF: P_hash(secret, label + seed), n bytes.
func prf12(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
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

// transcriptHash is the suite's PRF hash over the handshake messages so far.
func (s suite12) transcriptHash(transcript []byte) []byte {
	h := s.prf()
	h.Write(transcript)
	return h.Sum(nil)
}

// recordCipher protects one direction of a connection.
type recordCipher struct {
	s      suite12
	aead   cipher.AEAD
	iv     []byte // GCM's 4-byte salt or ChaCha20's 12-byte nonce mask
	block  cipher.Block
	macKey []byte
	seq    uint64
}

// keys12 derives both directions' record protection from the master secret.
func keys12(s suite12, master, clientRandom, serverRandom []byte) (client, server *recordCipher, err error) {
	n := 2*s.macLen + 2*s.keyLen + 2*s.fixedIV
	kb := prf12(s.prf, master, "key expansion", append(append([]byte{}, serverRandom...), clientRandom...), n)
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

func newRecordCipher(s suite12, key, iv, macKey []byte) (*recordCipher, error) {
	c := &recordCipher{s: s, iv: iv, macKey: macKey}
	var err error
	switch s.bulk {
	case bulkGCM:
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			c.aead, err = cipher.NewGCM(b)
		}
	case bulkChaCha:
		c.aead, err = chacha20poly1305.New(key)
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
func (c *recordCipher) additionalData(typ uint8, n int) []byte {
	ad := make([]byte, 13)
	binary.BigEndian.PutUint64(ad, c.seq)
	ad[8] = typ
	binary.BigEndian.PutUint16(ad[9:], wire.VersionTLS12)
	binary.BigEndian.PutUint16(ad[11:], uint16(n))
	return ad
}

// nonce is the AEAD nonce of the current record. GCM's explicit part is the sequence number,
// as common stacks send it: unique per key, which is all RFC 5288 asks.
func (c *recordCipher) nonce() []byte {
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

// seal protects one record's plaintext and returns the record's fragment.
func (c *recordCipher) seal(typ uint8, plaintext []byte) ([]byte, error) {
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
	out := randomBytes(bs) // TLS 1.1+'s explicit IV
	out = append(out, body...)
	cipher.NewCBCEncrypter(c.block, out[:bs]).CryptBlocks(out[bs:], out[bs:])
	return out, nil
}

// errBadRecordMAC is a record that does not authenticate under the session's keys.
var errBadRecordMAC = errors.New("a record failed authentication under the session's keys (bad_record_mac)")

// open authenticates and decrypts one record's fragment. Timing does not matter here: the
// peer is the server being probed, and nothing is revealed to it about why a record failed.
func (c *recordCipher) open(typ uint8, fragment []byte) ([]byte, error) {
	defer func() { c.seq++ }()
	switch c.s.bulk {
	case bulkGCM, bulkChaCha:
		nonce := c.nonce()
		if c.s.bulk == bulkGCM {
			if len(fragment) < 8 {
				return nil, errBadRecordMAC
			}
			nonce = append(nonce[:4], fragment[:8]...)
			fragment = fragment[8:]
		}
		if len(fragment) < c.aead.Overhead() {
			return nil, errBadRecordMAC
		}
		pt, err := c.aead.Open(nil, nonce, fragment, c.additionalData(typ, len(fragment)-c.aead.Overhead()))
		if err != nil {
			return nil, errBadRecordMAC
		}
		return pt, nil
	}
	bs := c.block.BlockSize()
	if len(fragment) < bs+max(bs, c.s.macLen+1) || len(fragment)%bs != 0 {
		return nil, errBadRecordMAC
	}
	body := make([]byte, len(fragment)-bs)
	cipher.NewCBCDecrypter(c.block, fragment[:bs]).CryptBlocks(body, fragment[bs:])
	pad := int(body[len(body)-1]) + 1
	if pad+c.s.macLen > len(body) {
		return nil, errBadRecordMAC
	}
	for _, b := range body[len(body)-pad:] {
		if int(b) != pad-1 {
			return nil, errBadRecordMAC
		}
	}
	body = body[:len(body)-pad]
	pt, got := body[:len(body)-c.s.macLen], body[len(body)-c.s.macLen:]
	mac := hmac.New(c.s.mac, c.macKey)
	mac.Write(c.additionalData(typ, len(pt)))
	mac.Write(pt)
	if !hmac.Equal(mac.Sum(nil), got) {
		return nil, errBadRecordMAC
	}
	return pt, nil
}
