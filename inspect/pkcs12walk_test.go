package inspect

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"software.sslmate.com/src/go-pkcs12"
)

// decodeWithin runs Decode and fails the test when it has not answered within d: the files here
// ask for 10^8 to 4*10^18 rounds of hashing, which before the walker took 17-32 s (10^8) or never
// ended (4*10^18); with it they are refused in under 50 ms.
func decodeWithin(t *testing.T, d time.Duration, data []byte, password string) ([]Item, error) {
	t.Helper()
	type result struct {
		items []Item
		err   error
	}
	done := make(chan result, 1)
	go func() {
		items, err := Decode(data, DecodeOptions{Password: []byte(password)})
		done <- result{items, err}
	}()
	select {
	case r := <-done:
		return r.items, r.err
	case <-time.After(d):
		t.Fatalf("no answer within %v: the key derivation was not bounded", d)
		return nil, nil
	}
}

const huge = 4_000_000_000_000_000_000

// TestPKCS12EveryIterationCountBounded puts an excessive count in each place a PKCS#12 file can
// carry one and expects a *material.KDFLimitError naming that place, within 3 s (before the fix:
// only the MAC's count was checked, and each of the others never returned).
func TestPKCS12EveryIterationCountBounded(t *testing.T) {
	m := decTestMaterial(t)
	cert := p12CertBag(t, m.leaf.Raw)
	ct := make([]byte, 32)
	over := int64(material.MaxKDFIterations + 1)
	tests := []struct {
		name  string
		file  []byte
		where string
		what  string
		value int64
	}{
		{"MAC", p12PFX(t, p12ClassicMAC(p12Empty, huge), p12Data(t, cert)), "MAC", "iteration count", huge},
		{"MAC one over the limit", p12PFX(t, p12ClassicMAC(p12Empty, over), p12Data(t, cert)), "MAC", "iteration count", over},
		{"PBMAC1", p12PFX(t, p12PBMAC1("", 100_000_000, 32), p12Data(t, cert)), "PBMAC1", "iteration count", 100_000_000},
		{"PBMAC1 key length", p12PFX(t, p12PBMAC1("", 1, 1<<30), p12Data(t, cert)), "PBMAC1", "key length", 1 << 30},
		{"encrypted content PBE 3DES, no MAC",
			p12PFX(t, nil, p12Encrypted(t, p12PBE(t, pfxOIDPBEWithSHA3DES, 100_000_000), ct)), "encrypted content 1", "iteration count", 100_000_000},
		{"encrypted content PBE RC2-40, no MAC",
			p12PFX(t, nil, p12Encrypted(t, p12PBE(t, pfxOIDPBEWithSHARC240, huge), ct)), "encrypted content 1", "iteration count", huge},
		{"encrypted content PBES2, no MAC",
			p12PFX(t, nil, p12Encrypted(t, p12PBES2(t, huge), ct)), "encrypted content 1", "iteration count", huge},
		{"second encrypted content, good MAC",
			p12PFX(t, p12ClassicMAC(p12Empty, 1), p12Data(t, cert), p12Encrypted(t, p12PBES2(t, huge), ct)), "encrypted content 2", "iteration count", huge},
		{"shrouded key PBES2",
			p12PFX(t, nil, p12Data(t, cert, p12Shrouded(t, p12PBES2(t, huge), ct))), "shrouded key bag 2 in content 1", "iteration count", huge},
		{"shrouded key PBE RC2-128 in the second content",
			p12PFX(t, nil, p12Encrypted(t, p12PBES2(t, 1), ct), p12Data(t, p12Shrouded(t, p12PBE(t, pfxOIDPBEWithSHARC2128, huge), ct))),
			"shrouded key bag 1 in content 2", "iteration count", huge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := decodeWithin(t, 3*time.Second, tt.file, "secret")
			var le *material.KDFLimitError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a KDFLimitError", err)
			}
			if le.Where != tt.where || le.What != tt.what || le.Value != tt.value || le.Limit != material.MaxKDFIterations && le.What == "iteration count" {
				t.Fatalf("limit error = %+v, want %s %s %d", le, tt.where, tt.what, tt.value)
			}
			var de *DecodeError
			if !errors.As(err, &de) || !strings.HasPrefix(de.Error(), "PKCS#12 file: "+tt.where+" "+tt.what) {
				t.Fatalf("message = %q", err)
			}
			t.Logf("refused in %v: %v", time.Since(start), err)
		})
	}
}

// TestPKCS12CountsAtTheLimitAccepted: the bound is inclusive and applies only where the library
// derives a key (the MacData count is unused under PBMAC1).
func TestPKCS12CountsAtTheLimitAccepted(t *testing.T) {
	m := decTestMaterial(t)
	cert := p12CertBag(t, m.leaf.Raw)
	file := p12PFX(t, p12ClassicMAC(p12Empty, material.MaxKDFIterations), p12Data(t, cert))
	w, err := walkPFX(file, material.MaxKDFIterations)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	if len(w.counts) != 1 || w.counts[0] != (pfxCount{"MAC", material.MaxKDFIterations}) {
		t.Fatalf("counts = %+v", w.counts)
	}
}

// TestPKCS12HiddenKeyBag: a shrouded key bag inside an encrypted content is out of the walker's
// sight, and go-pkcs12 would decrypt it straight after the content (4*10^18 rounds: never
// returns). The file must be refused within 3 s, whatever the MAC and password.
func TestPKCS12HiddenKeyBag(t *testing.T) {
	m := decTestMaterial(t)
	key, err := x509.MarshalPKCS8PrivateKey(m.rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	hidden := p12Shrouded(t, p12PBES2(t, huge), make([]byte, 32))
	inside := func(password string, bags ...[]byte) []byte {
		return p12Encrypted(t, p12PBES2(t, 1), p12Encrypt(t, password, 1, p12SafeContents(t, bags...)))
	}
	secret, _ := bmpPassword("secret")
	tests := []struct {
		name     string
		file     []byte
		password string
		want     string
	}{
		{"only content, no MAC", p12PFX(t, nil, inside("", p12CertBag(t, m.leaf.Raw), hidden)), "", "inside an encrypted content"},
		{"only content, MAC", p12PFX(t, p12ClassicMAC(p12Empty, 2), inside("", hidden)), "", "inside an encrypted content"},
		{"only content, MAC on an empty byte string", p12PFX(t, p12ClassicMAC(nil, 2), inside("", hidden)), "", "inside an encrypted content"},
		{"password", p12PFX(t, p12ClassicMAC(secret, 2), inside("secret", hidden)), "secret", "inside an encrypted content"},
		{"PBMAC1", p12PFX(t, p12PBMAC1("secret", 2, 32), inside("secret", hidden)), "secret", "inside an encrypted content"},
		{"before a data content without a key", p12PFX(t, nil, inside("", hidden), p12Data(t, p12CertBag(t, m.leaf.Raw))), "", "inside an encrypted content"},
		{"both contents encrypted", p12PFX(t, nil, inside("", p12CertBag(t, m.leaf.Raw)), inside("", hidden)), "", "inside an encrypted content"},
		// With a visible key too, the file has two keys, which go-pkcs12 refuses; it must do so
		// before it decrypts the hidden one.
		{"before a visible key", p12PFX(t, nil, inside("", p12CertBag(t, m.leaf.Raw), hidden), p12Data(t, p12KeyBag(t, key))), "", "expected exactly one key bag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeWithin(t, 3*time.Second, tt.file, tt.password)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestPKCS12LibraryRefusesSecondKeyBag pins what the rebuilt copy relies on: go-pkcs12 refuses a
// second key bag with this message before deriving that bag's key.
func TestPKCS12LibraryRefusesSecondKeyBag(t *testing.T) {
	dummy := pfxDummyKey()
	file := p12PFX(t, nil, p12Data(t, p12KeyBag(t, dummy.pkcs8), p12Shrouded(t, p12PBES2(t, huge), make([]byte, 32))))
	done := make(chan error, 1)
	go func() {
		_, _, _, err := pkcs12.DecodeChain(file, "")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || err.Error() != pfxKeyBagRefusal {
			t.Fatalf("err = %v, want %q", err, pfxKeyBagRefusal)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("go-pkcs12 derived the second key bag's key")
	}
}

// TestPKCS12RebuiltCopyDecodesLikeTheFile: on files that need the rebuilt copy (an encrypted
// content before the key), Decode must give what go-pkcs12 gives on the file itself:
// certificates in the file's order, the key, and the same verdict on passwords and tampering.
func TestPKCS12RebuiltCopyDecodesLikeTheFile(t *testing.T) {
	m := decTestMaterial(t)
	key, err := x509.MarshalPKCS8PrivateKey(m.rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, ca, extra := p12CertBag(t, m.leaf.Raw), p12CertBag(t, m.cert.Raw), p12CertBag(t, m.cert.Raw)
	shrouded := func(password string) []byte {
		return p12Shrouded(t, p12PBES2(t, 3), p12Encrypt(t, password, 3, key))
	}
	enc := func(password string, bags ...[]byte) []byte {
		return p12Encrypted(t, p12PBES2(t, 2), p12Encrypt(t, password, 2, p12SafeContents(t, bags...)))
	}
	secret, _ := bmpPassword("secret")
	tests := []struct {
		name     string
		file     []byte
		password string
	}{
		{"no MAC", p12PFX(t, nil, enc("", leaf, ca), p12Data(t, shrouded(""))), ""},
		{"key after a certificate in its content", p12PFX(t, nil, enc("", leaf), p12Data(t, extra, shrouded(""), ca)), ""},
		{"MAC, empty password", p12PFX(t, p12ClassicMAC(p12Empty, 5), enc("", leaf, ca), p12Data(t, shrouded(""))), ""},
		{"MAC on an empty byte string", p12PFX(t, p12ClassicMAC(nil, 5), enc("", leaf, ca), p12Data(t, p12KeyBag(t, key))), ""},
		{"password", p12PFX(t, p12ClassicMAC(secret, 5), enc("secret", leaf, ca), p12Data(t, shrouded("secret"))), "secret"},
		{"PBMAC1", p12PFX(t, p12PBMAC1("secret", 5, 32), enc("secret", leaf, ca), p12Data(t, shrouded("secret"))), "secret"},
		{"wrong password", p12PFX(t, p12ClassicMAC(secret, 5), enc("secret", leaf, ca), p12Data(t, shrouded("secret"))), "wrong"},
		{"no key, data content first", p12PFX(t, nil, p12Data(t, leaf), enc("", ca)), ""},
		{"certificates only", p12PFX(t, nil, enc("", leaf, ca)), ""},
		{"go-pkcs12 Modern2023", m.p12Pass, "secret"},
		{"go-pkcs12 LegacyRC2", m.p12RC2, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := mustWalk(t, tt.file).rebuildPlan(); !ok {
				t.Fatal("this file does not take the rebuilt copy; the test is not testing it")
			}
			compareWithLibrary(t, tt.file, tt.password)
			tampered := append([]byte(nil), tt.file...)
			tampered[len(tampered)/2] ^= 1
			if _, err := walkPFX(tampered, material.MaxKDFIterations); err == nil {
				compareWithLibrary(t, tampered, tt.password)
			}
		})
	}
}

func mustWalk(t testing.TB, file []byte) *pfxWalk {
	t.Helper()
	w, err := walkPFX(file, material.MaxKDFIterations)
	if err != nil {
		t.Fatalf("walk: %v", err)
	}
	return w
}

// compareWithLibrary decodes file with Decode and with go-pkcs12 (the same trials: the empty
// password, then the given one) and fails on any difference in certificates, key or success.
func compareWithLibrary(t testing.TB, file []byte, password string) {
	t.Helper()
	items, err := Decode(file, DecodeOptions{Password: []byte(password)})
	key, leaf, chain, libErr := pkcs12.DecodeChain(file, "")
	if errors.Is(libErr, pkcs12.ErrIncorrectPassword) || errors.Is(libErr, pkcs12.ErrDecryption) {
		key, leaf, chain, libErr = pkcs12.DecodeChain(file, password)
	}
	if libErr != nil {
		if err == nil && !onlyCertificates(items) {
			t.Fatalf("Decode read %d items, go-pkcs12 refused: %v", len(items), libErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("Decode: %v; go-pkcs12 read the file", err)
	}
	want := append([]*x509.Certificate{leaf}, chain...)
	if len(items) != len(want)+1 {
		t.Fatalf("Decode gave %d items, go-pkcs12 %d certificates and a key", len(items), len(want))
	}
	for i, c := range want {
		if items[i].Cert == nil || !items[i].Cert.Equal(c) {
			t.Fatalf("certificate %d differs from go-pkcs12's", i)
		}
	}
	k, ok := key.(interface {
		Equal(x crypto.PrivateKey) bool
	})
	if !ok || !k.Equal(items[len(want)].PrivateKey) {
		t.Fatal("the key differs from go-pkcs12's")
	}
}

func onlyCertificates(items []Item) bool {
	for _, it := range items {
		if it.Kind != KindCertificate {
			return false
		}
	}
	return true
}

// TestPKCS12DecodeStopsWhenCancelled: decoding under a cancelled context returns at once, in
// the walker's own MAC derivation (which looks at the context) and in go-pkcs12's (which runs
// in a goroutine that is left to finish). Both files are at the bound: 3-6 s of hashing each.
// Before the fix Decode had no context and Ctrl-C waited for the whole derivation.
func TestPKCS12DecodeStopsWhenCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("burns a core for a few seconds in the background")
	}
	m := decTestMaterial(t)
	ct := make([]byte, 32)
	tests := []struct {
		name string
		file []byte
	}{
		// An encrypted content before the certificate: inspect checks the MAC itself.
		{"own MAC derivation", p12PFX(t, p12ClassicMAC(p12Empty, material.MaxKDFIterations),
			p12Encrypted(t, p12PBES2(t, 1), ct), p12Data(t, p12CertBag(t, m.leaf.Raw)))},
		// No MAC, the key first: go-pkcs12 derives the key bag's key.
		{"go-pkcs12's derivation", p12PFX(t, nil, p12Data(t, p12Shrouded(t, p12PBES2(t, material.MaxKDFIterations), ct)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := DecodeContext(ctx, tt.file, DecodeOptions{})
			took := time.Since(start)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			// 100 ms until the cancel, then at most one look at the context (16384 rounds).
			if took > time.Second {
				t.Fatalf("returned %v after the start, want about 100 ms", took)
			}
			t.Logf("returned after %v", took)
		})
	}
}
