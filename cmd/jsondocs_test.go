package cmd

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/certgen/truststore"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/handshake"
	"github.com/tlskit/tlskit/tlscore/scan"
	"github.com/tlskit/tlskit/tlscore/server"
)

// jsonGoldens are the golden files that pin tlskit's JSON documents, each with the type it
// encodes (docs/json.md lists the same). Each is written by a test in the package that owns
// the type, with that package's -update flag; the paths are from cmd/.
var jsonGoldens = []struct {
	path string
	typ  reflect.Type
}{
	{"testdata/golden/version.json", reflect.TypeFor[BuildInfo]()},
	{"testdata/golden/target-failure.jsonl", reflect.TypeFor[targetFailure]()},
	{"testdata/golden/listening.jsonl", reflect.TypeFor[listeningEvent]()},
	{"testdata/golden/serve-connection.jsonl", reflect.TypeFor[eventJSON]()},
	{"testdata/golden/serve-request.jsonl", reflect.TypeFor[requestJSON]()},
	{"testdata/golden/ca-trust.jsonl", reflect.TypeFor[trustLine]()},
	{"../tlscore/handshake/testdata/result.json", reflect.TypeFor[handshake.Result]()},
	{"../tlscore/scan/testdata/report.json", reflect.TypeFor[scan.Report]()},
	{"../tlscore/server/testdata/event.jsonl", reflect.TypeFor[server.Event]()},
	{"../tlscore/server/testdata/client-report.json", reflect.TypeFor[server.ClientReport]()},
	{"../inspect/testdata/report.json", reflect.TypeFor[inspect.Report]()},
	{"../inspect/testdata/verify.json", reflect.TypeFor[inspect.VerifyReport]()},
	{"../inspect/testdata/verify-malformed.json", reflect.TypeFor[inspect.VerifyReport]()},
	{"../inspect/revocation/testdata/report.json", reflect.TypeFor[revocation.Report]()},
	{"../inspect/revocation/testdata/cert-status.json", reflect.TypeFor[revocation.CertStatus]()},
	{"../inspect/revocation/testdata/ocsp.json", reflect.TypeFor[revocation.OCSPResult]()},
	{"../certgen/testdata/summary.json", reflect.TypeFor[certgen.Summary]()},
	{"../certgen/testdata/summary-ca.json", reflect.TypeFor[certgen.Summary]()},
	{"../certgen/testdata/revoke.json", reflect.TypeFor[certgen.RevokeSummary]()},
	{"../certgen/testdata/crl-summary.json", reflect.TypeFor[certgen.CRLSummary]()},
	{"../certgen/testdata/ocsp-log.jsonl", reflect.TypeFor[certgen.OCSPLogEntry]()},
	{"../certgen/testdata/revoked.json", reflect.TypeFor[certgen.RevocationDB]()},
	{"../certgen/testdata/ca.json", reflect.TypeFor[certgen.CASettings]()},
}

// TestCLIDocumentsGolden pins the CLI's own documents (cmd/documents.go) as the commands write
// them: a failed target's line among several, in both forms (a network target, an input file),
// and the listening line of serve and ca serve. version.json is pinned by TestVersionJSON.
func TestCLIDocumentsGolden(t *testing.T) {
	var out bytes.Buffer
	a := newApp(&IOStreams{Out: &out}, nil, testBuild)
	target, err := connect.ParseTarget("https://127.0.0.1:8080/health", 443)
	if err != nil {
		t.Fatal(err)
	}
	a.writeJSONLine(targetFailure{Target: &target, Error: "127.0.0.1:8080 does not speak TLS (it answered with an HTTP response; is this a plain-HTTP port?)"})
	a.writeJSONLine(targetFailure{Source: "missing.pem", Error: "missing.pem: no such file or directory"})
	golden(t, "target-failure.jsonl", out.String())

	out.Reset()
	a.opts.Output = formatJSON
	if err := a.announce("https", &net.TCPAddr{IP: net.IPv4zero, Port: 8443}, nil); err != nil {
		t.Fatal(err)
	}
	// With --ech: the config to publish.
	if err := a.announce("https", &net.TCPAddr{IP: net.IPv4zero, Port: 8443}, &echAnnouncement{PublicName: "localhost", ConfigID: 42,
		ConfigList:  "AEX+DQBBKgAgACDnx1l1Y8bA0QvKjVddK2mHqFEt+2yO3KJhmvrB8HY5XgAIAAEAAQABAAMACWxvY2FsaG9zdAAA",
		HTTPSRecord: `_8443._https.localhost. 300 IN HTTPS 1 localhost. alpn="h2,http/1.1" port=8443 ech="AEX+DQBBKgAgACDnx1l1Y8bA0QvKjVddK2mHqFEt+2yO3KJhmvrB8HY5XgAIAAEAAQABAAMACWxvY2FsaG9zdAAA"`,
		KeyFile:     "ech-key.pem"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "listening.jsonl", out.String())

	// serve's log lines, through the log as serve writes them.
	at := time.Date(2026, 11, 27, 12, 0, 0, 123e6, time.UTC)
	for _, tc := range []struct {
		file string
		add  func(l *eventLog)
	}{
		{"serve-connection.jsonl", func(l *eventLog) {
			l.log(server.Event{Time: at, Remote: "127.0.0.1:50512", SNI: "localhost", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
				ALPN: "h2", JA4: "t13d0206h2_777cda164f4b_e12c865f31a5", ClientCert: "CN=client.test", HandshakeMs: 1.52})
			l.log(server.Event{Time: at, Remote: "127.0.0.1:50516", SNI: "secret.localhost", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
				ALPN: "h2", HandshakeMs: 2.1, ECH: &server.ECHView{Accepted: true, OuterSNI: "localhost", InnerSNI: "secret.localhost", ConfigID: 42}})
			l.log(server.Event{Time: at, Remote: "127.0.0.1:50514", HandshakeMs: 10000.2, Error: "timed out waiting for a ClientHello"})
		}},
		{"serve-request.jsonl", func(l *eventLog) {
			l.request(server.Request{Time: at, Remote: "127.0.0.1:50512", Method: "GET", Path: "/index.html", HTTPProtocol: "HTTP/2.0", Status: 200, Bytes: 1234, DurationMs: 0.52})
			l.request(server.Request{Time: at, Remote: "127.0.0.1:50514", Method: "POST", Path: "/api?q=1", HTTPProtocol: "HTTP/1.1", Status: 502, DurationMs: 1.2,
				Error: "the backend failed: dial tcp 127.0.0.1:3000: connect: connection refused"})
		}},
	} {
		out.Reset()
		l := newEventLog(context.Background(), a, serveDrain)
		l.start()
		tc.add(l)
		l.close()
		golden(t, tc.file, out.String())
	}
}

// TestJSONGoldensCoverEveryKey holds the golden files to be representative: every key of every
// type a document can hold (its fields, and theirs, all the way down) appears in at least one
// golden file, so a field added without a golden value (and a look at docs/json.md) fails here.
// Before these goldens, three of tlskit's documents were pinned, by CLI output with optional
// keys absent.
func TestJSONGoldensCoverEveryKey(t *testing.T) {
	seen := map[reflect.Type]map[string]bool{}
	reachable := map[reflect.Type]bool{}
	for _, g := range jsonGoldens {
		data, err := os.ReadFile(g.path)
		if err != nil {
			t.Fatalf("%v (each golden is written by its package's test with -update)", err)
		}
		docs := [][]byte{data}
		if strings.HasSuffix(g.path, ".jsonl") {
			docs = bytes.Split(bytes.TrimSpace(data), []byte("\n"))
		}
		for _, d := range docs {
			var v any
			if err := json.Unmarshal(d, &v); err != nil {
				t.Fatalf("%s: %v", g.path, err)
			}
			walkJSON(g.typ, v, seen)
		}
		reachableTypes(g.typ, reachable)
	}
	for typ := range reachable {
		for _, f := range jsonFields(typ) {
			if !seen[typ][f.name] {
				t.Errorf("%s: key %q is in no golden file: give it a value in the golden test of %s", typ, f.name, typ.PkgPath())
			}
		}
	}
}

// jsonSections are the docs/json.md sections that document each type's keys: every key of the
// type's own (an embedded struct's keys are its type's, listed where they are documented) must
// appear there, as `key` or "key". "" is the rules before the first section.
var jsonSections = []struct {
	section string
	types   []reflect.Type
}{
	{"", []reflect.Type{reflect.TypeFor[targetFailure]()}},
	{"`tlskit version`", []reflect.Type{reflect.TypeFor[BuildInfo]()}},
	{"`tlskit handshake`", []reflect.Type{reflect.TypeFor[handshake.Result](), reflect.TypeFor[handshake.ClientAuth](),
		reflect.TypeFor[handshake.Step](), reflect.TypeFor[handshake.Timing](), reflect.TypeFor[handshake.Resumption](),
		reflect.TypeFor[revocation.OCSPResult](), reflect.TypeFor[inspect.Certificate](), reflect.TypeFor[inspect.Verification]()}},
	{"`tlskit serve`", []reflect.Type{reflect.TypeFor[listeningEvent](), reflect.TypeFor[server.Event](), reflect.TypeFor[eventJSON](),
		reflect.TypeFor[requestJSON](), reflect.TypeFor[server.Request](),
		reflect.TypeFor[server.ClientReport](), reflect.TypeFor[server.HelloView]()}},
	{"`tlskit scan`", []reflect.Type{reflect.TypeFor[scan.Report](), reflect.TypeFor[scan.Result](), reflect.TypeFor[scan.VersionResult](), reflect.TypeFor[scan.Suite](),
		reflect.TypeFor[scan.GroupResult](), reflect.TypeFor[scan.GroupResult12](), reflect.TypeFor[scan.DHGroup](), reflect.TypeFor[scan.Connection](), reflect.TypeFor[scan.Finding]()}},
	{"`tlskit inspect`", []reflect.Type{reflect.TypeFor[inspect.Report](), reflect.TypeFor[inspect.ItemReport](),
		reflect.TypeFor[inspect.CertificateDetails](), reflect.TypeFor[inspect.PublicKeyInfo](), reflect.TypeFor[inspect.BasicConstraints](),
		reflect.TypeFor[inspect.NameConstraints](), reflect.TypeFor[inspect.SCT](), reflect.TypeFor[inspect.ExtensionInfo](),
		reflect.TypeFor[inspect.KeyDetails](), reflect.TypeFor[inspect.RequestDetails](), reflect.TypeFor[inspect.CRLDetails](),
		reflect.TypeFor[inspect.Finding](), reflect.TypeFor[inspect.ECHConfigListDetails](), reflect.TypeFor[inspect.ECHConfigDetails](),
		reflect.TypeFor[inspect.ECHConfigContents](), reflect.TypeFor[inspect.ECHCipherSuite](), reflect.TypeFor[inspect.ECHExtension]()}},
	{"`tlskit verify`", []reflect.Type{reflect.TypeFor[inspect.VerifyReport]()}},
	{"Revocation", []reflect.Type{reflect.TypeFor[revocation.Report](), reflect.TypeFor[revocation.CertStatus](), reflect.TypeFor[inspect.Malformed]()}},
	{"`tlskit cert selfsign|csr|issue|sign`, `tlskit ca create`, `tlskit acme issue|renew`", []reflect.Type{reflect.TypeFor[certgen.Summary](), reflect.TypeFor[notDueJSON](),
		reflect.TypeFor[certgen.WrittenFile](), reflect.TypeFor[certgen.CASettings]()}},
	{"`tlskit ca revoke`", []reflect.Type{reflect.TypeFor[certgen.RevokeSummary](), reflect.TypeFor[certgen.Revocation](),
		reflect.TypeFor[certgen.RevocationDB]()}},
	{"`tlskit ca crl`", []reflect.Type{reflect.TypeFor[certgen.CRLSummary]()}},
	{"`tlskit ca serve`", []reflect.Type{reflect.TypeFor[certgen.OCSPLogEntry]()}},
	{"`tlskit ca install|uninstall|status`", []reflect.Type{reflect.TypeFor[trustLine](), reflect.TypeFor[truststore.Result]()}},
	{"Targets", []reflect.Type{reflect.TypeFor[connect.Target]()}},
}

// TestJSONKeysDocumented holds docs/json.md to the types: each key of each document's types
// appears in the section that documents it.
func TestJSONKeysDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	parts := strings.Split("\n"+string(data), "\n## ")
	sections[""] = parts[0]
	for _, p := range parts[1:] {
		heading, body, _ := strings.Cut(p, "\n")
		sections[heading] = body
	}
	for _, s := range jsonSections {
		body, ok := sections[s.section]
		if !ok {
			t.Errorf("docs/json.md has no section %q", "## "+s.section)
			continue
		}
		for _, typ := range s.types {
			for _, f := range ownJSONFields(typ) {
				if !strings.Contains(body, "`"+f.name+"`") && !strings.Contains(body, `"`+f.name+`"`) {
					t.Errorf("docs/json.md, section %q: key %q of %s is not documented", s.section, f.name, typ)
				}
			}
		}
	}
}

type jsonField struct {
	name     string
	typ      reflect.Type
	promoted bool // from an embedded struct
}

// jsonFields are the keys encoding/json writes for a struct type, with their types: tagged
// names, fields of embedded structs promoted unless a shallower field has the name.
func jsonFields(t reflect.Type) []jsonField {
	var out, promoted []jsonField
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if et := derefType(f.Type); et.Kind() == reflect.Struct {
				for _, p := range jsonFields(et) {
					p.promoted = true
					promoted = append(promoted, p)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	for _, f := range promoted {
		if !slices.ContainsFunc(out, func(o jsonField) bool { return o.name == f.name }) {
			out = append(out, f)
		}
	}
	return out
}

// ownJSONFields are the keys of t's own fields, without those its embedded structs promote.
func ownJSONFields(t reflect.Type) []jsonField {
	return slices.DeleteFunc(jsonFields(t), func(f jsonField) bool { return f.promoted })
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// opaqueJSON says a type encodes itself (time.Time, wire's lists): its keys are not a struct's.
func opaqueJSON(t reflect.Type) bool {
	for _, m := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// walkJSON records, for each struct type in t, the keys that v (decoded JSON of t) holds.
func walkJSON(t reflect.Type, v any, seen map[reflect.Type]map[string]bool) {
	t = derefType(t)
	if v == nil || opaqueJSON(t) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		if seen[t] == nil {
			seen[t] = map[string]bool{}
		}
		for _, f := range jsonFields(t) {
			if fv, ok := obj[f.name]; ok {
				seen[t][f.name] = true
				walkJSON(f.typ, fv, seen)
			}
		}
	case reflect.Slice, reflect.Array:
		arr, _ := v.([]any)
		for _, e := range arr {
			walkJSON(t.Elem(), e, seen)
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for _, e := range obj {
			walkJSON(t.Elem(), e, seen)
		}
	}
}

// reachableTypes adds t and every struct type its JSON can hold to set. An interface field
// (a handshake step's decoded message) is wire's to describe, and is not followed.
func reachableTypes(t reflect.Type, set map[reflect.Type]bool) {
	t = derefType(t)
	if opaqueJSON(t) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if set[t] {
			return
		}
		set[t] = true
		for _, f := range jsonFields(t) {
			reachableTypes(f.typ, set)
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		reachableTypes(t.Elem(), set)
	}
}
