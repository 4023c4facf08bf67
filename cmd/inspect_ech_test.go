package cmd

import (
	"bytes"
	"crypto/ecdh"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// echFiles are ECH inputs in every form inspect reads, made from fixed bytes (the goldens pin
// what is shown of them).
type echFiles struct {
	list     []byte // one X25519 config with two extensions, one mandatory
	p256List []byte // a P-256 config (a 65-byte key, shortened in text) and one of a later version
	keyFile  []byte // RFC 9934: PKCS#8 X25519 key, then the ECHCONFIG block of list
}

func makeECHFiles(t *testing.T) echFiles {
	t.Helper()
	x, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x5a}, 32))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ecdh.P256().NewPrivateKey(bytes.Repeat([]byte{0x17}, 32))
	if err != nil {
		t.Fatal(err)
	}
	config := func(c wire.ECHConfig) []byte {
		b, err := wire.MarshalECHConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	list := func(configs ...[]byte) []byte {
		b, err := wire.MarshalECHConfigList(configs...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var f echFiles
	f.list = list(config(wire.ECHConfig{ConfigID: 7, KEM: wire.HPKEKemX25519, PublicKey: x.PublicKey().Bytes(),
		CipherSuites: []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}, {KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadChaCha20}},
		PublicName:   "public.example.test", Extensions: []wire.ECHConfigExtension{{Type: 0x1234, Data: []byte{1, 2}}, {Type: 0xfe01}}}))
	f.p256List = list(config(wire.ECHConfig{ConfigID: 200, KEM: wire.HPKEKemP256, PublicKey: p.PublicKey().Bytes(),
		CipherSuites:      []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES256GCM}, {KDF: 0x0099, AEAD: 0x0077}},
		MaximumNameLength: 64, PublicName: "ech.b.example.test"}), []byte{0xfe, 0x0e, 0x00, 0x03, 0x01, 0x02, 0x03})
	der, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	f.keyFile = append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: f.list})...)
	return f
}

// write puts every form in dir: ech.pem (the key file), ech.bin, ech.b64 (wrapped at 64, as
// PEM bodies are), ech.url (URL-safe, unpadded), rr.txt (dig's answer for two records), and
// malformed ones: bad.pem (the ECHCONFIG block cut short), badrr.txt (an ech= that is no list).
func (f echFiles) write(t *testing.T, dir string) {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString(f.list)
	var wrapped strings.Builder
	for s := b64; s != ""; {
		n := min(64, len(s))
		wrapped.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	cut := base64.StdEncoding.EncodeToString(f.list[:len(f.list)-4])
	files := map[string]string{
		"ech.pem": string(f.keyFile),
		"ech.bin": string(f.list),
		"ech.b64": wrapped.String(),
		"ech.url": base64.RawURLEncoding.EncodeToString(f.list),
		"rr.txt": ";; ANSWER SECTION:\n" +
			"a.example.test.\t\t300\tIN\tHTTPS\t1 . alpn=\"h2,h3\" ech=\"" + b64 + "\" ipv4hint=192.0.2.1\n" +
			"b.example.test.\t\t300\tIN\tHTTPS\t1 . ech=" + base64.StdEncoding.EncodeToString(f.p256List) + "\n",
		"bad.pem":   "-----BEGIN ECHCONFIG-----\n" + cut + "\n-----END ECHCONFIG-----\n",
		"badrr.txt": "example.test. 300 IN HTTPS 1 . ech=\"" + cut + "\"\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInspectECHGolden pins inspect's text and JSON for ECH configurations: the key file (its
// key described, never printed), and two DNS records, one with a long key shortened but for
// -v, unknown algorithms by code point, and a config of a later version skipped. A terminal's
// rendering is a pipe's (one layout), coloured unless NO_COLOR.
func TestInspectECHGolden(t *testing.T) {
	cases := []struct {
		golden string
		args   []string
	}{
		{"inspect-ech.txt", []string{"inspect", "ech.pem"}},
		{"inspect-ech-dns.txt", []string{"inspect", "rr.txt"}},
		{"inspect-ech-dns-verbose.txt", []string{"inspect", "rr.txt", "-v"}},
		{"inspect-ech.json", []string{"inspect", "ech.pem", "-o", "json"}},
		{"inspect-ech-dns.json", []string{"inspect", "rr.txt", "-o", "json"}},
	}
	// Run where the files are, so that the sources are their short names; compared once the
	// working directory is back (the goldens are under it).
	got := map[string][2]string{}
	var colour string
	t.Run("run", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		makeECHFiles(t).write(t, dir)
		run := func(r cliRun) string {
			res := r.run(t)
			if res.code != ExitOK || res.stderr != "" {
				t.Fatalf("%v: exit %d: %s", r.args, res.code, res.stderr)
			}
			return res.stdout
		}
		for _, tc := range cases {
			got[tc.golden] = [2]string{run(cliRun{args: tc.args}),
				run(cliRun{args: tc.args, outTTY: true, env: map[string]string{"NO_COLOR": "1"}})}
		}
		colour = run(cliRun{args: []string{"inspect", "rr.txt"}, outTTY: true})
	})
	for _, tc := range cases {
		out, ok := got[tc.golden]
		if !ok {
			t.Fatal("not run")
		}
		golden(t, tc.golden, out[0])
		golden(t, tc.golden, out[1]) // one layout: a terminal's is a pipe's
	}
	golden(t, "inspect-ech-dns-tty-color.txt", colour)
}

// TestInspectECHInputs is the CLI's side of every ECH form: each file form and stdin to the
// same configs, the key never printed, -o pem as an ECHCONFIG block, and the malformed ones one
// line naming the file, exit 1 (as for any input inspect cannot read).
func TestInspectECHInputs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	f := makeECHFiles(t)
	f.write(t, dir)
	b64 := base64.StdEncoding.EncodeToString(f.list)
	const config = "  config 0: version 0xfe0d (RFC 9849)\n    config id: 7\n    kem: DHKEM(X25519, HKDF-SHA256) (0x0020)\n"
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   []string
		err   string
	}{
		{"key file", []string{"inspect", "ech.pem"}, "", ExitOK, []string{"source: ech.pem (2 items)\n[0] private key X25519, pin sha256//", "[1] ech config list (1 config, ", config}, ""},
		{"binary", []string{"inspect", "ech.bin"}, "", ExitOK, []string{"[0] ech config list (1 config, ", config}, ""},
		{"base64 wrapped", []string{"inspect", "ech.b64"}, "", ExitOK, []string{config}, ""},
		{"url-safe base64", []string{"inspect", "ech.url"}, "", ExitOK, []string{config}, ""},
		{"dns records", []string{"inspect", "rr.txt"}, "", ExitOK, []string{"source: rr.txt (2 items)\n[0] ech config list (1 config, 86 bytes) from the DNS record of a.example.test.\n" + config,
			"[1] ech config list (2 configs, "}, ""},
		{"stdin base64", []string{"inspect", "-"}, b64 + "\n", ExitOK, []string{"source: - (1 item)\n[0] ech config list", config}, ""},
		{"stdin dig +short", []string{"inspect", "-"}, `1 . alpn="h2" ech=` + b64 + "\n", ExitOK, []string{"[0] ech config list (1 config, 86 bytes)\n" + config}, ""},
		{"stdin key file", []string{"inspect", "-"}, string(f.keyFile), ExitOK, []string{"[0] private key X25519", config}, ""},
		{"beside other inputs", []string{"inspect", "ech.bin", "rr.txt"}, "", ExitOK, []string{"source: ech.bin (1 item)", "\nsource: rr.txt (2 items)"}, ""},
		{"pem out", []string{"inspect", "rr.txt", "-o", "pem"}, "", ExitOK, []string{"-----BEGIN ECHCONFIG-----\n"}, ""},
		{"malformed ECHCONFIG block", []string{"inspect", "bad.pem"}, "", ExitFailure, nil,
			"tlskit: bad.pem: block 1 (ECHCONFIG): malformed ECHConfigList: length exceeds the 82 bytes given\n"},
		{"malformed ech SvcParam", []string{"inspect", "badrr.txt"}, "", ExitFailure, nil,
			"tlskit: badrr.txt: line 1: the ech SvcParam is a malformed ECHConfigList: length exceeds the 82 bytes given\n"},
		{"malformed on stdin", []string{"inspect", "-"}, "ech=AE!x\n", ExitFailure, nil, "tlskit: -: line 1: the ech SvcParam is not base64 (illegal base64 data at input byte 2)\n"},
		{"malformed among several", []string{"inspect", "ech.bin", "bad.pem"}, "", ExitFailure, []string{"source: ech.bin (1 item)", "source: bad.pem\n  failed: block 1 (ECHCONFIG): malformed ECHConfigList"}, "bad.pem: block 1 (ECHCONFIG)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := cliRun{args: tt.args, stdin: tt.stdin}.run(t)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			for _, w := range tt.out {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, res.stdout)
				}
			}
			switch {
			case tt.code == ExitOK && res.stderr != "" && !strings.Contains(strings.Join(tt.args, " "), "-o pem"):
				t.Errorf("stderr %q", res.stderr)
			case tt.code != ExitOK && tt.out == nil && (res.stderr != tt.err || res.stdout != ""):
				t.Errorf("stdout %q, stderr %q; want only %q", res.stdout, res.stderr, tt.err)
			case tt.code != ExitOK && !strings.Contains(res.stderr, tt.err):
				t.Errorf("stderr %q lacks %q", res.stderr, tt.err)
			}
			if strings.Contains(res.stdout, "PRIVATE KEY") || strings.Contains(res.stdout, "5a5a5a5a") {
				t.Errorf("private key material on stdout:\n%s", res.stdout)
			}
		})
	}

	// -o pem gives the list as it was decoded, whatever form it came in.
	res := runCLI(t, "inspect", "ech.url", "-o", "pem")
	block, rest := pem.Decode([]byte(res.stdout))
	if block == nil || block.Type != "ECHCONFIG" || !bytes.Equal(block.Bytes, f.list) || len(rest) != 0 {
		t.Errorf("-o pem: %q", res.stdout)
	}
	// The key file's key is not written, and inspect says so.
	res = runCLI(t, "inspect", "ech.pem", "-o", "pem")
	if strings.Count(res.stdout, "-----BEGIN ") != 1 || !strings.Contains(res.stderr, "1 private key(s) not printed") {
		t.Errorf("-o pem of the key file: %q, %q", res.stdout, res.stderr)
	}

	// JSON: one document per input, the list's bytes whole.
	res = runCLI(t, "inspect", "ech.b64", "-o", "json")
	var rep struct {
		Items []struct {
			Kind string `json:"kind"`
			ECH  struct {
				Form    string `json:"form"`
				Length  int    `json:"length"`
				Configs []struct {
					Version   string `json:"version"`
					PublicKey string `json:"public_key"`
				} `json:"configs"`
			} `json:"ech_config_list"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Items) != 1 {
		t.Fatalf("JSON: %v\n%s", err, res.stdout)
	}
	if it := rep.Items[0]; it.Kind != "ech_config_list" || it.ECH.Form != "base64" || it.ECH.Length != len(f.list) ||
		len(it.ECH.Configs) != 1 || it.ECH.Configs[0].Version != "0xfe0d" || len(it.ECH.Configs[0].PublicKey) != 64 {
		t.Errorf("JSON item: %+v", it)
	}
}

// TestInspectOldKindsUnchanged: with the ECH forms added, what inspect read before it reads as
// before (a PEM certificate, its DER, a key), input it could not read fails as it did (garbage
// text, base64 of a certificate), and an argument that names a server is still one.
func TestInspectOldKindsUnchanged(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if res := runCLI(t, "cert", "selfsign", "old.test"); res.code != ExitOK {
		t.Fatal(res.stderr)
	}
	block, _ := pem.Decode(mustRead(t, "old.test.pem"))
	files := map[string][]byte{
		"old.der":     block.Bytes,
		"cert.b64":    []byte(base64.StdEncoding.EncodeToString(block.Bytes) + "\n"),
		"garbage.txt": []byte("not a certificate\n"),
		"notes.txt":   []byte("see tech=notes; mandatory=ech\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"inspect", "old.test.pem"}, ExitOK, "[0] certificate CN=old.test\n", ""},
		{[]string{"inspect", "old.der"}, ExitOK, "[0] certificate CN=old.test\n", ""},
		{[]string{"inspect", "old.test-key.pem"}, ExitOK, "[0] private key ECDSA P-256, pin sha256//", ""},
		{[]string{"inspect", "garbage.txt"}, ExitFailure, "", "tlskit: garbage.txt: no certificate, key, request or CRL found (the input is neither PEM nor DER)\n"},
		{[]string{"inspect", "cert.b64"}, ExitFailure, "", "tlskit: cert.b64: no certificate, key, request or CRL found (the input is neither PEM nor DER)\n"},
		{[]string{"inspect", "notes.txt"}, ExitFailure, "", "tlskit: notes.txt: no certificate, key, request or CRL found (the input is neither PEM nor DER)\n"},
	} {
		res := cliRun{args: tt.args}.run(t)
		if res.code != tt.code || !strings.Contains(res.stdout, tt.out) || res.stderr != tt.err {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, res.code, res.stdout, res.stderr, tt.code, tt.out, tt.err)
		}
	}
	// A server is told from a file by its colon, as before; base64 and zone-file lines are not
	// arguments (they are read from files and stdin).
	for arg, host := range map[string]bool{"example.com:443": true, "[::1]:8443": true, "https://example.com/": true,
		base64.StdEncoding.EncodeToString([]byte("\x00\x04\xfe\x0d\x00\x00")): false, "ech.pem": false} {
		if got := looksLikeHost(arg); got != host {
			t.Errorf("looksLikeHost(%q) = %v, want %v", arg, got, host)
		}
	}
}
