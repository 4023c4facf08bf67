package inspect

import (
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"software.sslmate.com/src/go-pkcs12"
)

// fuzzLimit is the walker's bound in FuzzPKCS12Walk: low, so that go-pkcs12 can be run on any
// input the walker lets through.
const fuzzLimit = 10_000

// FuzzPKCS12Walk holds the walker and the decode built on it to go-pkcs12, the reference:
//
//   - the walker never panics;
//   - it never calls malformed a file go-pkcs12 decodes (it fails closed, so a structure it
//     cannot read is a refusal, and it must be one the library also refuses);
//   - on every file whose counts it let through, Decode reads what go-pkcs12 reads (the same
//     certificates in the same order, the same key) and refuses what it refuses, except the one
//     layout Decode refuses by design, a key inside an encrypted content.
//
// Run by hand: go test ./inspect -run '^$' -fuzz FuzzPKCS12Walk -fuzztime 60s
func FuzzPKCS12Walk(f *testing.F) {
	for _, seed := range pkcs12Seeds(f) {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withPassword bool) {
		password := ""
		if withPassword {
			password = "secret"
		}
		_, err := walkPFX(data, fuzzLimit)
		var shape decodePFXShape
		if !decodeExact(data, &shape) || shape.Version != 3 {
			return // Decode never walks it
		}
		var le *material.KDFLimitError
		if errors.As(err, &le) {
			return // go-pkcs12 could take any time
		}
		lib := libraryDecodeWithin(t, data, password)
		if err != nil {
			if !errors.Is(err, errPFXMalformed) {
				t.Fatalf("walker error of an unknown kind: %v", err)
			}
			if lib.err == nil {
				t.Fatalf("walker refused (%v) a file go-pkcs12 decodes", err)
			}
			return
		}
		items, err := Decode(data, DecodeOptions{Password: []byte(password)})
		if lib.err != nil {
			if err == nil {
				t.Fatalf("Decode read %d items, go-pkcs12 refused: %v", len(items), lib.err)
			}
			return
		}
		if err != nil {
			if containsHiddenKeyReason(err) {
				return
			}
			t.Fatalf("Decode: %v; go-pkcs12 decodes the file", err)
		}
		var certs []*x509.Certificate
		var key crypto.PrivateKey
		for _, it := range items {
			if it.Kind == KindCertificate {
				certs = append(certs, it.Cert)
			} else {
				key = it.PrivateKey
			}
		}
		if len(certs) != len(lib.certs) {
			t.Fatalf("Decode gave %d certificates, go-pkcs12 %d", len(certs), len(lib.certs))
		}
		for i := range certs {
			if !certs[i].Equal(lib.certs[i]) {
				t.Fatalf("certificate %d differs", i)
			}
		}
		if (key == nil) != (lib.key == nil) {
			t.Fatalf("key %T, go-pkcs12's %T", key, lib.key)
		}
		if k, ok := lib.key.(interface{ Equal(crypto.PrivateKey) bool }); ok && !k.Equal(key) {
			t.Fatal("the key differs from go-pkcs12's")
		}
	})
}

// containsHiddenKeyReason reports whether err is Decode's refusal of a key inside an encrypted
// content.
func containsHiddenKeyReason(err error) bool {
	msg := err.Error()
	want := errPFXHiddenKey.Error()
	return len(msg) >= len(want) && msg[len(msg)-len(want):] == want
}

type libraryResult struct {
	key   any
	certs []*x509.Certificate
	err   error
}

// libraryDecodeWithin is the password trial of pfxWalk.decode, done by go-pkcs12 on the file
// itself; more than 5 s means a derivation the walker did not bound.
func libraryDecodeWithin(t *testing.T, data []byte, password string) libraryResult {
	t.Helper()
	done := make(chan libraryResult, 1)
	go func() { done <- libraryDecode(data, password) }()
	select {
	case r := <-done:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("go-pkcs12 ran for more than 5 s on a file the walker bounded to 10000 iterations")
		return libraryResult{}
	}
}

func libraryDecode(data []byte, password string) libraryResult {
	incorrect := func(err error) bool {
		return errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption)
	}
	pw := ""
	key, leaf, chain, err := pkcs12.DecodeChain(data, pw)
	if incorrect(err) {
		if password == "" {
			return libraryResult{err: err}
		}
		pw = password
		if key, leaf, chain, err = pkcs12.DecodeChain(data, pw); incorrect(err) {
			return libraryResult{err: err}
		}
	}
	if err == nil {
		if _, err := material.Signer(key); err != nil {
			return libraryResult{err: err}
		}
		return libraryResult{key: key, certs: append([]*x509.Certificate{leaf}, chain...)}
	}
	if ts, tsErr := pkcs12.DecodeTrustStore(data, pw); tsErr == nil && len(ts) > 0 {
		return libraryResult{certs: ts}
	}
	return libraryResult{err: err}
}

// pkcs12Seeds are valid files of every layout the tests know: go-pkcs12's encoders, files built
// piece by piece (PBMAC1, a MAC on an empty byte string, the key before or after the
// certificates, a Java trust store) and, where openssl is installed, what openssl pkcs12 -export
// writes.
func pkcs12Seeds(tb testing.TB) [][]byte {
	m := decTestMaterial(tb)
	chain := []*x509.Certificate{m.cert}
	seeds := [][]byte{m.p12Empty, m.p12Pass, m.p12RC2}
	for _, enc := range []*pkcs12.Encoder{pkcs12.LegacyDES, pkcs12.Passwordless, pkcs12.Modern2023.WithIterations(3)} {
		pw := "secret"
		if enc == pkcs12.Passwordless {
			pw = ""
		}
		p12, err := enc.Encode(m.rsaKey, m.leaf, chain, pw)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, p12)
	}
	ts, err := pkcs12.Modern2023.WithIterations(3).EncodeTrustStore([]*x509.Certificate{m.cert, m.leaf}, "")
	if err != nil {
		tb.Fatal(err)
	}
	seeds = append(seeds, ts)

	key, err := x509.MarshalPKCS8PrivateKey(m.ecKey)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, ca := p12CertBag(tb, m.leaf.Raw), p12CertBag(tb, m.cert.Raw)
	shrouded := p12Shrouded(tb, p12PBES2(tb, 3), p12Encrypt(tb, "secret", 3, key))
	enc := p12Encrypted(tb, p12PBES2(tb, 2), p12Encrypt(tb, "secret", 2, p12SafeContents(tb, leaf, ca)))
	secret, _ := bmpPassword("secret")
	seeds = append(seeds,
		p12PFX(tb, p12PBMAC1("secret", 4, 32), enc, p12Data(tb, shrouded)),
		p12PFX(tb, p12ClassicMAC(secret, 4), p12Data(tb, shrouded), enc),
		p12PFX(tb, p12ClassicMAC(nil, 4), p12Data(tb, leaf, p12KeyBag(tb, key), ca)),
		p12PFX(tb, nil, p12Data(tb, leaf, p12KeyBag(tb, key))),
		p12PFX(tb, nil, p12Encrypted(tb, p12PBE(tb, pfxOIDPBEWithSHA3DES, 5), make([]byte, 16))),
	)
	return append(seeds, opensslPKCS12Seeds(tb, m)...)
}

// opensslPKCS12Seeds are openssl pkcs12 -export's files for the same key and certificate, in
// its main variants; none when openssl is missing (TestPKCS12OpenSSLFiles fails then).
func opensslPKCS12Seeds(tb testing.TB, m *decMaterial) [][]byte {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		return nil
	}
	dir := tb.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(m.rsaKey)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "k.pem"), decPEM("PRIVATE KEY", keyDER), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.pem"), decCat(decPEM("CERTIFICATE", m.leaf.Raw), decPEM("CERTIFICATE", m.cert.Raw)), 0o600); err != nil {
		tb.Fatal(err)
	}
	var seeds [][]byte
	for i, extra := range [][]string{
		{"-passout", "pass:secret", "-iter", "3"},
		{"-passout", "pass:", "-iter", "3", "-macalg", "sha1"},
		{"-passout", "pass:secret", "-iter", "3", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha512"},
		{"-passout", "pass:secret", "-iter", "3", "-keypbe", "NONE", "-certpbe", "NONE"},
	} {
		out := filepath.Join(dir, "o.p12")
		args := append([]string{"pkcs12", "-export", "-in", filepath.Join(dir, "c.pem"), "-inkey", filepath.Join(dir, "k.pem"), "-out", out}, extra...)
		if b, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			tb.Fatalf("openssl seed %d: %v: %s", i, err, b)
		}
		p12, err := os.ReadFile(out)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, p12)
	}
	return seeds
}

// TestPKCS12WalkSeeds runs the fuzz properties over the seeds alone, in every test run.
func TestPKCS12WalkSeeds(t *testing.T) {
	for i, seed := range pkcs12Seeds(t) {
		w, err := walkPFX(seed, material.MaxKDFIterations)
		if err != nil {
			t.Fatalf("seed %d: walk: %v", i, err)
		}
		if len(w.counts) == 0 && w.mac != nil {
			t.Fatalf("seed %d: no counts seen", i)
		}
		for _, pw := range []string{"", "secret"} {
			compareWithLibrary(t, seed, pw)
		}
	}
}
