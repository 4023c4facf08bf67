package scan

import (
	"bytes"
	"context"
	"encoding/xml"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

func TestOpenSSLTLS12ThreeSuites(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA:AES128-SHA")
	res, d := runScan(t, port, 3*time.Second)
	t.Logf("scan took %v, %d probes", d, res.Probes)
	supportedOnly(t, res, "TLS 1.2")
	got := sortedIDs(version(t, res, "TLS 1.2"))
	want := []uint16{0x002f, 0xc014, 0xc02f}
	if !slices.Equal(got, want) {
		t.Errorf("TLS 1.2 suites = %04x, want %04x", got, want)
	}
}

func TestOpenSSLTLS13Chacha(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
	res, _ := runScan(t, port, 3*time.Second)
	supportedOnly(t, res, "TLS 1.3")
	if got := suiteIDs(version(t, res, "TLS 1.3")); !slices.Equal(got, []uint16{0x1303}) {
		t.Errorf("TLS 1.3 suites = %04x, want [1303]", got)
	}
}

func TestOpenSSLServerPreference(t *testing.T) {
	t.Parallel()
	list := "AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256"
	order := []uint16{0x002f, 0xc014, 0xc02f}
	for _, tc := range []struct {
		name string
		args []string
		pref bool
	}{
		{"serverpref", []string{"-tls1_2", "-cipher", list, "-serverpref"}, true},
		{"clientpref", []string{"-tls1_2", "-cipher", list}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := startOpenSSL(t, tc.args...)
			res, _ := runScan(t, port, 3*time.Second)
			v := version(t, res, "TLS 1.2")
			if v.ServerPreference == nil || *v.ServerPreference != tc.pref {
				t.Fatalf("server preference = %v, want %v", v.ServerPreference, tc.pref)
			}
			got := suiteIDs(v)
			if tc.pref && !slices.Equal(got, order) {
				t.Errorf("preference order = %04x, want %04x", got, order)
			}
			if !tc.pref && !slices.Equal(got, []uint16{0x002f, 0xc014, 0xc02f}) {
				t.Errorf("table order = %04x", got)
			}
		})
	}
}

func TestOpenSSLGroups(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-groups", "X25519:P-384")
	res, _ := runScan(t, port, 3*time.Second)
	var got []string
	for _, g := range res.Groups {
		if g.Supported {
			got = append(got, g.Name)
		}
	}
	if !slices.Equal(got, []string{"x25519", "P-384"}) {
		t.Errorf("supported groups = %v (all %+v)", got, res.Groups)
	}
	if len(res.Groups) < 4 {
		t.Errorf("only %d groups probed", len(res.Groups))
	}
	if !res.HelloRetryRequest {
		t.Errorf("HelloRetryRequest not detected")
	}
}

// sslscanXML is the part of sslscan's XML output the comparison needs.
type sslscanXML struct {
	Ciphers []struct {
		Status  string `xml:"status,attr"`
		Version string `xml:"sslversion,attr"`
		Cipher  string `xml:"cipher,attr"`
	} `xml:"ssltest>cipher"`
}

var sslscanVersions = map[string]string{
	"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLSv1.0": "TLS 1.0", "TLSv1.1": "TLS 1.1",
	"TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3",
}

func TestOpenSSLAllVersusSSLScan(t *testing.T) {
	t.Parallel()
	sslscan := peertest.Need(t, "sslscan")
	port := startOpenSSL(t, "-cipher", "ALL:@SECLEVEL=0")
	res, d := runScan(t, port, 3*time.Second)
	t.Logf("scan: %v, %d probes", d, res.Probes)
	ours := map[string]bool{}
	for _, v := range res.Versions {
		t.Logf("%s: supported=%v suites=%d pref=%v", v.Version, v.Supported, len(v.Suites), v.ServerPreference)
		if v.Inconclusive {
			t.Errorf("%s inconclusive", v.Version)
		}
		for _, s := range v.Suites {
			ours[v.Version+" "+s.Name] = true
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, sslscan, "--no-colour", "--xml=-", "127.0.0.1:"+itoa(port)).Output()
	sd := time.Since(start)
	if err != nil {
		t.Fatalf("sslscan: %v", err)
	}
	t.Logf("sslscan: %v", sd)
	// sslscan prints its text report before the XML on stdout.
	if i := bytes.Index(out, []byte("<?xml")); i > 0 {
		out = out[i:]
	}
	var doc sslscanXML
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("parsing sslscan XML: %v\n%s", err, out)
	}
	theirs := map[string]bool{}
	for _, c := range doc.Ciphers {
		cs, ok := wire.CipherSuiteByName(c.Cipher)
		if !ok {
			t.Errorf("sslscan cipher %q not in the table", c.Cipher)
			continue
		}
		theirs[sslscanVersions[c.Version]+" "+cs.Name] = true
	}
	if len(theirs) == 0 {
		t.Fatalf("sslscan reported no ciphers:\n%s", out)
	}
	for k := range ours {
		if !theirs[k] {
			t.Errorf("we found %s, sslscan did not", k)
		}
	}
	for k := range theirs {
		if !ours[k] {
			t.Errorf("sslscan found %s, we did not", k)
		}
	}
	t.Logf("%d (version, suite) pairs; scan %v vs sslscan %v", len(ours), d, sd)
}
