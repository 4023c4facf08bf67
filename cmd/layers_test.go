package cmd_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// layers is tlskit's architecture, bottom first (docs/architecture.md, "Layers", draws the same
// table): a package may import only packages of a lower layer. Paths are relative to the module.
// A new package must be given a layer here, so the arrangement is decided, not drifted into.
var layers = []struct {
	name     string
	packages []string
}{
	{"leaves: names, host names, file kinds, text escaping", []string{
		"tlscore/names/dn", "tlscore/names/hostname", "certgen/filecheck", "cmd/internal/render"}},
	{"certificate material and the TLS wire codec", []string{
		"inspect/material", "tlscore/wire", "tlscore/keyschedule"}},
	{"revocation verdicts; client fingerprints; the TLS 1.2 key schedule", []string{
		"inspect/revocation", "tlscore/fingerprint", "tlscore/tls12"}},
	{"judging certificate material", []string{"inspect"}},
	{"making certificate material; trust stores", []string{"certgen", "certgen/truststore", "certgen/acmeclient"}},
	{"reaching a server; ECH keys and their DNS records", []string{"tlscore/connect", "tlscore/ech"}},
	{"the recorded handshake", []string{"tlscore/handshake"}},
	{"scanner and server", []string{"tlscore/scan", "tlscore/server", "tlscore/server/eventlog"}},
	{"the command line", []string{"cmd"}},
	{"programs", []string{"", "scripts/attack-serve", "scripts/bench-handshake", "scripts/bench-serve", "scripts/captureclients", "scripts/gendocs"}},
}

// testSupport are packages only tests import; no production package may.
var testSupport = []string{"tlscore/peertest", "tlscore/goldentest", "tlscore/server/servertest", "cmd/internal/e2etest"}

const module = "github.com/tlskit/tlskit"

// goPackage is what `go list -json` says of a package that the layering is about.
type goPackage struct {
	ImportPath string
	Imports    []string
}

func TestImportsFollowTheLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,GoFiles", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	for dec := json.NewDecoder(strings.NewReader(string(out))); dec.More(); {
		var p struct {
			goPackage
			GoFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		// A directory of tests only (cmd/internal/e2e/...) holds no code anything imports.
		if len(p.GoFiles) == 0 {
			continue
		}
		pkgs = append(pkgs, p.goPackage)
	}
	for _, problem := range layerViolations(pkgs) {
		t.Error(problem)
	}
	listed := map[string]bool{}
	for _, p := range pkgs {
		listed[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = true
	}
	for p := range layerOf() {
		if !listed[p] {
			t.Errorf("the layer table names %q, which is not a package any more", p)
		}
	}
}

// TestLayerViolationsAreFound proves the check can fail: each arrow here is one the table forbids.
func TestLayerViolationsAreFound(t *testing.T) {
	all := func(extra ...goPackage) []goPackage {
		var pkgs []goPackage
		for p := range layerOf() {
			pkgs = append(pkgs, goPackage{ImportPath: strings.TrimSuffix(module+"/"+p, "/")})
		}
		return append(pkgs, extra...)
	}
	for _, tc := range []struct {
		name string
		pkg  goPackage
		want string
	}{
		{"upward", goPackage{module + "/certgen", []string{module + "/tlscore/handshake"}}, "runs upward"},
		{"sideways", goPackage{module + "/tlscore/scan", []string{module + "/tlscore/server"}}, "runs upward or sideways"},
		{"test helper", goPackage{module + "/inspect", []string{module + "/tlscore/peertest"}}, "test helper"},
		{"no layer", goPackage{module + "/tlscore/newthing", nil}, "has no layer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(layerViolations(all(tc.pkg)), "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
	if v := layerViolations(all()); len(v) != 0 {
		t.Errorf("the table itself: %v", v)
	}
}

func layerOf() map[string]int {
	m := map[string]int{}
	for i, l := range layers {
		for _, p := range l.packages {
			m[p] = i
		}
	}
	return m
}

// layerViolations lists every import that runs against the table, and every package the table
// does not place. Programs under scripts/ may use the test helpers (attack-serve's clients).
func layerViolations(pkgs []goPackage) []string {
	layerOf := layerOf()
	support := map[string]bool{}
	for _, p := range testSupport {
		support[p] = true
	}
	rel := func(path string) (string, bool) {
		if path == module {
			return "", true
		}
		return strings.CutPrefix(path, module+"/")
	}
	var problems []string
	for _, p := range pkgs {
		name, _ := rel(p.ImportPath)
		if support[name] {
			continue
		}
		from, ok := layerOf[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("package %q has no layer: give it one in the table of cmd/layers_test.go and docs/architecture.md", name))
			continue
		}
		for _, imp := range p.Imports {
			to, ours := rel(imp)
			if !ours {
				continue
			}
			switch l, placed := layerOf[to]; {
			case support[to] && !strings.HasPrefix(name, "scripts/"):
				problems = append(problems, fmt.Sprintf("%s (production code) imports the test helper %s", name, to))
			case !placed:
				// Reported where that package is listed.
			case l >= from:
				problems = append(problems, fmt.Sprintf("%s (layer %d, %s) imports %s (layer %d, %s): an arrow that runs upward or sideways",
					name, from, layers[from].name, to, l, layers[l].name))
			}
		}
	}
	return problems
}
