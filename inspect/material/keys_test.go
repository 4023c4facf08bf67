package material

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signers are one key of each kind tlskit signs with (RSA at 1024 bits: only parsing is tested).
func signers(t *testing.T) map[string]crypto.Signer {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]crypto.Signer{"rsa": rsaKey, "ecdsa": ecKey, "ed25519": edKey}
}

// TestParsePrivateKeyBlock reads every block type a key comes in, and checks what each refusal
// is: the password missing or wrong, legacy PEM encryption, and a block whose contents are not
// the key its type says (a *KeyError naming the encoding).
func TestParsePrivateKeyBlock(t *testing.T) {
	keys := signers(t)
	pkcs8 := func(k crypto.Signer) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ecDER, err := x509.MarshalECPrivateKey(keys["ecdsa"].(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := EncryptPKCS8(rand.Reader, pkcs8(keys["ed25519"]), []byte("pw"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		block    *pem.Block
		password string
		want     crypto.Signer
		wantErr  error  // errors.Is
		wantWhat string // the *KeyError's encoding
	}{
		{name: "PKCS#8 RSA", block: &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8(keys["rsa"])}, want: keys["rsa"]},
		{name: "PKCS#8 Ed25519", block: &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8(keys["ed25519"])}, want: keys["ed25519"]},
		{name: "PKCS#1", block: &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(keys["rsa"].(*rsa.PrivateKey))}, want: keys["rsa"]},
		{name: "SEC1", block: &pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}, want: keys["ecdsa"]},
		{name: "encrypted", block: &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encrypted}, password: "pw", want: keys["ed25519"]},
		{name: "encrypted, no password", block: &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encrypted}, wantErr: ErrPasswordRequired},
		{name: "encrypted, wrong password", block: &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: encrypted}, password: "nope", wantErr: ErrIncorrectPassword},
		{name: "legacy encryption", block: &pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}}, wantErr: ErrLegacyEncryption},
		{name: "PKCS#8 garbage", block: &pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0}}, wantWhat: "PKCS#8 private key"},
		{name: "PKCS#1 garbage", block: &pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{0x30, 0}}, wantWhat: "RSA private key"},
		{name: "SEC1 garbage", block: &pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{0x30, 0}}, wantWhat: "EC private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKeyBlock(tt.block, []byte(tt.password))
			var ke *KeyError
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
			case tt.wantWhat != "":
				if !errors.As(err, &ke) || ke.What != tt.wantWhat || ke.Unwrap() == nil || !strings.HasPrefix(err.Error(), "parsing "+tt.wantWhat+": ") {
					t.Fatalf("err %v, want a *KeyError for %s", err, tt.wantWhat)
				}
			case err != nil:
				t.Fatal(err)
			case !PublicKeysEqual(got.Public(), tt.want.Public()):
				t.Fatal("parsed another key")
			}
		})
	}
	if !IsPrivateKeyBlock("EC PRIVATE KEY") || IsPrivateKeyBlock("PUBLIC KEY") {
		t.Error("IsPrivateKeyBlock does not name the key blocks")
	}
	if _, err := ParsePrivateKeyBlock(&pem.Block{Type: "CERTIFICATE"}, nil); err == nil {
		t.Error("a CERTIFICATE block was read as a key")
	}
}

// TestParsePrivateKeyDER reads the three unencrypted DER encodings and an encrypted one given a
// password, and says when the input is no key at all.
func TestParsePrivateKeyDER(t *testing.T) {
	keys := signers(t)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(keys["ed25519"])
	sec1, _ := x509.MarshalECPrivateKey(keys["ecdsa"].(*ecdsa.PrivateKey))
	pkcs1 := x509.MarshalPKCS1PrivateKey(keys["rsa"].(*rsa.PrivateKey))
	for name, der := range map[string][]byte{"pkcs8": pkcs8, "sec1": sec1, "pkcs1": pkcs1} {
		if _, ok := ParseUnencryptedKeyDER(der); !ok {
			t.Errorf("%s: not read", name)
		}
		if _, err := ParsePrivateKey(der, nil); err != nil {
			t.Errorf("ParsePrivateKey(%s DER): %v", name, err)
		}
	}
	if _, ok := ParseUnencryptedKeyDER([]byte("not a key")); ok {
		t.Error("text read as a key")
	}
	enc, err := EncryptPKCS8(rand.Reader, pkcs8, []byte("pw"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParsePrivateKey(enc, []byte("pw")); err != nil || !PublicKeysEqual(k.Public(), keys["ed25519"].Public()) {
		t.Errorf("encrypted DER with its password: %v", err)
	}
	if _, err := ParsePrivateKey([]byte("nothing"), nil); err == nil || !strings.Contains(err.Error(), "no private key found") {
		t.Errorf("not a key: %v", err)
	}
	certOnly := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})
	if _, err := ParsePrivateKey(certOnly, nil); err == nil || !strings.Contains(err.Error(), "holds no PRIVATE KEY block") {
		t.Errorf("PEM without a key: %v", err)
	}
	if PublicKeysEqual(keys["rsa"].Public(), keys["ecdsa"].Public()) {
		t.Error("two keys taken for one")
	}
}

// TestParseX25519PKCS8 reads the key of an ECH key file (RFC 9934), which is no signer, and
// nothing else.
func TestParseX25519PKCS8(t *testing.T) {
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(x25519)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := ParseX25519PKCS8(der); !ok || !k.Equal(x25519) {
		t.Errorf("X25519 PKCS#8: %v %v", k, ok)
	}
	if _, err := ParsePrivateKeyBlock(&pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil); err == nil {
		t.Error("ParsePrivateKeyBlock gave an X25519 key as a signer")
	}
	ed, _ := x509.MarshalPKCS8PrivateKey(signers(t)["ed25519"])
	for name, der := range map[string][]byte{"ed25519": ed, "garbage": []byte("not a key"), "empty": nil} {
		if _, ok := ParseX25519PKCS8(der); ok {
			t.Errorf("%s read as an X25519 key", name)
		}
	}
}

// TestDescribeKey pins the one description of a key that every report uses.
func TestDescribeKey(t *testing.T) {
	keys := signers(t)
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256ECDH, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pub  crypto.PublicKey
		want KeyAlgorithm
		text string
	}{
		{keys["rsa"].Public(), KeyAlgorithm{Type: "RSA", Bits: 1024}, "RSA 1024"},
		{keys["ecdsa"].Public(), KeyAlgorithm{Type: "ECDSA", Bits: 384, Curve: "P-384"}, "ECDSA P-384"},
		{keys["ed25519"].Public(), KeyAlgorithm{Type: "Ed25519", Bits: 256}, "Ed25519"},
		{x25519.PublicKey(), KeyAlgorithm{Type: "X25519", Bits: 253}, "X25519"},
		{p256ECDH.PublicKey(), KeyAlgorithm{Type: "*ecdh.PublicKey"}, "*ecdh.PublicKey"},
		{"not a key", KeyAlgorithm{Type: "string"}, "string"},
	} {
		got := DescribeKey(tc.pub)
		if got != tc.want || got.String() != tc.text || DescribePublicKey(tc.pub) != tc.text {
			t.Errorf("DescribeKey(%T) = %+v %q, want %+v %q", tc.pub, got, got.String(), tc.want, tc.text)
		}
	}
	if RSABits(keys["rsa"].Public()) != 1024 || RSABits(keys["ecdsa"].Public()) != 0 {
		t.Error("RSABits")
	}
}

// TestFingerprintAndSANs checks the forms openssl prints: the SHA-256 fingerprint as colon
// hex, and subject alternative names by kind.
func TestFingerprintAndSANs(t *testing.T) {
	key := signers(t)["ecdsa"]
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fp.test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	sum := sha256.Sum256(der)
	if got := Fingerprint(cert); len(got) != 95 || got != ColonHex(sum[:]) || strings.ToUpper(got) != got {
		t.Errorf("Fingerprint = %q", got)
	}
	if got := ColonHex([]byte{0x0a, 0xff, 0}); got != "0A:FF:00" {
		t.Errorf("ColonHex = %q", got)
	}
	u, _ := url.Parse("spiffe://example.test/svc")
	got := strings.Join(SANStrings([]string{"a.test"}, []string{"ops@a.test"}, []net.IP{net.ParseIP("127.0.0.1")}, []*url.URL{u}), ",")
	if want := "DNS:a.test,email:ops@a.test,IP:127.0.0.1,URI:spiffe://example.test/svc"; got != want {
		t.Errorf("SANStrings = %q, want %q", got, want)
	}
	two := EncodeCertificatesPEM(cert, cert)
	if certs, err := ParseCertificates(two); err != nil || len(certs) != 2 || !certs[1].Equal(cert) {
		t.Errorf("EncodeCertificatesPEM round trip: %d certificates, %v", len(certs), err)
	}
}
