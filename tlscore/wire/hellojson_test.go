package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestClientHelloJSONNames: the offer's numbers have their names beside them, index for index.
func TestClientHelloJSONNames(t *testing.T) {
	ch := &ClientHello{CipherSuites: []uint16{0x1301, 0xc02b}, SupportedGroups: []uint16{29, 23}, SignatureAlgorithms: []uint16{0x0403}}
	js, err := json.Marshal(ch)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"cipher_suites":[4865,49195]`,
		`"cipher_suite_names":["TLS_AES_128_GCM_SHA256","TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]`,
		`"supported_group_names":["x25519","P-256"]`,
		`"signature_algorithm_names":["ecdsa_secp256r1_sha256"]`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("ClientHello JSON lacks %s:\n%s", want, js)
		}
	}
	if strings.Count(string(js), `"cipher_suites"`) != 1 {
		t.Errorf("a field written twice:\n%s", js)
	}
}
