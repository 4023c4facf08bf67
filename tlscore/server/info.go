package server

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/fingerprint"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// ClientReport is what the info mode tells each client about its own connection: the JSON of
// `curl https://.../json` (docs/json.md).
type ClientReport struct {
	Remote            string               `json:"remote"`
	HTTPProtocol      string               `json:"http_protocol"`
	SNI               string               `json:"sni"`
	Version           string               `json:"version"`
	CipherSuite       string               `json:"cipher_suite"`
	KeyExchange       string               `json:"key_exchange"`
	ALPN              string               `json:"alpn"`
	Resumed           bool                 `json:"resumed"`
	ClientCertificate *inspect.Certificate `json:"client_certificate,omitempty"`
	// ECH is what the client's Encrypted Client Hello showed; absent when it sent none.
	ECH         *ECHView   `json:"ech,omitempty"`
	ClientHello *HelloView `json:"client_hello,omitempty"`
	JA3         string     `json:"ja3,omitempty"`
	JA3Hash     string     `json:"ja3_hash,omitempty"`
	JA4         string     `json:"ja4,omitempty"`
	JA4Raw      string     `json:"ja4_r,omitempty"`
}

// HelloView is what the client offered, by name, in the order it offered it.
type HelloView struct {
	Length              int      `json:"length"`
	Versions            []string `json:"versions"`
	CipherSuites        []string `json:"cipher_suites"`
	Groups              []string `json:"groups"`
	KeyShares           []string `json:"key_shares"`
	SignatureAlgorithms []string `json:"signature_algorithms"`
	ALPN                []string `json:"alpn"`
	Extensions          []string `json:"extensions"`
	// Raw is the ClientHello handshake message as received (4-byte header included), in hex:
	// what a client simulation replays (tlscore/scan/clients).
	Raw string `json:"raw"`
}

// Report describes a request's connection.
func Report(r *http.Request, now time.Time) ClientReport {
	rep := ClientReport{Remote: r.RemoteAddr, HTTPProtocol: r.Proto}
	if r.TLS == nil {
		return rep
	}
	cs := r.TLS
	rep.SNI = cs.ServerName
	rep.Version = wire.VersionName(cs.Version)
	rep.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	if cs.CurveID != 0 {
		rep.KeyExchange = wire.GroupName(uint16(cs.CurveID))
	}
	rep.ALPN = cs.NegotiatedProtocol
	rep.Resumed = cs.DidResume
	if len(cs.PeerCertificates) > 0 {
		c := inspect.Describe(cs.PeerCertificates[0], now)
		rep.ClientCertificate = &c
	}
	return rep
}

// AddHello fills in what the raw ClientHello shows.
func (rep *ClientReport) AddHello(raw []byte, ch *wire.ClientHello) {
	if ch == nil {
		return
	}
	v := &HelloView{Length: len(raw), Raw: hex.EncodeToString(raw)}
	for _, x := range ch.SupportedVersions {
		v.Versions = append(v.Versions, wire.VersionName(x))
	}
	if len(v.Versions) == 0 {
		v.Versions = []string{wire.VersionName(ch.LegacyVersion)}
	}
	for _, x := range ch.CipherSuites {
		v.CipherSuites = append(v.CipherSuites, wire.CipherSuiteName(x))
	}
	for _, x := range ch.SupportedGroups {
		v.Groups = append(v.Groups, wire.GroupName(x))
	}
	for _, k := range ch.KeyShares {
		v.KeyShares = append(v.KeyShares, fmt.Sprintf("%s (%d bytes)", wire.GroupName(k.Group), k.Length))
	}
	for _, x := range ch.SignatureAlgorithms {
		v.SignatureAlgorithms = append(v.SignatureAlgorithms, wire.SignatureSchemeName(x))
	}
	v.ALPN = append(v.ALPN, ch.ALPN...)
	for _, e := range ch.Extensions {
		v.Extensions = append(v.Extensions, e.Name)
	}
	rep.ClientHello = v
	rep.JA3, rep.JA3Hash = fingerprint.JA3(ch)
	rep.JA4, rep.JA4Raw = fingerprint.JA4(ch, false)
}

// InfoHandler answers every request with the client's own handshake: JSON for /json or
// "Accept: application/json", HTML for browsers, plain text otherwise (curl).
func InfoHandler(now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := Report(r, now())
		if tc, ok := connOf(r); ok {
			raw, hello := HelloOf(tc)
			rep.AddHello(raw, hello)
			rep.ECH = ECHOf(hello, tc.ConnectionState())
		}
		accept := r.Header.Get("Accept")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case r.URL.Path == "/json" || strings.Contains(accept, "application/json"):
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.Encode(rep)
		case strings.Contains(accept, "text/html"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			writeHTML(w, rep)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			writeText(w, rep)
		}
	})
}

type connKey struct{}

// ConnContext stores each connection in its requests' context, so handlers can find the
// ClientHello it carried. Use it as http.Server.ConnContext.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

func connOf(r *http.Request) (*tls.Conn, bool) {
	c, ok := r.Context().Value(connKey{}).(*tls.Conn)
	return c, ok
}

func writeText(w http.ResponseWriter, rep ClientReport) {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-22s %s\n", k+":", v) }
	line("remote", rep.Remote)
	line("http", rep.HTTPProtocol)
	line("sni", orNone(rep.SNI))
	line("version", rep.Version)
	line("cipher suite", rep.CipherSuite)
	line("key exchange", orNone(rep.KeyExchange))
	line("alpn", orNone(rep.ALPN))
	line("ech", echText(rep.ECH))
	if rep.ClientCertificate != nil {
		line("client certificate", rep.ClientCertificate.Subject)
	} else {
		line("client certificate", "none")
	}
	if h := rep.ClientHello; h != nil {
		b.WriteString("\nyour ClientHello (" + fmt.Sprint(h.Length) + " bytes):\n")
		line("  versions", strings.Join(h.Versions, ", "))
		line("  cipher suites", strings.Join(h.CipherSuites, ", "))
		line("  groups", strings.Join(h.Groups, ", "))
		line("  key shares", strings.Join(h.KeyShares, ", "))
		line("  signature algorithms", strings.Join(h.SignatureAlgorithms, ", "))
		line("  alpn", orNone(strings.Join(h.ALPN, ", ")))
		line("  extensions", strings.Join(h.Extensions, ", "))
		b.WriteString("\n")
		line("ja3", rep.JA3)
		line("ja3 hash", rep.JA3Hash)
		line("ja4", rep.JA4)
		line("ja4_r", rep.JA4Raw)
	}
	w.Write([]byte(b.String()))
}

// echText says in a line what the client's ECH did.
func echText(e *ECHView) string {
	switch {
	case e == nil:
		return "none"
	case e.Accepted:
		return fmt.Sprintf("accepted: your hello to %q was encrypted, the outer one said %q", e.InnerSNI, e.OuterSNI)
	default:
		return fmt.Sprintf("offered, not accepted (GREASE, or a config this server has no key for): outer SNI %q", e.OuterSNI)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// writeHTML renders the browser page by hand, escaping everything: it needs no template engine,
// whose package initialisation every tlskit command would otherwise pay at start-up.
func writeHTML(w http.ResponseWriter, rep ClientReport) {
	var b strings.Builder
	esc := html.EscapeString
	row := func(k, v string) { b.WriteString("<tr><th>" + esc(k) + "</th><td>" + v + "</td></tr>\n") }
	list := func(items []string) string {
		var l strings.Builder
		for _, it := range items {
			l.WriteString(esc(it) + "<br>")
		}
		return l.String()
	}
	b.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tlskit serve: your TLS connection</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
th{text-align:left;padding-right:1rem;vertical-align:top}td{font-family:ui-monospace,monospace}</style></head>
<body><h1>Your TLS connection</h1>
<table>
`)
	row("TLS version", esc(rep.Version))
	row("Cipher suite", esc(rep.CipherSuite))
	row("Key exchange", esc(rep.KeyExchange))
	row("SNI", esc(rep.SNI))
	row("Encrypted Client Hello", esc(echText(rep.ECH)))
	row("ALPN / HTTP", esc(rep.ALPN)+" / "+esc(rep.HTTPProtocol))
	client := "none"
	if rep.ClientCertificate != nil {
		client = esc(rep.ClientCertificate.Subject)
	}
	row("Client certificate", client)
	row("JA3", esc(rep.JA3Hash)+"<br><small>"+esc(rep.JA3)+"</small>")
	row("JA4", esc(rep.JA4)+"<br><small>"+esc(rep.JA4Raw)+"</small>")
	b.WriteString("</table>\n")
	if h := rep.ClientHello; h != nil {
		fmt.Fprintf(&b, "<h2>Your ClientHello (%d bytes)</h2>\n<table>\n", h.Length)
		row("Versions", list(h.Versions))
		row("Cipher suites", list(h.CipherSuites))
		row("Groups", list(h.Groups))
		row("Key shares", list(h.KeyShares))
		row("Signature algorithms", list(h.SignatureAlgorithms))
		row("ALPN", list(h.ALPN))
		row("Extensions (in order)", list(h.Extensions))
		b.WriteString("</table>\n")
	}
	b.WriteString("<p><a href=\"/json\">this as JSON</a></p>\n</body></html>\n")
	w.Write([]byte(b.String()))
}
