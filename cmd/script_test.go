package cmd_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tlskit/tlskit/cmd"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// The CLI's contract (global flags, usage errors, exit codes, file safety, output shapes) as
// testscript scripts, testdata/script/*.txtar. `exec tlskit` in a script runs this test binary
// as tlskit (cmd.Main with the real standard streams) in a process of its own, in the script's
// directory: what a shell sees, without building the binary. What needs the released binary
// or a reference peer is in cmd/internal/e2e.

// scriptBuild is the build information the scripts' tlskit reports.
var scriptBuild = cmd.ResolveBuildInfo("v0.0.0-script", "5c419e7", "2026-11-27T00:00:00Z")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// MainForTest: keys a script encrypts cost TestKDFIterations rounds, not 600 000.
		"tlskit": func() { os.Exit(cmd.MainForTest(os.Args[1:], cmd.SystemStreams(), os.Getenv, scriptBuild)) },
	})
}

func TestScripts(t *testing.T) {
	// Made once, before any script runs, and shared by every script's peers.
	cert := peertest.Certificate(t)
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"peer": func(ts *testscript.TestScript, neg bool, args []string) {
				cmdPeer(scriptTB{TB: t, ts: ts}, cert, ts, neg, args)
			},
			"exits":    cmdExits,
			"filemode": cmdFileMode,
			"jsonkeys": cmdJSONKeys,
		},
	})
}

// scriptTB lets a fake peer of tlscore/peertest live exactly as long as the script that
// started it, and fail that script rather than the whole test.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (s scriptTB) Helper()                        {}
func (s scriptTB) Cleanup(f func())               { s.ts.Defer(f) }
func (s scriptTB) Fatalf(format string, a ...any) { s.ts.Fatalf(format, a...) }
func (s scriptTB) Fatal(a ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(a...)) }

// cmdPeer is `peer NAME tls|silent`: a server on 127.0.0.1 until the script ends, its address
// in $NAME.
//
//	tls     finishes a TLS handshake with the test certificate (for localhost and 127.0.0.1,
//	        self-signed; written to $WORK/NAME.pem for --ca), then reads until the client goes
//	silent  accepts and never says a word (for --timeout)
func cmdPeer(tb scriptTB, cert tls.Certificate, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: peer NAME tls|silent (sets $NAME to its address, $NAME_PORT to its port)")
	}
	name, kind := args[0], args[1]
	var handle func(ctx context.Context, c net.Conn)
	switch kind {
	case "tls":
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
		ts.Check(os.WriteFile(ts.MkAbs(name+".pem"), certPEM, 0o644))
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		handle = func(_ context.Context, c net.Conn) { peertest.ServeTLSConfig(c, cfg, 5*time.Second) }
	case "silent":
		handle = func(_ context.Context, c net.Conn) { peertest.Drain(c) }
	default:
		ts.Fatalf("peer: unknown kind %q (want tls or silent)", kind)
	}
	addr := peertest.Serve(tb, handle)
	ts.Setenv(name, addr)
	// NAME_PORT, for a target written another way (localhost:$NAME_PORT).
	_, port, _ := net.SplitHostPort(addr)
	ts.Setenv(name+"_PORT", port)
}

// cmdExits is `exits CODE PROGRAM [ARGS...]`: exec, wanting exit status CODE; stdout and
// stderr are kept for the commands after it, as exec keeps them. (`! exec` only knows that a
// program failed; the exit codes are part of the contract.)
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdFileMode is `filemode PERM FILE...`: each file's permission bits are PERM (octal).
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: filemode PERM FILE...")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	for _, f := range args[1:] {
		info, err := os.Stat(ts.MkAbs(f))
		ts.Check(err)
		got := info.Mode().Perm()
		if (got == fs.FileMode(want)) == neg {
			ts.Fatalf("%s: mode %04o, want %s%04o", f, got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	}
}

// cmdJSONKeys is `jsonkeys PATH KEY...`: the last command's stdout is one JSON document, and
// the object at PATH (dot-separated keys and array indexes, "." for the top) has every KEY
// (with !, none of them).
func cmdJSONKeys(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: jsonkeys PATH KEY...")
	}
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &doc); err != nil {
		ts.Fatalf("stdout is not one JSON document: %v", err)
	}
	cur := doc
	if args[0] != "." {
		for _, p := range strings.Split(args[0], ".") {
			switch v := cur.(type) {
			case map[string]any:
				cur = v[p]
			case []any:
				i, err := strconv.Atoi(p)
				if err != nil || i < 0 || i >= len(v) {
					ts.Fatalf("%s: no element %q in an array of %d", args[0], p, len(v))
				}
				cur = v[i]
			default:
				ts.Fatalf("%s: %q is inside a %T, not an object or array", args[0], p, cur)
			}
		}
	}
	obj, ok := cur.(map[string]any)
	if !ok {
		ts.Fatalf("%s is a %T, not an object", args[0], cur)
	}
	var have []string
	for k := range obj {
		have = append(have, k)
	}
	slices.Sort(have)
	for _, k := range args[1:] {
		if _, found := obj[k]; found == neg {
			ts.Fatalf("%s: key %q present %t, want %t (keys: %s)", args[0], k, found, !neg, strings.Join(have, ", "))
		}
	}
}
