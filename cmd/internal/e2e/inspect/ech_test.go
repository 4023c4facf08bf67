//go:build unix

package inspect

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestInspectECHKeyFileOpenSSL: an ECH key file (RFC 9934) around a key OpenSSL made
// (openssl genpkey -algorithm X25519), its ECHCONFIG block built for OpenSSL's public key.
// tlskit describes the key as OpenSSL sees it (X25519, the pin of OpenSSL's public key), shows
// the config's key as the same bytes, and never prints the private key; OpenSSL still reads the
// file's key.
func TestInspectECHKeyFileOpenSSL(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()
	e2etest.OpenSSL(t, dir, "genpkey", "-algorithm", "X25519", "-out", "key.pem")
	spki := []byte(sh(t, dir, "openssl pkey -in key.pem -pubout -outform DER | od -An -v -tx1 | tr -d ' \\n'"))
	spkiDER, err := hex.DecodeString(string(spki))
	if err != nil || len(spkiDER) != 44 {
		t.Fatalf("openssl's X25519 public key: %q, %v", spki, err)
	}
	pub := spkiDER[len(spkiDER)-32:] // SubjectPublicKeyInfo: a 12-byte prefix, then the key
	config, err := wire.MarshalECHConfig(wire.ECHConfig{ConfigID: 3, KEM: wire.HPKEKemX25519, PublicKey: pub,
		CipherSuites: []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}}, PublicName: "ech.openssl.test"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := wire.MarshalECHConfigList(config)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(e2etest.ReadFile(t, dir, "key.pem"))
	e2etest.WriteFile(t, dir, "ech.pem", keyPEM+string(pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: list})))
	if out := e2etest.OpenSSL(t, dir, "pkey", "-in", "ech.pem", "-noout", "-text"); !strings.Contains(out, "X25519 Private-Key") {
		t.Fatalf("openssl does not read the key file's key:\n%s", out)
	}

	out := e2etest.Tlskit(t, dir, "inspect", "ech.pem", "-o", "json")
	var rep struct {
		Items []struct {
			Kind string `json:"kind"`
			Key  *struct {
				Type       string `json:"type"`
				SPKISHA256 string `json:"spki_sha256"`
				Private    bool   `json:"private"`
			} `json:"key"`
			ECH *struct {
				Configs []struct {
					PublicKey  string `json:"public_key"`
					PublicName string `json:"public_name"`
				} `json:"configs"`
			} `json:"ech_config_list"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Items) != 2 || rep.Items[0].Key == nil || rep.Items[1].ECH == nil {
		t.Fatalf("inspect -o json: %v\n%s", err, out)
	}
	sum := sha256.Sum256(spkiDER)
	if k := rep.Items[0].Key; rep.Items[0].Kind != "private_key" || k.Type != "X25519" || !k.Private || k.SPKISHA256 != "sha256//"+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("BUG: the key is %+v; openssl's public key hashes to %x", k, sum)
	}
	if c := rep.Items[1].ECH.Configs; len(c) != 1 || c[0].PublicKey != hex.EncodeToString(pub) || c[0].PublicName != "ech.openssl.test" {
		t.Errorf("BUG: configs %+v, want openssl's public key %x", c, pub)
	}
	text := e2etest.Tlskit(t, dir, "inspect", "ech.pem")
	privDER := sh(t, dir, "openssl pkey -in key.pem -outform DER | od -An -v -tx1 | tr -d ' \\n'")
	priv := privDER[len(privDER)-64:] // PKCS#8 of X25519: the 32-byte private key last
	privBytes, _ := hex.DecodeString(priv)
	for _, secret := range []string{priv, base64.StdEncoding.EncodeToString(privBytes), "-----BEGIN PRIVATE KEY"} {
		if strings.Contains(text+out, secret) {
			t.Errorf("BUG: private key material (%s) printed:\n%s", secret, text)
		}
	}
	e2etest.MustContain(t, "inspect ech.pem", text, "[0] private key X25519, pin sha256//", "[1] ech config list (1 config, ", "    public key: "+hex.EncodeToString(pub)+"\n")
}
