package scan

import (
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os/exec"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestKnownDHPrimes: each computed group is the RFC's. RFC 2409's 1024-bit prime against its
// published digits; RFC 3526's and RFC 7919's against the copies OpenSSL (the reference) has
// built in, read back in the same run.
func TestKnownDHPrimes(t *testing.T) {
	oakley, _ := new(big.Int).SetString(oakley2Prime, 16)
	if got := DHPrimeName(oakley.Bytes()); got != "RFC 2409 group 2 (1024-bit MODP)" {
		t.Errorf("RFC 2409's published 1024-bit prime is named %q", got)
	}
	if got := DHPrimeName(append([]byte{0}, oakley.Bytes()...)); got == "" {
		t.Error("a leading zero byte hides the name")
	}
	if got := DHPrimeName(big.NewInt(23).Bytes()); got != "" {
		t.Errorf("23 is named %q", got)
	}
	openssl := peertest.Need(t, "openssl")
	for group, name := range map[string]string{
		"modp_1536": "RFC 3526 group 5 (1536-bit MODP)", "modp_2048": "RFC 3526 group 14 (2048-bit MODP)",
		"modp_3072": "RFC 3526 group 15 (3072-bit MODP)", "modp_4096": "RFC 3526 group 16 (4096-bit MODP)",
		"modp_6144": "RFC 3526 group 17 (6144-bit MODP)", "modp_8192": "RFC 3526 group 18 (8192-bit MODP)",
		"ffdhe2048": "ffdhe2048 (RFC 7919)", "ffdhe3072": "ffdhe3072 (RFC 7919)", "ffdhe4096": "ffdhe4096 (RFC 7919)",
		"ffdhe6144": "ffdhe6144 (RFC 7919)", "ffdhe8192": "ffdhe8192 (RFC 7919)",
	} {
		pemOut, err := exec.Command(openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:"+group).Output()
		if err != nil {
			t.Fatalf("openssl genpkey group:%s: %v", group, err)
		}
		// PKCS#3 DHParameter: SEQUENCE { prime INTEGER, base INTEGER }, explicit even for a
		// named group.
		block, _ := pem.Decode(pemOut)
		var params struct{ P, G *big.Int }
		if block == nil {
			t.Fatalf("%s: no PEM from openssl", group)
		}
		if _, err := asn1.Unmarshal(block.Bytes, &params); err != nil || params.P == nil {
			t.Fatalf("%s: %v", group, err)
		}
		p := params.P.Bytes()
		if got := DHPrimeName(p); got != name {
			t.Errorf("OpenSSL's %s prime is named %q, want %q", group, got, name)
		}
	}
}
