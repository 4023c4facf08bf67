package inspect

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// bundleItems collects what b.Each yields.
func bundleItems(t testing.TB, b *Bundle) []Item {
	t.Helper()
	var items []Item
	if err := b.Each(context.Background(), func(it Item) error {
		items = append(items, it)
		return nil
	}); err != nil {
		t.Fatalf("Each: %v", err)
	}
	return items
}

// sameItems says how got differs from want (Decode's items), or "" when it does not: the same
// items in the same order, of the same content (parsed again, so compared by encoding).
func sameItems(got, want []Item) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d items, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Index != w.Index || g.PEMType != w.PEMType || g.Encrypted != w.Encrypted || g.FromPKCS12 != w.FromPKCS12 {
			return fmt.Sprintf("item %d: %+v, want %+v", i, g, w)
		}
		ok := true
		switch {
		case w.Cert != nil:
			ok = g.Cert != nil && g.Cert.Equal(w.Cert)
		case w.CSR != nil:
			ok = g.CSR != nil && string(g.CSR.Raw) == string(w.CSR.Raw)
		case w.CRL != nil:
			ok = g.CRL != nil && string(g.CRL.Raw) == string(w.CRL.Raw)
		case w.PrivateKey != nil:
			ok = g.PrivateKey != nil && reflect.DeepEqual(g.PrivateKey.Public(), w.PrivateKey.Public())
		case w.X25519Key != nil:
			ok = g.X25519Key != nil && g.X25519Key.Equal(w.X25519Key)
		case w.ECH != nil:
			ok = g.ECH != nil && reflect.DeepEqual(*g.ECH, *w.ECH)
		default:
			ok = reflect.DeepEqual(g.PublicKey, w.PublicKey)
		}
		if !ok {
			return fmt.Sprintf("item %d (%s): different content", i, w.Kind)
		}
	}
	return ""
}

// TestDecodeBundle holds DecodeBundle and Each to Decode: the same error, or the same items in
// the same order, with Len and Count counting them, for PEM with text around the blocks, DER and
// PKCS#12 (FuzzDecode does the same on any input).
func TestDecodeBundle(t *testing.T) {
	m := decTestMaterial(t)
	pw := DecodeOptions{Password: []byte("secret")}
	bundle := decCat([]byte("\xef\xbb\xbfbefore\n"), decPEM("CERTIFICATE", m.cert.Raw), []byte("between\n"),
		decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8), decPEM("UNKNOWN", []byte("x")), decPEM("CERTIFICATE REQUEST", m.csrDER),
		decPEM("X509 CRL", m.crlDER), decPEM("CERTIFICATE", m.leaf.Raw), []byte("after"))
	tests := []struct {
		name string
		data []byte
		opts DecodeOptions
	}{
		{"pem bundle", bundle, pw},
		{"pem bundle without password", bundle, DecodeOptions{}},
		{"der certificate", m.cert.Raw, DecodeOptions{}},
		{"pkcs12", m.p12Pass, pw},
		{"only unknown blocks", decPEM("UNKNOWN", []byte("x")), DecodeOptions{}},
		{"malformed last block", decCat(decPEM("CERTIFICATE", m.cert.Raw), []byte("-----BEGIN CERTIFICATE-----\n!!\n")), DecodeOptions{}},
		{"empty", nil, DecodeOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := Decode(tt.data, tt.opts)
			b, err := DecodeBundle(context.Background(), tt.data, tt.opts)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || errors.Is(err, ErrNothingFound) != errors.Is(wantErr, ErrNothingFound) {
				t.Fatalf("error %v, want %v", err, wantErr)
			}
			if err != nil {
				if b != nil {
					t.Fatal("a Bundle with an error")
				}
				return
			}
			if diff := sameItems(bundleItems(t, b), want); diff != "" {
				t.Fatal(diff)
			}
			// Each again: a Bundle is walked as often as asked.
			if diff := sameItems(bundleItems(t, b), want); diff != "" {
				t.Fatalf("second Each: %s", diff)
			}
			if b.Len() != len(want) {
				t.Errorf("Len %d, want %d", b.Len(), len(want))
			}
			counts := map[Kind]int{}
			for _, it := range want {
				counts[it.Kind]++
			}
			for _, k := range []Kind{KindCertificate, KindCertificateRequest, KindPrivateKey, KindPublicKey, KindCRL} {
				if b.Count(k) != counts[k] {
					t.Errorf("Count(%s) %d, want %d", k, b.Count(k), counts[k])
				}
			}
		})
	}
}

// TestBundleDecryptsOnce checks that Each hands over the key DecodeBundle decrypted rather than
// deriving the password's key again (up to seconds each, at material.MaxKDFIterations): the same
// *ecdsa.PrivateKey every time, where decoding again would make a new one.
func TestBundleDecryptsOnce(t *testing.T) {
	m := decTestMaterial(t)
	data := decCat(decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8), decPEM("PRIVATE KEY", m.pkcs8))
	b, err := DecodeBundle(context.Background(), data, DecodeOptions{Password: []byte("secret")})
	if err != nil {
		t.Fatal(err)
	}
	first, second := bundleItems(t, b), bundleItems(t, b)
	if first[0].PrivateKey != second[0].PrivateKey {
		t.Error("the encrypted key was decrypted again")
	}
	if first[1].PrivateKey == second[1].PrivateKey {
		t.Error("the plain key was kept: only keys behind a password should be")
	}
}

// TestBundleEachStops checks that Each returns yield's error and the context's cause, and stops.
func TestBundleEachStops(t *testing.T) {
	m := decTestMaterial(t)
	data := decCat(decPEM("CERTIFICATE", m.cert.Raw), decPEM("CERTIFICATE", m.leaf.Raw))
	for _, b := range []*Bundle{mustBundle(t, data), NewBundle([]Item{{Kind: KindCertificate, Cert: m.cert}, {Kind: KindCertificate, Index: 1, Cert: m.leaf}})} {
		stop := errors.New("stop")
		n := 0
		if err := b.Each(context.Background(), func(Item) error { n++; return stop }); err != stop || n != 1 {
			t.Errorf("Each: %v after %d items, want stop after 1", err, n)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		cause := errors.New("interrupted")
		n = 0
		err := b.Each(ctx, func(Item) error { n++; cancel(cause); return nil })
		if err != cause || n != 1 {
			t.Errorf("Each under a cancelled context: %v after %d items, want the cause after 1", err, n)
		}
	}
}

func mustBundle(t *testing.T, data []byte) *Bundle {
	t.Helper()
	b, err := DecodeBundle(context.Background(), data, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
