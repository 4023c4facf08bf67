package keyschedule_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
)

const (
	random1 = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
	random2 = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	hex32a  = "1111111111111111111111111111111111111111111111111111111111111111"
	hex32b  = "2222222222222222222222222222222222222222222222222222222222222222"
	hex32c  = "3333333333333333333333333333333333333333333333333333333333333333"
	hex32d  = "4444444444444444444444444444444444444444444444444444444444444444"
	hex48   = "555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
)

func TestParseKeyLog(t *testing.T) {
	type want struct {
		random                 string
		chts, shts, cts0, sts0 string
		early, master          string
	}
	tests := []struct {
		name string
		in   string
		want []want
	}{
		{"empty input", "", nil},
		{"only comments and blanks", "# nothing here\n\n   \n\t# indented comment\n", nil},
		{
			"TLS 1.3 as crypto/tls writes it",
			"CLIENT_HANDSHAKE_TRAFFIC_SECRET " + random1 + " " + hex32a + "\n" +
				"SERVER_HANDSHAKE_TRAFFIC_SECRET " + random1 + " " + hex32b + "\n" +
				"CLIENT_TRAFFIC_SECRET_0 " + random1 + " " + hex32c + "\n" +
				"SERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32d + "\n",
			[]want{{random: random1, chts: hex32a, shts: hex32b, cts0: hex32c, sts0: hex32d}},
		},
		{
			"CRLF, comments, no final newline, upper-case hex, SHA-384 sizes",
			"# SSL/TLS secrets log file\r\n\r\n" +
				"CLIENT_HANDSHAKE_TRAFFIC_SECRET " + strings.ToUpper(random1) + " " + hex48 + "\r\n" +
				"CLIENT_EARLY_TRAFFIC_SECRET " + random1 + " " + hex48,
			[]want{{random: random1, chts: hex48, early: hex48}},
		},
		{
			"TLS 1.2 and two connections",
			"CLIENT_RANDOM " + random1 + " " + hex48 + "\n" +
				"SERVER_HANDSHAKE_TRAFFIC_SECRET " + random2 + " " + hex32b + "\n",
			[]want{{random: random1, master: hex48}, {random: random2, shts: hex32b}},
		},
		{
			"unknown labels skipped, even odd-sized ones",
			"EXPORTER_SECRET " + random1 + " " + hex32a + "\n" +
				"RSA 0102030405060708 " + hex48 + "\n" +
				"ECH_SECRET " + random2 + " 00\n" +
				"SERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32d + "\n",
			[]want{{random: random1, sts0: hex32d}},
		},
		{
			"same secret twice",
			"SERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32d + "\n" +
				"SERVER_TRAFFIC_SECRET_0 " + random1 + " " + strings.ToUpper(hex32d) + "\n",
			[]want{{random: random1, sts0: hex32d}},
		},
		{"extra spaces and tabs between fields", "CLIENT_RANDOM \t " + random1 + "   " + hex48 + "  ", []want{{random: random1, master: hex48}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keyschedule.ParseKeyLog([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("nil map")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d connections, want %d", len(got), len(tt.want))
			}
			for _, w := range tt.want {
				k := got[w.random]
				if k == nil {
					t.Fatalf("no entry for %s; have %v", w.random, mapKeys(got))
				}
				for _, f := range []struct {
					name string
					got  []byte
					want string
				}{
					{"ClientRandom", k.ClientRandom, w.random},
					{"ClientHandshakeTrafficSecret", k.ClientHandshakeTrafficSecret, w.chts},
					{"ServerHandshakeTrafficSecret", k.ServerHandshakeTrafficSecret, w.shts},
					{"ClientTrafficSecret0", k.ClientTrafficSecret0, w.cts0},
					{"ServerTrafficSecret0", k.ServerTrafficSecret0, w.sts0},
					{"ClientEarlyTrafficSecret", k.ClientEarlyTrafficSecret, w.early},
					{"MasterSecret", k.MasterSecret, w.master},
				} {
					if w := unhex(t, f.want); !bytes.Equal(f.got, w) || (f.want == "") != (f.got == nil) {
						t.Errorf("%s = %x, want %q", f.name, f.got, f.want)
					}
				}
			}
		})
	}
}

// TestParseKeyLogErrors: a line that is not key log grammar, or a kept label with impossible
// values, fails the whole parse with the line number. Errors must not quote secrets.
func TestParseKeyLogErrors(t *testing.T) {
	secretLooking := "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	tests := []struct {
		name     string
		in       string
		wantLine string
	}{
		{"garbage line", "# ok\nthis is not a key log\n", "line 2"},
		{"one word", "HELLO\n", "line 1"},
		{"two fields", "CLIENT_RANDOM " + random1 + "\n", "line 1"},
		{"four fields", "CLIENT_RANDOM " + random1 + " " + hex48 + " extra\n", "line 1"},
		{"lower-case label", "client_random " + random1 + " " + hex48 + "\n", "line 1"},
		{"label with punctuation", "CLIENT-RANDOM " + random1 + " " + hex48 + "\n", "line 1"},
		{"random not hex", "CLIENT_RANDOM " + strings.Repeat("zz", 32) + " " + hex48 + "\n", "line 1"},
		{"secret not hex", "SERVER_TRAFFIC_SECRET_0 " + random1 + " " + secretLooking[:63] + "g\n", "line 1"},
		{"odd-length hex", "SERVER_TRAFFIC_SECRET_0 " + random1 + " " + secretLooking[:63] + "\n", "line 1"},
		{"unknown label, bad hex", "EXPORTER_SECRET " + random1 + " xyz\n", "line 1"},
		{"short client random", "CLIENT_RANDOM " + random1[:62] + " " + hex48 + "\n", "line 1"},
		{"long client random", "CLIENT_RANDOM " + random1 + "00 " + hex48 + "\n", "line 1"},
		{"TLS 1.2 master secret of 32 bytes", "CLIENT_RANDOM " + random1 + " " + hex32a + "\n", "line 1"},
		{"TLS 1.3 secret of 33 bytes", "SERVER_TRAFFIC_SECRET_0 " + random1 + " " + secretLooking + "00\n", "line 1"},
		{"one-byte secret", "SERVER_TRAFFIC_SECRET_0 " + random1 + " 00\n", "line 1"},
		{
			"conflicting secrets",
			"\n\nSERVER_TRAFFIC_SECRET_0 " + random1 + " " + secretLooking + "\n" +
				"SERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32d + "\n",
			"line 4",
		},
		{"NUL bytes", "CLIENT_RANDOM\x00" + random1 + " " + hex48 + "\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keyschedule.ParseKeyLog([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error; got %d connections", len(got))
			}
			if got != nil {
				t.Errorf("non-nil map alongside an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantLine) {
				t.Errorf("error %q does not name %s", msg, tt.wantLine)
			}
			for _, s := range []string{secretLooking[:16], hex32d[:16], hex48[:16]} {
				if strings.Contains(msg, s) {
					t.Errorf("error %q quotes a secret", msg)
				}
			}
		})
	}
}

func mapKeys(m map[string]*keyschedule.KeyLog) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
