package scan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// httpScanner is a scanner for the HTTP check alone, with Scan's defaults.
func httpScanner(t *testing.T, opts Options) *scanner {
	t.Helper()
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	opts.Parallel, opts.Rate = 8, 250
	return &scanner{p: newProber(opts, func() {}), opts: opts}
}

func runHTTPCheck(t *testing.T, addr string, timeout time.Duration) *HTTPResult {
	t.Helper()
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatal(err)
	}
	s := httpScanner(t, Options{Target: connect.Target{Input: addr, Host: host, Port: port}, Timeout: timeout})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.httpCheck(ctx)
}

// httpVerdicts are the HTTP checks' verdicts in one vocabulary for tlskit and testssl: each
// judged item is "verdict severity".
type httpVerdicts struct {
	HSTS       string // "absent low", "ok", "short medium", "invalid medium", "disabled low"
	Subdomains bool   // the header says includeSubDomains (with HSTS present)
	Preload    bool
	Multiple   string // "medium" when more than one header
	BREACH     string // "ok", "vulnerable medium"
	Banner     string // the Server banner; "(none)" without one
	Redirect   string // "insecure high" for a redirect to http://
}

// ourVerdicts reads tlskit's result and findings in the shared vocabulary.
func ourVerdicts(h *HTTPResult) httpVerdicts {
	v := httpVerdicts{HSTS: "ok", BREACH: "ok", Banner: "(none)"}
	if h.Server != nil {
		v.Banner = *h.Server
	}
	if h.HSTS != nil {
		v.Subdomains, v.Preload = h.HSTS.IncludeSubDomains, h.HSTS.Preload
	}
	for _, f := range httpFindings(h) {
		switch f.ID {
		case "no-hsts":
			v.HSTS = "absent " + f.Severity
		case "hsts-short":
			v.HSTS = "short " + f.Severity
		case "hsts-invalid":
			v.HSTS = "invalid " + f.Severity
		case "hsts-disabled":
			v.HSTS = "disabled " + f.Severity
		case "hsts-multiple":
			v.Multiple = f.Severity
		case "breach":
			v.BREACH = "vulnerable " + f.Severity
		case "insecure-redirect":
			v.Redirect = "insecure " + f.Severity
		}
	}
	return v
}

// theirVerdicts reads testssl's JSON findings in the shared vocabulary.
func theirVerdicts(t *testing.T, findings []testsslFinding) httpVerdicts {
	t.Helper()
	v := httpVerdicts{}
	sev := func(f testsslFinding) string { return strings.ToLower(f.Severity) }
	for _, f := range findings {
		switch f.ID {
		case "HSTS":
			if strings.Contains(f.Finding, "not offered") {
				v.HSTS = "absent " + sev(f)
			}
		case "HSTS_time":
			switch {
			case f.Severity == "OK":
				v.HSTS = "ok"
			case strings.Contains(f.Finding, "too short"):
				v.HSTS = "short " + sev(f)
			case strings.Contains(f.Finding, "missing"):
				v.HSTS = "invalid " + sev(f)
			case strings.Contains(f.Finding, "disabled"):
				v.HSTS = "disabled " + sev(f)
			default:
				t.Errorf("testssl's HSTS_time %s %q is new to the test", f.Severity, f.Finding)
			}
		case "HSTS_subdomains":
			v.Subdomains = f.Severity == "OK"
		case "HSTS_preload":
			v.Preload = f.Severity == "OK"
		case "HSTS_multiple":
			v.Multiple = sev(f)
		case "BREACH":
			switch f.Severity {
			case "OK":
				v.BREACH = "ok"
			case "MEDIUM", "HIGH":
				v.BREACH = "vulnerable " + sev(f)
			default:
				t.Errorf("testssl's BREACH %s %q is new to the test", f.Severity, f.Finding)
			}
		case "banner_server":
			v.Banner = f.Finding
			if strings.HasPrefix(f.Finding, "No Server banner") {
				v.Banner = "(none)"
			}
		case "insecure_redirect":
			v.Redirect = "insecure " + sev(f)
		}
	}
	return v
}

// page is an HTML page well over nginx's gzip_min_length (20 bytes).
var page = []byte("<!doctype html>\n<title>tlskit</title>\n" + strings.Repeat("<p>the HTTP checks of tlskit scan</p>\n", 64))

// TestHTTPVersusTestssl: the HTTP checks beside testssl's --headers and --breach on the same
// servers in the same run: each case says what both must find, and where testssl is wrong,
// what it finds instead and why. More ways testssl reads a header otherwise are in
// TestParseHSTS, not run against it here: a testssl run costs 3 s of CPU.
func TestHTTPVersusTestssl(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	certFile, keyFile, _ := testCert(t, "rsa")
	certs := "ssl_certificate " + certFile + ";\nssl_certificate_key " + keyFile + ";\n"
	// legacy is an old nginx configuration: TLS 1.0 to 1.2, every suite, gzip, the version in
	// the banner, no HSTS.
	legacy := certs + `ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
		ssl_ciphers DEFAULT:@SECLEVEL=0;
		server_tokens on;
		gzip on;
		gzip_types text/html;`
	modern := certs + `ssl_protocols TLSv1.2 TLSv1.3;
		server_tokens off;
		add_header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload" always;`
	nginxBanner := "nginx/" + nginxVersion(t)
	for _, tc := range []struct {
		name   string
		server string
		want   httpVerdicts
		// theirs, when set, is what testssl finds where it is wrong, and why says why.
		theirs *httpVerdicts
		why    string
	}{
		{name: "modern", server: modern,
			want: httpVerdicts{HSTS: "ok", Subdomains: true, Preload: true, BREACH: "ok", Banner: "nginx"}},
		{name: "legacy", server: legacy,
			want: httpVerdicts{HSTS: "absent low", BREACH: "vulnerable medium", Banner: nginxBanner}},
		// Short, twice and a redirect to plain HTTP in one server: testssl costs 3 s of CPU a
		// run. Both judge the first header; the redirect is not followed.
		{name: "short max-age twice, insecure redirect", server: certs + `server_tokens off;
			add_header Strict-Transport-Security "max-age=86400" always;
			add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
			return 301 http://tlskit.test/;`,
			want: httpVerdicts{HSTS: "short medium", Multiple: "medium", BREACH: "ok", Banner: "nginx", Redirect: "insecure high"}},
		// testssl is wrong here: it takes every digit in the header for max-age (sed
		// 's/[^0-9]*//g'), so one hour beside an extension directive "x-ext=9999" is 36009999 s
		// (416 days) to it. RFC 6797 ignores unknown directives: max-age is 3600.
		{name: "max-age beside digits", server: certs + `server_tokens off;
			add_header Strict-Transport-Security "max-age=3600; x-ext=9999" always;`,
			want:   httpVerdicts{HSTS: "short medium", BREACH: "ok", Banner: "nginx"},
			theirs: &httpVerdicts{HSTS: "ok", BREACH: "ok", Banner: "nginx"}, why: "testssl reads every digit of the header as max-age"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := peertest.Nginx(t, peertest.NginxConfig{Server: tc.server, Files: map[string][]byte{"html/index.html": page}})
			done := make(chan []testsslFinding, 1)
			go func() { done <- runTestssl(t, srv.Addr(), "--headers", "--breach") }()
			h := runHTTPCheck(t, srv.Addr(), 5*time.Second)
			theirFindings := <-done
			if h == nil || !h.HTTP {
				t.Fatalf("tlskit: %+v", h)
			}
			if tc.name == "legacy" {
				// The legacy server is one: it takes TLS 1.0.
				c, err := tls.Dial("tcp", srv.Addr(), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
				if err != nil {
					t.Errorf("legacy nginx refuses TLS 1.0: %v", err)
				} else {
					c.Close()
				}
			}
			ours, theirs := ourVerdicts(h), theirVerdicts(t, theirFindings)
			if ours != tc.want {
				t.Errorf("tlskit:  %+v\nwant:    %+v", ours, tc.want)
			}
			wantTheirs := tc.want
			if tc.theirs != nil {
				wantTheirs = *tc.theirs
			}
			if theirs != wantTheirs {
				t.Errorf("testssl: %+v\nwant:    %+v %s", theirs, wantTheirs, tc.why)
			}
			j, _ := json.MarshalIndent(h, "", "  ")
			var fs []string
			for _, f := range httpFindings(h) {
				fs = append(fs, f.ID+" "+f.Severity+": "+f.Message)
			}
			var ts []string
			for _, f := range theirFindings {
				if strings.HasPrefix(f.ID, "HSTS") || strings.HasPrefix(f.ID, "BREACH") || f.ID == "banner_server" || f.ID == "insecure_redirect" || f.ID == "HTTP_status_code" {
					ts = append(ts, f.ID+" "+f.Severity+" "+f.Finding)
				}
			}
			t.Logf("tlskit: %s\nfindings:\n  %s\ntestssl:\n  %s", j, strings.Join(fs, "\n  "), strings.Join(ts, "\n  "))
		})
	}
}

// nginxVersion is the version `nginx -v` prints ("1.22.1"), which server_tokens on shows.
func nginxVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(peertest.Need(t, "nginx"), "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -v: %v\n%s", err, out)
	}
	_, v, ok := strings.Cut(strings.TrimSpace(string(out)), "nginx/")
	if !ok {
		t.Fatalf("nginx -v said %q", out)
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// TestHTTPCheckPeers: the check on servers testssl is not needed for: Go's net/http (HTTP, no
// HSTS, no banner), a TLS server that echoes the request (it answers, not in HTTP), openssl
// s_server without -www (it answers nothing), a server that refuses the handshake, and a
// STARTTLS target (no check).
func TestHTTPCheckPeers(t *testing.T) {
	t.Parallel()
	goHTTP := func(t *testing.T) string {
		var addr string
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The request the check sends, as Go's server reads it.
			if r.Method != "GET" || r.URL.Path != "/" || r.Host != addr || r.Header.Get("Accept-Encoding") != httpAcceptEncoding ||
				r.UserAgent() != httpUserAgent || !r.Close {
				http.Error(w, "unexpected request", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "hello\n")
		}))
		srv.StartTLS()
		t.Cleanup(srv.Close)
		addr = srv.Listener.Addr().String()
		return addr
	}
	echo := func(t *testing.T) string {
		cfg := peertest.ServerConfig(t)
		return peertest.Serve(t, func(ctx context.Context, c net.Conn) {
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			n, _ := tc.Read(buf)
			tc.Write(buf[:n])
		})
	}
	silent := func(t *testing.T) string {
		certFile, keyFile, _ := testCert(t, "rsa")
		return peertest.Start(t, peertest.Program{
			Name: "openssl",
			Env:  peertest.OpenSSLEnv,
			Args: func(port string) []string {
				return []string{"s_server", "-accept", "127.0.0.1:" + port, "-cert", certFile, "-key", keyFile}
			},
			Ready: func(_, out string) bool { return strings.Contains(out, "ACCEPT") },
		}).Addr()
	}
	refuses := func(t *testing.T) string {
		// A TLS 1.2 server that wants a client certificate fails the handshake itself (in
		// TLS 1.3 the client's handshake is over before the server judges its certificate).
		cfg := peertest.ServerConfig(t)
		cfg.ClientAuth, cfg.MaxVersion = tls.RequireAnyClientCert, tls.VersionTLS12
		return peertest.Serve(t, func(ctx context.Context, c net.Conn) {
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(5 * time.Second))
			tc.Handshake()
		})
	}
	// raw answers the request with reply, as it is.
	raw := func(reply string) func(*testing.T) string {
		return func(t *testing.T) string {
			cfg := peertest.ServerConfig(t)
			return peertest.Serve(t, func(ctx context.Context, c net.Conn) {
				tc := tls.Server(c, cfg)
				tc.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 512)
				if _, err := tc.Read(buf); err != nil {
					return
				}
				io.WriteString(tc, reply)
			})
		}
	}
	wantsCert13 := func(t *testing.T) string {
		cfg := peertest.ServerConfig(t)
		cfg.ClientAuth = tls.RequireAnyClientCert
		return peertest.Serve(t, func(ctx context.Context, c net.Conn) {
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(5 * time.Second))
			tc.Handshake()
		})
	}
	for _, tc := range []struct {
		name    string
		start   func(*testing.T) string
		timeout time.Duration
		http    bool
		err     string // what Error contains
		ids     []string
	}{
		{"Go net/http", goHTTP, 5 * time.Second, true, "", []string{"no-hsts"}},
		{"103 Early Hints, then 200", raw("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Encoding: br\r\n\r\nxx"), 5 * time.Second, true, "", []string{"breach"}},
		// Go's reader refuses control characters in header values: the answer is malformed.
		{"control characters", raw("HTTP/1.1 200 OK\r\nServer: x\x1b[2Jy\r\n\r\n"), 5 * time.Second, false, "malformed HTTP answer", nil},
		{"head over 64 KiB", raw("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n"), 5 * time.Second, false,
			"malformed HTTP answer: the head is longer than 64 KiB, or cut short", nil},
		{"cut short", raw("HTTP/1.1 200 OK\r\nServer: x"), 5 * time.Second, false, "malformed HTTP answer", nil},
		{"TLS echo", echo, 5 * time.Second, false, `the answer is not HTTP: it begins "GET / H"`, nil},
		{"s_server without -www", silent, time.Second, false, "no answer to the HTTP request before the timeout", nil},
		{"handshake refused", refuses, 5 * time.Second, false, "TLS handshake failed", nil},
		{"TLS 1.3 client certificate required", wantsCert13, 5 * time.Second, false, "no answer to the HTTP request: remote error: tls: certificate required", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := runHTTPCheck(t, tc.start(t), tc.timeout)
			if h == nil {
				t.Fatal("no result")
			}
			var ids []string
			for _, f := range httpFindings(h) {
				ids = append(ids, f.ID)
			}
			if h.HTTP != tc.http || !strings.Contains(h.Error, tc.err) || (tc.err == "") != (h.Error == "") || !slices.Equal(ids, tc.ids) {
				j, _ := json.MarshalIndent(h, "", "  ")
				t.Errorf("http %v, error %q, findings %v; want %v, %q, %v\n%s", h.HTTP, h.Error, ids, tc.http, tc.err, tc.ids, j)
			}
			if tc.name == "Go net/http" && (h.Status != 200 || h.Reason != "OK" || h.Proto != "HTTP/1.1" || h.Server != nil || h.HSTS != nil ||
				h.ALPN != "http/1.1" || h.TLSVersion != "TLS 1.3") {
				t.Errorf("Go's answer read as %+v", h)
			}
		})
	}
	t.Run("STARTTLS", func(t *testing.T) {
		t.Parallel()
		s := httpScanner(t, Options{Target: connect.Target{Host: "127.0.0.1", Port: 25}, StartTLS: "smtp"})
		if h := s.httpCheck(context.Background()); h != nil {
			t.Errorf("a STARTTLS target was checked: %+v", h)
		}
	})
}

func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts       Options
		line, host string
	}{
		{Options{Target: connect.Target{Host: "127.0.0.1", Port: 8443}}, "GET / HTTP/1.1", "127.0.0.1:8443"},
		{Options{Target: connect.Target{Host: "192.0.2.1", Port: 443}, ServerName: "example.com"}, "GET / HTTP/1.1", "example.com"},
		{Options{Target: connect.Target{Host: "2001:db8::1", Port: 443}}, "GET / HTTP/1.1", "[2001:db8::1]"},
		{Options{Target: connect.Target{Host: "2001:db8::1", Port: 8443}}, "GET / HTTP/1.1", "[2001:db8::1]:8443"},
		{Options{Target: connect.Target{Host: "example.com", Port: 443, Path: "/app?x=1"}}, "GET /app?x=1 HTTP/1.1", "example.com"},
		// A path that would break the request line is not sent.
		{Options{Target: connect.Target{Host: "example.com", Port: 443, Path: "/a b\r\nX: y"}}, "GET / HTTP/1.1", "example.com"},
	} {
		req := httpRequest(tc.opts)
		want := tc.line + "\r\nHost: " + tc.host + "\r\nUser-Agent: " + httpUserAgent + "\r\nAccept: text/html,*/*;q=0.8\r\n" +
			"Accept-Encoding: gzip, deflate, br\r\nConnection: close\r\n\r\n"
		if req != want {
			t.Errorf("%+v: request\n%q\nwant\n%q", tc.opts, req, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestParseHSTS: RFC 6797 section 6.1's grammar, and where testssl reads a header otherwise
// (it takes every digit in the header for max-age, and greps for includeSubDomains and preload
// as words anywhere).
func TestParseHSTS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value string
		want  HSTS
	}{
		{"max-age=63072000; includeSubDomains; preload", HSTS{MaxAge: ptr[int64](63072000), IncludeSubDomains: true, Preload: true}},
		{"MAX-AGE=10;INCLUDESUBDOMAINS", HSTS{MaxAge: ptr[int64](10), IncludeSubDomains: true}},
		{` max-age = "31536000" ; ; `, HSTS{MaxAge: ptr[int64](31536000)}},
		{"max-age=0", HSTS{MaxAge: ptr[int64](0)}},
		{"max-age=99999999999999999999999", HSTS{MaxAge: ptr[int64](math.MaxInt64)}},
		// Unknown directives are ignored. testssl reads max-age here as 36009999 (416 days).
		{`max-age=3600; x-ext=9999; report-uri="https://r.test/a;b"`, HSTS{MaxAge: ptr[int64](3600)}},
		{"includeSubDomains", HSTS{IncludeSubDomains: true, Error: "max-age is missing"}},
		{"", HSTS{Error: "max-age is missing"}},
		{"max-age=abc", HSTS{Error: `max-age "abc" is not a number of seconds`}},
		{"max-age=-1", HSTS{Error: `max-age "-1" is not a number of seconds`}},
		{"max-age", HSTS{Error: `max-age "" is not a number of seconds`}},
		{"max-age=1; max-age=2", HSTS{MaxAge: ptr[int64](1), Error: "the max-age directive is given twice"}},
		{"max-age=1; preload; Preload", HSTS{MaxAge: ptr[int64](1), Preload: true, Error: "the preload directive is given twice"}},
		{`max-age="1`, HSTS{Error: "max-age: unterminated quoted string"}},
		{"max-age=1 2", HSTS{Error: `unexpected "2" after the max-age directive`}},
		{"max-age=1, includeSubDomains", HSTS{Error: `unexpected "," after the max-age directive`}},
		// testssl's word grep finds includeSubDomains in another directive's value.
		{`max-age=1; x="includeSubDomains"`, HSTS{MaxAge: ptr[int64](1)}},
		{"max-age=1;\x1b[31m", HSTS{MaxAge: ptr[int64](1), Error: `unexpected "\x1b"`}},
	} {
		got := parseHSTS(tc.value)
		tc.want.Header = tc.value
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(tc.want)
		if string(gj) != string(wj) {
			t.Errorf("parseHSTS(%q)\n got %s\nwant %s", tc.value, gj, wj)
		}
	}
}

func FuzzParseHSTS(f *testing.F) {
	for _, s := range []string{"max-age=63072000; includeSubDomains; preload", `max-age="1"`, "max-age=1; max-age=2", `x="\\"`, ";;", "max-age=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		h := parseHSTS(value)
		if (h.MaxAge == nil) == (h.Error == "") && !strings.Contains(h.Error, "twice") && !strings.Contains(h.Error, "unexpected") && !strings.Contains(h.Error, "unterminated") {
			t.Errorf("parseHSTS(%q) = %+v: max-age and error disagree", value, h)
		}
		if h.MaxAge != nil && *h.MaxAge < 0 {
			t.Errorf("parseHSTS(%q): negative max-age", value)
		}
		httpFindings(&HTTPResult{HTTP: true, Status: 200, HSTS: &h})
	})
}

func TestHTTPFindings(t *testing.T) {
	t.Parallel()
	hsts := func(v string) *HSTS { h := parseHSTS(v); h.Headers = 1; return &h }
	banner := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		h    *HTTPResult
		want []string // "id severity"
	}{
		{"no check", nil, nil},
		{"not HTTP", &HTTPResult{Error: "the answer is not HTTP"}, nil},
		{"good", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=15552000"), Server: banner("nginx")}, nil},
		{"no HSTS", &HTTPResult{HTTP: true, Status: 200}, []string{"no-hsts low"}},
		{"short", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=15551999")}, []string{"hsts-short medium"}},
		{"disabled", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=0")}, []string{"hsts-disabled low"}},
		{"invalid", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("includeSubDomains")}, []string{"hsts-invalid medium"}},
		{"twice", &HTTPResult{HTTP: true, Status: 200, HSTS: &HSTS{Header: "max-age=31536000", MaxAge: ptr[int64](31536000), Headers: 2}}, []string{"hsts-multiple medium"}},
		{"compressed", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=31536000"), ContentEncoding: "br", AcceptEncoding: httpAcceptEncoding}, []string{"breach medium"}},
		{"identity", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=31536000"), ContentEncoding: "identity"}, nil},
		{"banner with a version", &HTTPResult{HTTP: true, Status: 200, HSTS: hsts("max-age=31536000"), Server: banner("Apache/2.4.62 (Debian)")}, []string{"server-banner info"}},
		{"insecure redirect", &HTTPResult{HTTP: true, Status: 302, Location: "HTTP://example.com/"}, []string{"insecure-redirect high", "no-hsts low"}},
		{"secure redirect", &HTTPResult{HTTP: true, Status: 301, Location: "https://example.com/", HSTS: hsts("max-age=31536000")}, nil},
	} {
		var got []string
		for _, f := range httpFindings(tc.h) {
			if f.Message == "" {
				t.Errorf("%s: %s has no message", tc.name, f.ID)
			}
			got = append(got, f.ID+" "+f.Severity)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: findings %v, want %v", tc.name, got, tc.want)
		}
	}
}
