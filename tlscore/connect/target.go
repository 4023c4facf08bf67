package connect

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tlskit/tlskit/tlscore/names/hostname"
)

// Target is one place to connect to, parsed from what a user typed.
type Target struct {
	// Input is the text the target was parsed from.
	Input string `json:"input"`
	// Scheme is the URL scheme when the target was given as a URL ("https", "smtp", ...).
	Scheme string `json:"scheme,omitempty"`
	// Host is an ASCII hostname (IDNs in punycode, lower case, no trailing dot) or an IP
	// address without brackets.
	Host string `json:"host"`
	// Port is always in 1..65535.
	Port int `json:"port"`
	// Path is the URL path (and query) when one was given, for commands that make a request.
	Path string `json:"path,omitempty"`
}

// Address is the host:port to dial, with IPv6 addresses bracketed.
func (t Target) Address() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// IsIP reports whether the host is an IP address rather than a name.
func (t Target) IsIP() bool {
	_, err := netip.ParseAddr(t.Host)
	return err == nil
}

// ServerName is the name to send in SNI and check the certificate against: the host name, or
// empty for an IP address (RFC 6066 forbids IP literals in SNI).
func (t Target) ServerName() string {
	if t.IsIP() {
		return ""
	}
	return t.Host
}

// Scheme describes a URL scheme tlskit understands in a target. Schemes is the one table of
// schemes, default ports and STARTTLS upgrades: ParseTarget's default ports, StartTLSProtocols,
// StartTLSForPort and Target.ImpliedStartTLS all read it, so a protocol is added in one row.
type Scheme struct {
	Name        string
	DefaultPort int
	// StartTLS is the plaintext protocol StartTLS upgrades for this scheme ("smtp" for
	// submission too), or "" for a scheme whose connections begin with TLS.
	StartTLS string
}

// Schemes lists the URL schemes accepted in targets, with their IANA default ports. The
// STARTTLS rows are in the order StartTLSProtocols lists their protocols (and help text shows).
var Schemes = []Scheme{
	{Name: "https", DefaultPort: 443},
	{Name: "wss", DefaultPort: 443},
	{Name: "smtps", DefaultPort: 465},
	{Name: "submissions", DefaultPort: 465},
	{Name: "ldaps", DefaultPort: 636},
	{Name: "ftps", DefaultPort: 990},
	{Name: "imaps", DefaultPort: 993},
	{Name: "pop3s", DefaultPort: 995},
	{Name: "amqps", DefaultPort: 5671},
	{Name: "ircs", DefaultPort: 6697},
	{Name: "mqtts", DefaultPort: 8883},
	{Name: "smtp", DefaultPort: 25, StartTLS: "smtp"},
	{Name: "submission", DefaultPort: 587, StartTLS: "smtp"},
	{Name: "imap", DefaultPort: 143, StartTLS: "imap"},
	{Name: "pop3", DefaultPort: 110, StartTLS: "pop3"},
	{Name: "ftp", DefaultPort: 21, StartTLS: "ftp"},
	{Name: "xmpp", DefaultPort: 5222, StartTLS: "xmpp"},
	{Name: "postgres", DefaultPort: 5432, StartTLS: "postgres"},
	{Name: "postgresql", DefaultPort: 5432, StartTLS: "postgres"},
	{Name: "ldap", DefaultPort: 389, StartTLS: "ldap"},
}

// LookupScheme finds a scheme by name (case-insensitive).
func LookupScheme(name string) (Scheme, bool) {
	name = strings.ToLower(name)
	for _, s := range Schemes {
		if s.Name == name {
			return s, true
		}
	}
	return Scheme{}, false
}

// ImpliedStartTLS is the STARTTLS upgrade the target itself implies ("" for none): its URL
// scheme's when it was given as a URL (https://host:25 upgrades nothing), else its port's.
func (t Target) ImpliedStartTLS() string {
	if t.Scheme != "" {
		s, _ := LookupScheme(t.Scheme)
		return s.StartTLS
	}
	return StartTLSForPort(t.Port)
}

// TargetError says why a target could not be parsed. Line is set (from 1) when the target came
// from a list, such as standard input.
type TargetError struct {
	Input  string
	Line   int
	Source string // where a listed target came from, e.g. "stdin"
	Reason string
}

func (e *TargetError) Error() string {
	msg := fmt.Sprintf("invalid target %q: %s", e.Input, e.Reason)
	if e.Line > 0 {
		return fmt.Sprintf("%s line %d: %s", e.Source, e.Line, msg)
	}
	return msg
}

// maxTargetLen bounds a target's length: a URL longer than this is not something anyone meant
// to connect to, and the bound keeps error messages short.
const maxTargetLen = 2048

// ParseTarget parses host, host:port, [v6], [v6]:port, a bare IPv6 address, or a URL such as
// https://host:port/path, whose scheme supplies the port when none is given. defaultPort is
// used for the other forms without a port.
func ParseTarget(input string, defaultPort int) (Target, error) {
	fail := func(reason string) (Target, error) {
		return Target{}, &TargetError{Input: input, Reason: reason}
	}
	if input == "" {
		return fail("empty")
	}
	if len(input) > maxTargetLen {
		return fail(fmt.Sprintf("longer than %d characters", maxTargetLen))
	}
	if !utf8.ValidString(input) {
		return fail("not valid UTF-8")
	}
	for _, r := range input {
		if r <= ' ' || r == 0x7f {
			return fail("contains a space or control character")
		}
	}
	if defaultPort < 1 || defaultPort > 65535 {
		return fail(fmt.Sprintf("default port %d out of range", defaultPort))
	}

	t := Target{Input: input}
	var hostPart, portPart string
	if i := strings.Index(input, "://"); i >= 0 {
		return parseURLTarget(input, i)
	}
	switch {
	case strings.HasPrefix(input, "["):
		end := strings.Index(input, "]")
		if end < 0 {
			return fail("missing ']' after IPv6 address")
		}
		hostPart, portPart = input[1:end], input[end+1:]
		if portPart != "" {
			if !strings.HasPrefix(portPart, ":") {
				return fail("expected ':port' after ']'")
			}
			portPart = portPart[1:]
			if portPart == "" {
				return fail("missing port after ':'")
			}
		}
		if _, err := netip.ParseAddr(hostPart); err != nil || !strings.Contains(hostPart, ":") {
			return fail("brackets must hold an IPv6 address")
		}
	case strings.Count(input, ":") > 1:
		// More than one colon and no brackets: only a bare IPv6 address makes sense.
		if _, err := netip.ParseAddr(input); err != nil {
			return fail("an IPv6 address with a port must be written [address]:port")
		}
		hostPart = input
	case strings.Contains(input, ":"):
		i := strings.LastIndex(input, ":")
		hostPart, portPart = input[:i], input[i+1:]
		if portPart == "" {
			return fail("missing port after ':'")
		}
	default:
		hostPart = input
	}
	if strings.ContainsAny(hostPart, "/?#@") {
		return fail("unexpected '/', '?', '#' or '@' (write a URL as https://host:port/path)")
	}

	host, err := normalizeHost(hostPart)
	if err != nil {
		return fail(err.Error())
	}
	t.Host = host
	t.Port = defaultPort
	if portPart != "" {
		if t.Port, err = parsePort(portPart); err != nil {
			return fail(err.Error())
		}
	}
	return t, nil
}

func parseURLTarget(input string, schemeEnd int) (Target, error) {
	fail := func(reason string) (Target, error) {
		return Target{}, &TargetError{Input: input, Reason: reason}
	}
	scheme := strings.ToLower(input[:schemeEnd])
	if scheme == "http" || scheme == "ws" {
		return fail(fmt.Sprintf("%s:// is not TLS; did you mean %ss://?", scheme, scheme))
	}
	sch, ok := LookupScheme(scheme)
	if !ok {
		return fail(fmt.Sprintf("unknown scheme %q", input[:schemeEnd]))
	}
	u, err := url.Parse(input)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fail(err.Error())
	}
	if u.User != nil {
		return fail("credentials in a URL are not used by tlskit; remove the 'user@' part")
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("missing host")
	}
	hostPart, portPart := u.Host, ""
	if strings.HasPrefix(hostPart, "[") {
		end := strings.LastIndex(hostPart, "]")
		if end < 0 {
			return fail("missing ']' after IPv6 address")
		}
		hostPart, portPart = u.Host[1:end], strings.TrimPrefix(u.Host[end+1:], ":")
		if _, err := netip.ParseAddr(hostPart); err != nil || !strings.Contains(hostPart, ":") {
			return fail("brackets must hold an IPv6 address")
		}
		if strings.HasSuffix(u.Host, ":") {
			return fail("missing port after ':'")
		}
	} else if i := strings.LastIndex(hostPart, ":"); i >= 0 {
		hostPart, portPart = hostPart[:i], hostPart[i+1:]
		if portPart == "" {
			return fail("missing port after ':'")
		}
	}
	host, err := normalizeHost(hostPart)
	if err != nil {
		return fail(err.Error())
	}
	t := Target{Input: input, Scheme: sch.Name, Host: host, Port: sch.DefaultPort, Path: u.RequestURI()}
	if u.Path == "" && u.RawQuery == "" {
		t.Path = ""
	}
	if portPart != "" {
		if t.Port, err = parsePort(portPart); err != nil {
			return fail(err.Error())
		}
	}
	return t, nil
}

func parsePort(s string) (int, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
	}
	if len(s) > 5 {
		return 0, fmt.Errorf("port %s out of range 1-65535", s)
	}
	p, _ := strconv.Atoi(s)
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %s out of range 1-65535", s)
	}
	return p, nil
}

// normalizeHost accepts an IP address or a host name and returns its canonical form.
func normalizeHost(h string) (string, error) {
	if h == "" {
		return "", errors.New("missing host")
	}
	if addr, err := netip.ParseAddr(h); err == nil {
		if !validZone(addr.Zone()) {
			return "", fmt.Errorf("invalid IPv6 zone %q", addr.Zone())
		}
		return addr.String(), nil
	}
	return NormalizeHostname(h)
}

// NormalizeHostname validates a DNS host name and returns its wire form; see hostname.Normalize.
func NormalizeHostname(name string) (string, error) { return hostname.Normalize(name) }

// validZone accepts the zone of a link-local IPv6 address: an interface name or index.
func validZone(zone string) bool {
	for i := 0; i < len(zone); i++ {
		c := zone[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ListedTarget is one line of a target list: the target, or why the line is not one (a
// *TargetError naming the source and line).
type ListedTarget struct {
	Target Target
	Err    error
}

// ParseTargetList reads targets one a line, as a shell script pipes them in. Surrounding space
// is trimmed, and blank lines and lines starting with '#' are skipped. source names the input
// in errors ("stdin"). A line that is not a target is listed with its error, in its place, so
// a caller can report it and go on with the rest; only a read that fails, or a line too long
// to be a target, ends the list with an error.
func ParseTargetList(r io.Reader, source string, defaultPort int) ([]ListedTarget, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxTargetLen+2)
	var targets []ListedTarget
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		t, err := ParseTarget(text, defaultPort)
		if err != nil {
			var te *TargetError
			if errors.As(err, &te) {
				te.Line, te.Source = line, source
			}
		}
		targets = append(targets, ListedTarget{Target: t, Err: err})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &TargetError{Source: source, Line: line + 1, Input: "...", Reason: fmt.Sprintf("line longer than %d characters", maxTargetLen)}
		}
		return nil, fmt.Errorf("reading targets from %s: %w", source, err)
	}
	return targets, nil
}
