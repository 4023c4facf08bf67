package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/scan"
)

// TestRenderScanGroups checks the groups lines: accepted groups on one, groups whose probes got
// no answer on another, so neither is mistaken for a refusal.
func TestRenderScanGroups(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []scan.GroupResult
		want   []string
		absent string
	}{
		{
			name: "all conclusive",
			groups: []scan.GroupResult{
				{ID: 29, Name: "x25519", Supported: true}, {ID: 30, Name: "x448"},
			},
			want:   []string{"groups:  x25519\n"},
			absent: "inconclusive",
		},
		{
			name: "one inconclusive",
			groups: []scan.GroupResult{
				{ID: 29, Name: "x25519", Supported: true}, {ID: 24, Name: "P-384", Inconclusive: true}, {ID: 30, Name: "x448"},
			},
			want: []string{"groups:  x25519\n", "groups inconclusive: P-384\n"},
		},
		{
			name:   "none accepted",
			groups: []scan.GroupResult{{ID: 30, Name: "x448", Inconclusive: true}},
			want:   []string{"groups:  none\n", "groups inconclusive: x448\n"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := scan.Report{Result: &scan.Result{Target: connect.Target{Input: "h:1", Host: "h", Port: 1}, Groups: tc.groups}}
			var b strings.Builder
			if err := renderScan(&b, newPalette(false), rep, false); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tc.absent != "" && strings.Contains(out, tc.absent) {
				t.Errorf("output has %q:\n%s", tc.absent, out)
			}
		})
	}
}

// TestRenderScanGolden renders the library's JSON fixture (tlscore/scan/testdata/report.json,
// every field the scan reports, the ordinary handshake failed and the certificate from a
// probe) as text, and a variant with the ordinary handshake's lines and no secure
// renegotiation.
// -update rewrites the golden files.
func TestRenderScanGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "tlscore", "scan", "testdata", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	load := func() scan.Report {
		var rep scan.Report
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	no := false
	for _, tc := range []struct {
		name   string
		change func(*scan.Report)
	}{
		{"scan.txt", func(*scan.Report) {}},
		{"scan-handshake.txt", func(r *scan.Report) {
			r.Connection.Error = ""
			r.Connection.CertificateFromProbe = false
			r.SecureRenegotiation = &no
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := load()
			tc.change(&rep)
			var b strings.Builder
			if err := renderScan(&b, newPalette(false), rep, false); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, b.String())
		})
	}
}
