package scan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// HTTPResult is what one HTTP request over TLS showed: the headers that judge the site's
// transport security (Strict-Transport-Security), compression of its answers (BREACH) and the
// server's banner. The scan makes exactly one request, GET of the target's path ("/" unless
// the target was a URL with one), and follows no redirect: like testssl, it judges the answer
// it got, a redirect's headers included, and reports where the redirect points.
//
// A nil *HTTPResult means the check was not made: the target is upgraded with STARTTLS, whose
// protocols are not HTTP. Otherwise HTTP says whether the server answered in HTTP; when it did
// not (no connection, the handshake failed, the answer was something else or malformed,
// nothing came), Error says what happened, and only Request, AcceptEncoding (and ALPN and
// TLSVersion once a handshake was made) are set. Every string may hold what the peer sent,
// raw (Error quotes a malformed header line as it came): escape it before printing.
type HTTPResult struct {
	// HTTP: the answer's head parsed as an HTTP/1.x response.
	HTTP  bool   `json:"http"`
	Error string `json:"error,omitempty"`
	// Request is the request sent, head and all (no body), CRLF line ends included.
	Request string `json:"request"`
	// ALPN is the protocol the server chose of the one offered ("http/1.1"), "" when it chose
	// none; TLSVersion is the handshake's version.
	ALPN       string `json:"alpn"`
	TLSVersion string `json:"tls_version,omitempty"`
	// Status is the status code, Reason the status line's text after it ("OK"), Proto the
	// answer's version ("HTTP/1.1").
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
	Proto  string `json:"proto,omitempty"`
	// Server is the Server header's value, raw; nil when there is none (an empty one is "").
	Server *string `json:"server,omitempty"`
	// Location is a redirect's target, raw; it was not followed.
	Location string `json:"location,omitempty"`
	// HSTS is the Strict-Transport-Security header, parsed; nil when the answer has none.
	HSTS *HSTS `json:"hsts,omitempty"`
	// AcceptEncoding is what the request offered; ContentEncoding is the answer's
	// Content-Encoding ("gzip", "br", ...), "" when the body is not compressed.
	AcceptEncoding  string `json:"accept_encoding"`
	ContentEncoding string `json:"content_encoding,omitempty"`
}

// HSTS is a Strict-Transport-Security header (RFC 6797), as a browser reads it.
type HSTS struct {
	// Header is the first Strict-Transport-Security header's value, raw: the one a browser
	// heeds (RFC 6797 section 8.1). Headers counts them all.
	Header  string `json:"header"`
	Headers int    `json:"headers"`
	// MaxAge is max-age in seconds; nil when it is missing or not a number (then Error says
	// so). A value too big for 64 bits is read as the largest that fits.
	MaxAge            *int64 `json:"max_age,omitempty"`
	IncludeSubDomains bool   `json:"include_subdomains"`
	Preload           bool   `json:"preload"`
	// Error says why a browser ignores the header (RFC 6797 section 6.1): max-age missing or
	// not delta-seconds, a directive given twice, a syntax error.
	Error string `json:"error,omitempty"`
}

const (
	// httpMaxHead bounds the answer's status line and headers; nothing of the body is read.
	httpMaxHead = 64 << 10
	// httpMaxInterim bounds the 1xx answers (103 Early Hints) read before the final one.
	httpMaxInterim = 4
	// httpAcceptEncoding is what the request accepts: a compressed answer to it is what
	// BREACH needs.
	httpAcceptEncoding = "gzip, deflate, br"
	httpUserAgent      = "tlskit-scan (+https://github.com/tlskit/tlskit)"
	// hstsMinMaxAge is the shortest max-age not reported as too short: 180 days, testssl's
	// HSTS_MIN, which is also what the HSTS preload list asks at the least (it asks a year).
	hstsMinMaxAge = 180 * 24 * 60 * 60
)

// httpCheck makes the scan's HTTP request: one connection, within the scan's concurrency and
// rate bounds and its probe timeout, with Go's TLS client offering ALPN http/1.1 only (so the
// answer is HTTP/1.1 text), TLS 1.0 to 1.3 and every suite Go has (so a legacy server
// answers); the certificate is not verified here, the scan judges it elsewhere. See HTTPResult
// for what nil and an Error mean.
func (s *scanner) httpCheck(ctx context.Context) *HTTPResult {
	if s.opts.StartTLS != "" {
		return nil
	}
	res := &HTTPResult{Request: httpRequest(s.opts), AcceptEncoding: httpAcceptEncoding}
	err := s.goTLS(ctx, &tls.Config{NextProtos: []string{"http/1.1"}}, func(tc *tls.Conn, _ *helloTap) outcome {
		return talkHTTP(tc, res)
	})
	var dial *net.OpError
	switch {
	case errors.As(err, &dial) && dial.Op == "dial":
		res.Error = "no connection: " + err.Error()
	case err != nil:
		res.Error = "TLS handshake failed: " + err.Error()
	}
	return res
}

// httpRequest is the request head for the target: GET of its path, Host the server name
// (or the address) with the port unless it is 443, Accept-Encoding httpAcceptEncoding.
func httpRequest(opts Options) string {
	host := opts.ServerName
	if host == "" {
		host = opts.Target.Host
	}
	if opts.Target.Port != 443 {
		host = net.JoinHostPort(host, strconv.Itoa(opts.Target.Port))
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	path := opts.Target.Path
	if !strings.HasPrefix(path, "/") || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		path = "/"
	}
	return "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"User-Agent: " + httpUserAgent + "\r\n" +
		"Accept: text/html,*/*;q=0.8\r\n" +
		"Accept-Encoding: " + httpAcceptEncoding + "\r\n" +
		"Connection: close\r\n" +
		"\r\n"
}

// talkHTTP sends res.Request on a connection whose handshake is done and reads the answer's
// head into res. The outcome tells the prober the peer answered in TLS.
func talkHTTP(tc *tls.Conn, res *HTTPResult) outcome {
	st := tc.ConnectionState()
	res.ALPN, res.TLSVersion = st.NegotiatedProtocol, tls.VersionName(st.Version)
	answered := outcome{kind: outHello}
	if _, err := io.WriteString(tc, res.Request); err != nil {
		res.Error = "sending the HTTP request: " + err.Error()
		return answered
	}
	br := bufio.NewReader(io.LimitReader(tc, httpMaxHead))
	if first, err := br.Peek(len("HTTP/1.")); !bytes.HasPrefix(first, []byte("HTTP/")) {
		res.Error = notHTTP(first, err)
		return answered
	}
	for range httpMaxInterim + 1 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && br.Buffered() == 0 {
				err = fmt.Errorf("the head is longer than %d KiB, or cut short", httpMaxHead>>10)
			}
			res.Error = "malformed HTTP answer: " + err.Error()
			return answered
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // an interim answer (103 Early Hints): the final one follows
		}
		readHead(resp, res)
		return answered
	}
	res.Error = fmt.Sprintf("more than %d interim (1xx) HTTP answers", httpMaxInterim)
	return answered
}

// notHTTP says what came instead of an HTTP status line: first is what was read, err why no
// more was.
func notHTTP(first []byte, err error) string {
	switch {
	case len(first) == 0 && isTimeout(err):
		return "no answer to the HTTP request before the timeout"
	case len(first) == 0 && errors.Is(err, io.EOF):
		return "the server closed the connection without answering the HTTP request"
	case len(first) == 0:
		return "no answer to the HTTP request: " + err.Error()
	}
	return fmt.Sprintf("the answer is not HTTP: it begins %q", first)
}

// readHead copies what the checks judge from the answer's head.
func readHead(resp *http.Response, res *HTTPResult) {
	res.HTTP = true
	res.Status, res.Proto = resp.StatusCode, resp.Proto
	res.Reason = strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)+" ")
	if v, ok := resp.Header["Server"]; ok && len(v) > 0 {
		res.Server = &v[0]
	}
	res.Location = resp.Header.Get("Location")
	res.ContentEncoding = strings.TrimSpace(strings.Join(resp.Header.Values("Content-Encoding"), ", "))
	if v := resp.Header.Values("Strict-Transport-Security"); len(v) > 0 {
		h := parseHSTS(v[0])
		h.Headers = len(v)
		res.HSTS = &h
	}
}

// parseHSTS reads a Strict-Transport-Security value as RFC 6797 section 6.1 has it: directives
// separated by ";", each a token name (any case) with an optional "=" and a token or
// quoted-string value; max-age is required and is delta-seconds; no directive may appear twice;
// unknown directives are ignored. A header a browser must ignore has Error set.
func parseHSTS(value string) HSTS {
	h := HSTS{Header: value}
	seen := map[string]bool{}
	fail := func(format string, args ...any) {
		if h.Error == "" {
			h.Error = fmt.Sprintf(format, args...)
		}
	}
	rest := value
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] == ';' {
			rest = rest[1:]
			continue
		}
		n := strings.IndexFunc(rest, func(r rune) bool { return !isTokenChar(r) })
		if n < 0 {
			n = len(rest)
		}
		if n == 0 {
			fail("unexpected %q", rest[:1])
			break
		}
		name := strings.ToLower(rest[:n])
		rest = strings.TrimLeft(rest[n:], " \t")
		val, hasVal := "", false
		if strings.HasPrefix(rest, "=") {
			hasVal = true
			rest = strings.TrimLeft(rest[1:], " \t")
			var err error
			if val, rest, err = directiveValue(rest); err != nil {
				fail("%s: %v", name, err)
				break
			}
			rest = strings.TrimLeft(rest, " \t")
		}
		if rest != "" && rest[0] != ';' {
			fail("unexpected %q after the %s directive", rest[:1], name)
			break
		}
		if seen[name] {
			fail("the %s directive is given twice", name)
		}
		seen[name] = true
		switch name {
		case "max-age":
			age, err := deltaSeconds(val)
			if !hasVal || err != nil {
				fail("max-age %q is not a number of seconds", val)
				continue
			}
			if h.MaxAge == nil {
				h.MaxAge = &age
			}
		case "includesubdomains":
			h.IncludeSubDomains = true
		case "preload":
			h.Preload = true
		}
	}
	if h.Error == "" && h.MaxAge == nil {
		h.Error = "max-age is missing"
	}
	return h
}

// directiveValue reads a token or a quoted-string from the start of s, returning the value
// (unquoted) and the rest.
func directiveValue(s string) (val, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		n := strings.IndexFunc(s, func(r rune) bool { return !isTokenChar(r) })
		if n < 0 {
			n = len(s)
		}
		return s[:n], s[n:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("unterminated quoted string")
			}
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

// deltaSeconds parses 1*DIGIT; a value beyond int64 is the largest int64.
func deltaSeconds(s string) (int64, error) {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, errors.New("not delta-seconds")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return math.MaxInt64, nil
	}
	return n, err
}

// isTokenChar reports whether r may appear in an RFC 7230 token.
func isTokenChar(r rune) bool {
	if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
		return true
	}
	return r < 0x7f && strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// httpFindings judges an HTTP answer, with testssl's severities where it has the check:
//
//	insecure-redirect  high    a redirect to a plain http:// URL (testssl insecure_redirect HIGH)
//	no-hsts            low     no Strict-Transport-Security header (testssl HSTS LOW "not offered")
//	hsts-invalid       medium  the header is one browsers ignore: max-age missing or not a
//	                           number, a directive twice (testssl HSTS_time MEDIUM "max-age missing")
//	hsts-disabled      low     max-age=0, which switches HSTS off (testssl HSTS_time LOW)
//	hsts-short         medium  max-age under 180 days (testssl HSTS_time MEDIUM, below HSTS_MIN)
//	hsts-multiple      medium  more than one Strict-Transport-Security header (testssl HSTS_multiple MEDIUM)
//	breach             medium  the answer to a request accepting compression is compressed
//	                           (testssl BREACH MEDIUM "potentially VULNERABLE")
//	server-banner      info    the Server header names a version (testssl banner_server INFO
//	                           shows any banner; tlskit says nothing of one without a version)
//
// No answer in HTTP (or no check) has no findings. Header values are quoted raw: whoever prints
// a message escapes it.
func httpFindings(h *HTTPResult) []Finding {
	if h == nil || !h.HTTP {
		return nil
	}
	var out []Finding
	add := func(id, sev, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	answer := strconv.Itoa(h.Status)
	if h.Reason != "" {
		answer += " " + h.Reason
	}
	if h.Status >= 300 && h.Status < 400 && len(h.Location) >= 7 && strings.EqualFold(h.Location[:7], "http://") {
		add("insecure-redirect", "high", "the HTTPS answer (%s) redirects to a plain-HTTP URL: %s", answer, h.Location)
	}
	switch s := h.HSTS; {
	case s == nil:
		add("no-hsts", "low", "no HSTS: the answer (%s) has no Strict-Transport-Security header", answer)
	case s.Error != "":
		add("hsts-invalid", "medium", "HSTS header %q is invalid (%s): browsers ignore it", s.Header, s.Error)
	case *s.MaxAge == 0:
		add("hsts-disabled", "low", "HSTS max-age=0: the header switches HSTS off")
	case *s.MaxAge < hstsMinMaxAge:
		add("hsts-short", "medium", "HSTS max-age=%d (%s) is short: below %d s (180 days)", *s.MaxAge, days(*s.MaxAge), hstsMinMaxAge)
	}
	if s := h.HSTS; s != nil && s.Headers > 1 {
		add("hsts-multiple", "medium", "%d Strict-Transport-Security headers: browsers heed only the first", s.Headers)
	}
	if h.ContentEncoding != "" && !strings.EqualFold(h.ContentEncoding, "identity") {
		add("breach", "medium", "HTTP compression (Content-Encoding: %s) of the answer to a request accepting %s: "+
			"BREACH (CVE-2013-3587) is possible where a page reflects input beside secrets", h.ContentEncoding, h.AcceptEncoding)
	}
	if h.Server != nil && bannerVersion(*h.Server) {
		add("server-banner", "info", "the Server header names a version: %s", *h.Server)
	}
	return out
}

// days is a duration in seconds in whole days, or in hours below a day.
func days(sec int64) string {
	switch {
	case sec >= 2*86400:
		return strconv.FormatInt(sec/86400, 10) + " days"
	case sec >= 86400:
		return "1 day"
	case sec >= 2*3600:
		return strconv.FormatInt(sec/3600, 10) + " hours"
	case sec >= 3600:
		return "1 hour"
	}
	return strconv.FormatInt(sec, 10) + " s"
}

// bannerVersion reports whether a Server banner carries a version: a digit after a "/"
// ("nginx/1.22.1", "Apache/2.4.62 (Debian)").
func bannerVersion(banner string) bool {
	i := strings.IndexByte(banner, '/')
	return i >= 0 && i+1 < len(banner) && banner[i+1] >= '0' && banner[i+1] <= '9'
}
