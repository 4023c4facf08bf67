//go:build unix

package handshake

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// serveCount names each serve's --write-cert file apart, so none needs --force.
var serveCount atomic.Int64

// echReport is the ech object of `tlskit handshake -o json`, decoded by the test's own struct.
type echReport struct {
	Accepted           bool   `json:"accepted"`
	PublicName         string `json:"public_name"`
	OuterSNI           string `json:"outer_sni"`
	HiddenSNI          string `json:"hidden_sni"`
	ConfigID           int    `json:"config_id"`
	RetryConfigList    []byte `json:"retry_config_list"`
	RetryAuthenticated bool   `json:"retry_authenticated"`
	Retried            bool   `json:"retried"`
	RetryConfigs       []struct {
		ConfigID   int    `json:"config_id"`
		PublicName string `json:"public_name"`
	} `json:"retry_configs"`
	FirstAttempt *struct {
		ConfigID int `json:"config_id"`
	} `json:"first_attempt"`
	DNSRecord *struct {
		Name   string `json:"name"`
		Server string `json:"server"`
	} `json:"dns_record"`
}

// echServe is a `tlskit serve --ech-key` and what its listening line announced.
type echServe struct {
	*e2etest.Server
	configList string // base64
	publicName string
	configID   int
	record     string
	ca         string // the ephemeral certificate, to verify with
}

func startECHServe(t *testing.T, dir, keyFile string, extra ...string) *echServe {
	t.Helper()
	ca := filepath.Join(dir, "serve-"+filepath.Base(keyFile)+"-"+strconv.FormatInt(serveCount.Add(1), 10))
	s := e2etest.StartServe(t, dir, append([]string{"--ech-key", keyFile, "--write-cert", ca, "-o", "json"}, extra...)...)
	line := strings.SplitN(s.Out.String(), "\n", 2)[0]
	var ev struct {
		ECH *struct {
			PublicName  string `json:"public_name"`
			ConfigID    int    `json:"config_id"`
			ConfigList  string `json:"config_list"`
			HTTPSRecord string `json:"https_record"`
			KeyFile     string `json:"key_file"`
		} `json:"ech"`
	}
	if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.ECH == nil || ev.ECH.ConfigList == "" || ev.ECH.KeyFile != keyFile {
		t.Fatalf("listening line %q has no ech object for %s (%v)", line, keyFile, err)
	}
	return &echServe{Server: s, configList: ev.ECH.ConfigList, publicName: ev.ECH.PublicName, configID: ev.ECH.ConfigID, record: ev.ECH.HTTPSRecord, ca: ca}
}

func echOf(t *testing.T, out string) *echReport {
	t.Helper()
	var doc struct {
		ECH *echReport `json:"ech"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.ECH == nil {
		t.Fatalf("no ech object in %s (%v)", out, err)
	}
	return doc.ECH
}

// TestECHWithServe: `tlskit handshake --ech` against `tlskit serve --ech-key`. Accepted: the
// ClientHello recorded on the wire carries only the public name (the outer hello, checked in
// its decoded bytes), the inner one the target's name, and serve logs both; rejected (a config
// of another key): exit 1 with serve's own config to retry with, authenticated by its
// certificate for the public name, and --ech-retry then succeeds; a malformed config is a
// one-line usage error. The key file is 0600, used again by the next run, and a file that is
// not a key is replaced only with --force.
func TestECHWithServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "ech.pem")
	s := startECHServe(t, dir, key)
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if s.publicName != "public.localhost" || !strings.HasPrefix(s.record, "_"+s.Port+"._https.localhost. 300 IN HTTPS 1 localhost. ") ||
		!strings.Contains(s.record, `ech="`+s.configList+`"`) {
		t.Errorf("public name %q, record %q", s.publicName, s.record)
	}
	target := "localhost:" + s.Port

	t.Run("accepted", func(t *testing.T) {
		res := e2etest.HandshakeOK(t, dir, target, "--ech", s.configList, "--ca", s.ca)
		first := res.Steps[0]
		var outer wire.ClientHello
		if err := json.Unmarshal(first.Details, &outer); err != nil || first.Message != "ClientHello" {
			t.Fatalf("first step %+v: %v", first, err)
		}
		if outer.ServerName != "public.localhost" || outer.ECH == nil || outer.ECH.Type != "outer" || int(outer.ECH.ConfigID) != s.configID {
			t.Errorf("the ClientHello on the wire: SNI %q, ECH %+v; want only the public name and an outer ECH", outer.ServerName, outer.ECH)
		}
		out, _, _ := e2etest.RunTlskit(t, dir, nil, "handshake", target, "--ech", s.configList, "--ca", s.ca, "-o", "json")
		if e := echOf(t, out); !e.Accepted || e.OuterSNI != "public.localhost" || e.HiddenSNI != "localhost" || e.ConfigID != s.configID {
			t.Errorf("ech %+v", e)
		}
		// The info page tells an ECH client what it did, as the log does.
		list, _ := base64.StdEncoding.DecodeString(s.configList)
		pem, err := os.ReadFile(s.ca)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, EncryptedClientHelloConfigList: list}}}
		resp, err := client.Get("https://" + target + "/json")
		if err != nil {
			t.Fatal(err)
		}
		var info struct {
			SNI string `json:"sni"`
			ECH *struct {
				Accepted bool   `json:"accepted"`
				OuterSNI string `json:"outer_sni"`
				InnerSNI string `json:"inner_sni"`
			} `json:"ech"`
		}
		err = json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		if err != nil || info.ECH == nil || !info.ECH.Accepted || info.ECH.OuterSNI != "public.localhost" || info.ECH.InnerSNI != "localhost" || info.SNI != "localhost" {
			t.Errorf("info page: %+v %+v (%v)", info, info.ECH, err)
		}
		// Resumption under ECH: the PSK travels in the encrypted inner hello.
		out, _, _ = e2etest.RunTlskit(t, dir, nil, "handshake", target, "--ech", s.configList, "--ca", s.ca, "--resume", "-o", "json")
		var doc struct {
			Resumption struct {
				Resumed struct {
					Offered  string `json:"offered"`
					Accepted bool   `json:"accepted"`
				} `json:"resumed"`
			} `json:"resumption"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Resumption.Resumed.Offered != "psk" || !doc.Resumption.Resumed.Accepted {
			t.Errorf("--resume with ECH: %+v (%v)", doc.Resumption, err)
		}
		line, ok := waitLog(t, s.Server, `"outer_sni":"public.localhost"`)
		if !ok || !strings.Contains(line, `"accepted":true`) || !strings.Contains(line, `"inner_sni":"localhost"`) || !strings.Contains(line, `"sni":"localhost"`) {
			t.Errorf("serve's log line %q, want ECH accepted with both names", line)
		}
	})

	t.Run("rejected and retried", func(t *testing.T) {
		other := startECHServe(t, dir, filepath.Join(dir, "other.pem"))
		out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", target, "--ech", other.configList, "--ca", s.ca, "-o", "json")
		if code != 1 || !strings.Contains(errOut, "server rejected ECH") {
			t.Fatalf("exit %d, stderr %q; want 1 and the rejection", code, errOut)
		}
		e := echOf(t, out)
		if e.Accepted || !e.RetryAuthenticated || base64.StdEncoding.EncodeToString(e.RetryConfigList) != s.configList ||
			len(e.RetryConfigs) != 1 || e.RetryConfigs[0].ConfigID != s.configID || e.ConfigID != other.configID {
			t.Errorf("ech %+v, want serve's config to retry with", e)
		}
		out, _, code = e2etest.RunTlskit(t, dir, nil, "handshake", target, "--ech", other.configList, "--ech-retry", "--ca", s.ca, "-o", "json")
		if e := echOf(t, out); code != 0 || !e.Accepted || !e.Retried || e.FirstAttempt == nil || e.FirstAttempt.ConfigID != other.configID {
			t.Errorf("--ech-retry: exit %d, ech %+v", code, e)
		}
	})

	t.Run("malformed config", func(t *testing.T) {
		for _, bad := range []string{"AAAA", "not base64!", base64.StdEncoding.EncodeToString([]byte{0, 3, 0xfe, 0x0d, 0})} {
			r := e2etest.TlskitFails(t, dir, "handshake", target, "--ech", bad)
			first := strings.SplitN(r.Stderr, "\n", 2)[0]
			if r.Code != 2 || !strings.HasPrefix(first, "tlskit: --ech: ") || r.Stdout != "" {
				t.Errorf("--ech %s: exit %d, stderr %q; want exit 2 and one error line", bad, r.Code, r.Stderr)
			}
		}
	})

	t.Run("without a key file; with --cert", func(t *testing.T) {
		// --ech alone: a key for this run only, announced without a key_file.
		plain := e2etest.StartServe(t, dir, "--ech", "-o", "json", "--write-cert", filepath.Join(dir, "plain-ca.pem"))
		line := strings.SplitN(plain.Out.String(), "\n", 2)[0]
		var ev struct {
			ECH *struct {
				ConfigList string `json:"config_list"`
				KeyFile    string `json:"key_file"`
			} `json:"ech"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.ECH == nil || ev.ECH.ConfigList == "" || ev.ECH.KeyFile != "" {
			t.Fatalf("listening line %q (%v)", line, err)
		}
		out, _, _ := e2etest.RunTlskit(t, dir, nil, "handshake", "localhost:"+plain.Port, "--ech", ev.ECH.ConfigList, "--ca", filepath.Join(dir, "plain-ca.pem"), "-o", "json")
		if e := echOf(t, out); !e.Accepted {
			t.Errorf("--ech without a key file: %+v", e)
		}
		// With --cert the certificate must be valid for the public name (or have one to give).
		fx := makeFixture(t)
		certArgs := []string{"serve", "--addr", "127.0.0.1:0", "--cert", fx.path("ecdsa.pem"), "--key", fx.path("ecdsa-key.pem"), "--ech"}
		for _, tc := range []struct {
			extra []string
			want  string
		}{
			{nil, "no DNS name of two labels"},
			{[]string{"--ech-public-name", "public.localhost"}, "not valid for the public name public.localhost"},
		} {
			r := e2etest.TlskitFails(t, dir, append(certArgs, tc.extra...)...)
			if r.Code != 2 || !strings.Contains(strings.SplitN(r.Stderr, "\n", 2)[0], tc.want) || r.Stdout != "" {
				t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tc.extra, r.Code, r.Stderr, tc.want)
			}
		}
	})

	t.Run("key file", func(t *testing.T) {
		again := startECHServe(t, dir, key)
		if again.configList != s.configList {
			t.Errorf("a second serve with the same --ech-key announced another config")
		}
		junk := filepath.Join(dir, "junk.pem")
		if err := os.WriteFile(junk, []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := e2etest.TlskitFails(t, dir, "serve", "--addr", "127.0.0.1:0", "--ech-key", junk)
		if r.Code != 1 || !strings.Contains(r.Stderr, "cannot be used") || !strings.Contains(r.Stderr, "--force") {
			t.Errorf("a file that is not a key: exit %d, stderr %q", r.Code, r.Stderr)
		}
		if b, _ := os.ReadFile(junk); string(b) != "not a key\n" {
			t.Errorf("the file was changed without --force")
		}
		replaced := startECHServe(t, dir, junk, "--force")
		if replaced.configList == "" {
			t.Fatal("no config")
		}
		if b, _ := os.ReadFile(junk); !strings.Contains(string(b), "BEGIN ECHCONFIG") {
			t.Errorf("--force did not replace the file with a key")
		}
		// A key for another public name: kept, and served with its own name, unless a public
		// name is asked for, which then needs --force to replace it.
		named := filepath.Join(dir, "named.pem")
		first := startECHServe(t, dir, named, "--ech-public-name", "other.localhost")
		again = startECHServe(t, dir, named)
		if again.configList != first.configList || again.publicName != "other.localhost" {
			t.Errorf("the saved key for other.localhost was not served as it is: %q", again.publicName)
		}
		before, _ := os.ReadFile(named)
		r = e2etest.TlskitFails(t, dir, "serve", "--addr", "127.0.0.1:0", "--ech-key", named, "--ech-public-name", "public.localhost")
		if after, _ := os.ReadFile(named); r.Code != 1 || !strings.Contains(r.Stderr, `its public name is "other.localhost"`) || !bytes.Equal(before, after) {
			t.Errorf("another public name without --force: exit %d, stderr %q, file changed %v", r.Code, r.Stderr, !bytes.Equal(before, after))
		}
	})
}

// TestECHAuto: --ech auto reads the config from the target's DNS HTTPS record, served by a
// real dnsmasq on loopback with the record serve printed (its RDATA built by hand here), asked
// with --dns-server; a name without a record is exit 1 with a hint.
func TestECHAuto(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startECHServe(t, dir, filepath.Join(dir, "ech.pem"))
	list, err := base64.StdEncoding.DecodeString(s.configList)
	if err != nil {
		t.Fatal(err)
	}
	port := 0
	for _, c := range s.Port {
		port = port*10 + int(c-'0')
	}
	owner := "_" + s.Port + "._https.localhost"
	dns := peertest.Dnsmasq(t, peertest.DnsRR(owner, 65, httpsRData(1, "localhost", []string{"h2", "http/1.1"}, uint16(port), list)), "--local=/localhost/")
	out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", "localhost:"+s.Port, "--ech", "auto", "--dns-server", dns.Addr(), "--ca", s.ca, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	e := echOf(t, out)
	if !e.Accepted || e.DNSRecord == nil || e.DNSRecord.Name != owner+"." || e.DNSRecord.Server != dns.Addr() || e.HiddenSNI != "localhost" {
		t.Errorf("ech %+v, dns record %+v", e, e.DNSRecord)
	}
	text := e2etest.Tlskit(t, dir, "handshake", "localhost:"+s.Port, "--ech", "auto", "--dns-server", dns.Addr(), "--ca", s.ca)
	e2etest.MustContain(t, "text report", text, "config from the DNS HTTPS record of "+owner+".", "accepted: the wire showed only public.localhost; localhost was hidden")

	r := e2etest.TlskitFails(t, dir, "handshake", "other.localhost:"+s.Port, "--ech", "auto", "--dns-server", dns.Addr(), "--timeout", "5s")
	e2etest.ErrorLine(t, "no record", r, 1, "", true)

	// A record that puts the service elsewhere: alias.localhost:443's HTTPS record names
	// localhost and serve's port, where the handshake then goes (the SNI stays alias.localhost).
	s2 := startECHServe(t, dir, filepath.Join(dir, "ech2.pem"), "--host", "alias.localhost")
	list2, _ := base64.StdEncoding.DecodeString(s2.configList)
	port2 := 0
	for _, c := range s2.Port {
		port2 = port2*10 + int(c-'0')
	}
	dns2 := peertest.Dnsmasq(t, peertest.DnsRR("alias.localhost", 65, httpsRData(1, "localhost", []string{"h2"}, uint16(port2), list2)), "--local=/localhost/")
	out, errOut, code = e2etest.RunTlskit(t, dir, nil, "handshake", "alias.localhost", "--ech", "auto", "--dns-server", dns2.Addr(), "--ca", s2.ca, "-o", "json")
	if code != 0 {
		t.Fatalf("the moved service: exit %d\n%s", code, errOut)
	}
	if e := echOf(t, out); !e.Accepted || e.HiddenSNI != "alias.localhost" || !strings.Contains(out, `"address": "127.0.0.1:`+s2.Port+`"`) {
		t.Errorf("ech %+v; the handshake went to %s", e, out[:min(len(out), 300)])
	}
}

// httpsRData is an HTTPS record's RDATA (RFC 9460 section 2.2): priority, target name, and the
// alpn (1), port (3) and ech (5) SvcParams, in key order.
func httpsRData(priority uint16, target string, alpn []string, port uint16, ech []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, priority)
	for _, label := range strings.Split(strings.TrimSuffix(target, "."), ".") {
		b = append(append(b, byte(len(label))), label...)
	}
	b = append(b, 0)
	param := func(key uint16, v []byte) {
		b = binary.BigEndian.AppendUint16(b, key)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
	}
	var a []byte
	for _, p := range alpn {
		a = append(append(a, byte(len(p))), p...)
	}
	param(1, a)
	param(3, binary.BigEndian.AppendUint16(nil, port))
	param(5, ech)
	return b
}

// waitLog waits for serve's log line holding want.
func waitLog(t *testing.T, s *e2etest.Server, want string) (string, bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(s.Out.String(), "\n") {
			if strings.Contains(l, want) {
				return l, true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", false
}

// TestECHWithBoringSSL: interoperation with the one packaged ECH implementation Debian has,
// BoringSSL's bssl tool (android-boringssl, Android 13's BoringSSL): its generate-ech config
// decodes in `tlskit inspect`; `tlskit handshake --ech` gets it accepted by `bssl-tool server`;
// `bssl-tool client -ech-config-list` gets serve's config accepted (serve logs it, bssl says
// "Encrypted ClientHello: yes"), and its GREASE ECH is logged as offered, not accepted; and
// `tlskit scan` reads the bssl server's retry configs with its own GREASE.
func TestECHWithBoringSSL(t *testing.T) {
	t.Parallel()
	bssl := peertest.Need(t, "bssl-tool")
	dir := t.TempDir()
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "public.localhost", "--ca-dir", filepath.Join(fx.dir, "ca"), "--out", "leaf.pem", "--key-out", "leaf-key.pem")
	gen := e2etest.Exec(t, dir, "", nil, bssl, "generate-ech", "-out-ech-config-list", "b.list", "-out-ech-config", "b.config",
		"-out-private-key", "b.key", "-public-name", "public.localhost", "-config-id", "77")
	if gen.Code != 0 {
		t.Fatalf("bssl-tool generate-ech: exit %d\n%s%s", gen.Code, gen.Stdout, gen.Stderr)
	}
	e2etest.MustContain(t, "inspect of BoringSSL's config", e2etest.Tlskit(t, dir, "inspect", "b.list"),
		"config id: 77", "kem: DHKEM(X25519, HKDF-SHA256) (0x0020)", "public name: public.localhost")

	srv := peertest.Start(t, peertest.Program{
		Name: "bssl-tool", Dir: dir,
		// -accept takes only a port (bssl binds every interface, as gnutls-serv); the test
		// connects to 127.0.0.1 only.
		Args: func(port string) []string {
			return []string{"server", "-accept", port, "-key", "leaf-key.pem", "-cert", "leaf.pem", "-ech-key", "b.key", "-ech-config", "b.config", "-loop", "-www"}
		},
		Ready: func(port, _ string) bool {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err == nil
		},
	})
	out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ech", "@b.list", "--ca", ca, "-o", "json")
	if code != 0 {
		t.Fatalf("handshake --ech against bssl-tool server: exit %d\n%s", code, errOut)
	}
	if e := echOf(t, out); !e.Accepted || e.ConfigID != 77 || e.OuterSNI != "public.localhost" || e.HiddenSNI != "localhost" {
		t.Errorf("ech %+v", e)
	}
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(srv.Out.String(), "Encrypted ClientHello: yes") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	e2etest.MustContain(t, "bssl-tool server's view", srv.Out.String(), "Client sent SNI: localhost", "Encrypted ClientHello: yes")

	scanOut, scanErr, code := e2etest.RunTlskit(t, dir, nil, "scan", srv.Addr(), "--checks", "features", "-o", "json")
	if code != 0 && code != 3 {
		t.Fatalf("scan: exit %d\n%s", code, scanErr)
	}
	var rep struct {
		Features struct {
			ECH *struct {
				RetryConfigs bool `json:"retry_configs"`
				Configs      []struct {
					ConfigID int `json:"config_id"`
				} `json:"configs"`
			} `json:"ech"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(scanOut), &rep); err != nil || rep.Features.ECH == nil || !rep.Features.ECH.RetryConfigs ||
		len(rep.Features.ECH.Configs) != 1 || rep.Features.ECH.Configs[0].ConfigID != 77 {
		t.Errorf("scan's ECH against bssl-tool server: %+v (%v)", rep.Features.ECH, err)
	}

	s := startECHServe(t, dir, filepath.Join(dir, "ech.pem"))
	list, _ := base64.StdEncoding.DecodeString(s.configList)
	if err := os.WriteFile(filepath.Join(dir, "serve.list"), list, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, flag, log, says string
	}{
		{"config", "-ech-config-list", `"accepted":true`, "Encrypted ClientHello: yes"},
		{"grease", "-ech-grease", `"accepted":false`, "Encrypted ClientHello: no"},
	} {
		args := []string{"client", "-connect", "127.0.0.1:" + s.Port, "-server-name", "localhost", tc.flag}
		if tc.name == "config" {
			args = append(args, "serve.list")
		}
		r := e2etest.Exec(t, dir, "", nil, bssl, args...)
		e2etest.MustContain(t, "bssl-tool client "+tc.flag, r.Stdout+r.Stderr, tc.says)
		if line, ok := waitLog(t, s.Server, tc.log); !ok || !strings.Contains(line, `"outer_sni":"public.localhost"`) && tc.name == "config" {
			t.Errorf("%s: serve's log has no line with %s and the public name:\n%s", tc.name, tc.log, s.Out.String())
		}
	}
}
