package wire

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// The encrypted part of a TLS 1.3 handshake is decrypted here (with the secrets crypto/tls
// logs through KeyLogWriter) only so the TLS 1.3 decoders meet real bytes; decryption itself
// belongs to another package.

type keyLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.b.Write(p)
}

func (k *keyLog) secrets(t testing.TB) map[string][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(k.b.Bytes()))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		s, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		out[f[0]] = s
	}
	return out
}

// expandLabel is HKDF-Expand-Label from RFC 8446 section 7.1 with an empty context.
func expandLabel(newHash func() hash.Hash, secret []byte, label string, n int) []byte {
	info := []byte{byte(n >> 8), byte(n), byte(6 + len(label))}
	info = append(append(info, "tls13 "+label...), 0)
	out, err := hkdf.Expand(newHash, secret, string(info), n)
	if err != nil {
		panic(err)
	}
	return out
}

type recordKeys struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

func newRecordKeys(t testing.TB, suite uint16, secret []byte) *recordKeys {
	newHash, keyLen := suiteHash(suite)
	key := expandLabel(newHash, secret, "key", keyLen)
	iv := expandLabel(newHash, secret, "iv", 12)
	var a cipher.AEAD
	var err error
	if suite == tls.TLS_CHACHA20_POLY1305_SHA256 {
		a, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			a, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return &recordKeys{aead: a, iv: iv}
}

func suiteHash(suite uint16) (func() hash.Hash, int) {
	switch suite {
	case tls.TLS_AES_256_GCM_SHA384:
		return sha512.New384, 32
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return sha256.New, 32
	}
	return sha256.New, 16
}

// open decrypts one TLSCiphertext and returns the inner content type and plaintext.
func (k *recordKeys) open(t testing.TB, r Record, stream []byte) (uint8, []byte) {
	nonce := slices.Clone(k.iv)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], k.seq)
	for i := range seq {
		nonce[4+i] ^= seq[i]
	}
	k.seq++
	header := stream[r.Offset : r.Offset+RecordHeaderLength]
	pt, err := k.aead.Open(nil, nonce, r.Payload, header)
	if err != nil {
		t.Fatalf("decrypting record at %d: %v", r.Offset, err)
	}
	i := len(pt) - 1
	for i >= 0 && pt[i] == 0 {
		i--
	}
	if i < 0 {
		t.Fatalf("record at %d has no inner content type", r.Offset)
	}
	return pt[i], pt[:i]
}

// decryptFlight returns the handshake messages a TLS 1.3 peer sent encrypted: those under
// the handshake traffic secret up to its Finished, then those under the application secret
// (NewSessionTicket, KeyUpdate).
func decryptFlight(t testing.TB, stream []byte, suite uint16, hsSecret, appSecret []byte) []Message {
	recs, _, err := ParseRecords(stream)
	if err != nil {
		t.Fatal(err)
	}
	keys := newRecordKeys(t, suite, hsSecret)
	var a Assembler
	var out []Message
	for _, r := range recs {
		if r.Type != ContentApplicationData {
			continue
		}
		typ, pt := keys.open(t, r, stream)
		if typ != ContentHandshake {
			continue
		}
		ms, err := a.Add(pt)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, m)
			if m.Type == TypeFinished && appSecret != nil {
				keys, appSecret = newRecordKeys(t, suite, appSecret), nil
			}
		}
	}
	return out
}

var (
	tls13Once sync.Once
	tls13Caps []*tls13Capture
)

type tls13Capture struct {
	*capture
	serverMsgs, clientMsgs []Message
}

// tls13Captures adds a client-authenticated TLS 1.3 handshake (for a real CertificateRequest,
// client Certificate and stapled OCSP/SCT certificate extensions) to the plain one, and
// decrypts both.
func tls13Captures(t testing.TB) []*tls13Capture {
	tls13Once.Do(func() {
		k := testKeyPairs(t)
		type run struct {
			name       string
			cert       tls.Certificate
			clientAuth bool
		}
		for _, r := range []run{{"TLS 1.3 ECDSA", k.ecCert, false}, {"TLS 1.3 RSA client auth", k.rsaCert, true}} {
			kl := &keyLog{}
			scfg := &tls.Config{Certificates: []tls.Certificate{r.cert}, MinVersion: tls.VersionTLS13, NextProtos: []string{"http/1.1"}}
			ccfg := &tls.Config{InsecureSkipVerify: true, ServerName: "example.test", MinVersion: tls.VersionTLS13,
				NextProtos: []string{"h2", "http/1.1"}, KeyLogWriter: kl, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			if r.clientAuth {
				scfg.ClientAuth = tls.RequireAnyClientCert
				ccfg.Certificates = []tls.Certificate{k.clientCert}
			}
			c := runHandshake(t, r.name, scfg, ccfg)
			c.serverLeaf, c.clientAuth, c.wantVersion = r.cert.Leaf, r.clientAuth, tls.VersionTLS13
			if r.clientAuth {
				c.clientLeaf = k.clientCert.Leaf
			}
			s := kl.secrets(t)
			suite := c.state.CipherSuite
			tc := &tls13Capture{capture: c,
				serverMsgs: decryptFlight(t, c.server, suite, s["SERVER_HANDSHAKE_TRAFFIC_SECRET"], s["SERVER_TRAFFIC_SECRET_0"]),
				clientMsgs: decryptFlight(t, c.client, suite, s["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], s["CLIENT_TRAFFIC_SECRET_0"]),
			}
			tls13Caps = append(tls13Caps, tc)
		}
	})
	if len(tls13Caps) == 0 {
		t.Fatal("TLS 1.3 captures failed earlier")
	}
	return tls13Caps
}

func TestRealTLS13Encrypted(t *testing.T) {
	for _, c := range tls13Captures(t) {
		t.Run(c.name, func(t *testing.T) {
			wantSrv := []string{"EncryptedExtensions", "Certificate", "CertificateVerify", "Finished", "NewSessionTicket"}
			wantCli := []string{"Finished"}
			if c.clientAuth {
				wantSrv = []string{"EncryptedExtensions", "CertificateRequest", "Certificate", "CertificateVerify", "Finished", "NewSessionTicket"}
				wantCli = []string{"Certificate", "CertificateVerify", "Finished"}
			}
			if got := names(c.serverMsgs); !slices.Equal(got, wantSrv) {
				t.Fatalf("server sent %v, want %v", got, wantSrv)
			}
			if got := names(c.clientMsgs); !slices.Equal(got, wantCli) {
				t.Fatalf("client sent %v, want %v", got, wantCli)
			}
			cli, srv := splitFlight(t, c.client, true), splitFlight(t, c.server, true)
			d := Decoder{}
			var transcript []Message
			for _, m := range []Message{cli.messages[0], srv.messages[0]} {
				if _, err := d.Decode(m); err != nil {
					t.Fatal(err)
				}
				transcript = append(transcript, m)
			}
			hashNew, _ := suiteHash(c.state.CipherSuite)
			decoded := map[string][]any{}
			verify := func(m Message, leafPub crypto.PublicKey, context string) {
				cv, err := ParseCertificateVerify(m.Body, VersionTLS13)
				if err != nil {
					t.Fatal(err)
				}
				h := hashNew()
				for _, tm := range transcript {
					h.Write(tm.Raw)
				}
				signed := append(bytes.Repeat([]byte{0x20}, 64), context...)
				signed = append(append(signed, 0), h.Sum(nil)...)
				if err := verifySig(leafPub, cv.SignatureScheme, signed, cv.Signature); err != nil {
					t.Errorf("%s CertificateVerify (%s) does not verify: %v", context, cv.SignatureSchemeName, err)
				}
			}
			all := append(append([]Message(nil), c.serverMsgs...), c.clientMsgs...)
			for i, m := range all {
				v, err := d.Decode(m)
				if err != nil {
					t.Fatalf("decoding %s: %v", m.Name(), err)
				}
				decoded[m.Name()] = append(decoded[m.Name()], v)
				if m.Type == TypeCertificateVerify {
					if i < len(c.serverMsgs) {
						verify(m, c.serverLeaf.PublicKey, "TLS 1.3, server CertificateVerify")
					} else {
						verify(m, c.clientLeaf.PublicKey, "TLS 1.3, client CertificateVerify")
					}
				}
				if m.Type != TypeNewSessionTicket {
					transcript = append(transcript, m)
				}
			}

			ee := decoded["EncryptedExtensions"][0].(*EncryptedExtensions)
			if ee.ALPN != "http/1.1" || ee.ALPN != c.state.NegotiatedProtocol {
				t.Errorf("EncryptedExtensions ALPN %q, negotiated %q", ee.ALPN, c.state.NegotiatedProtocol)
			}
			sc := decoded["Certificate"][0].(*Certificate)
			if len(sc.Entries) != 1 || !bytes.Equal(sc.Entries[0].DER, c.serverLeaf.Raw) || len(sc.RequestContext) != 0 {
				t.Errorf("server Certificate %+v", sc)
			}
			if c.clientAuth {
				// The RSA certificate carries a staple and SCTs, which TLS 1.3 moves into
				// the leaf's CertificateEntry extensions.
				e := sc.Entries[0]
				if string(e.OCSPResponse) != "not really an OCSP response" || e.SCTCount != 2 || string(e.SCTs[1]) != "sct-two" {
					t.Errorf("leaf entry extensions %+v", e.Extensions)
				}
				cr := decoded["CertificateRequest"][0].(*CertificateRequest)
				if cr.Form != "tls13" || len(cr.SignatureAlgorithms) == 0 {
					t.Errorf("CertificateRequest %+v", cr)
				}
				cc := decoded["Certificate"][1].(*Certificate)
				if len(cc.Entries) != 1 || !bytes.Equal(cc.Entries[0].DER, c.clientLeaf.Raw) {
					t.Errorf("client Certificate %+v", cc)
				}
			}
			for _, f := range decoded["Finished"] {
				if want := hashNew().Size(); f.(*Finished).VerifyDataLength != want {
					t.Errorf("Finished is %d bytes, want %d", f.(*Finished).VerifyDataLength, want)
				}
			}
			nst := decoded["NewSessionTicket"][0].(*NewSessionTicket)
			if nst.LifetimeSeconds == 0 || nst.TicketLength == 0 || nst.Extensions == nil {
				t.Errorf("NewSessionTicket %+v", nst)
			}
		})
	}
}
