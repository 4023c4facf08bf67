package connect

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DialOptions say how to reach a server before TLS starts.
type DialOptions struct {
	// Host and Port are where to connect (the target, or --connect-to).
	Host string
	Port int
	// Proxy, when set, is an HTTP proxy reached with CONNECT.
	Proxy *url.URL
	// Resolver looks names up; nil uses the system resolver.
	Resolver *net.Resolver
}

// DialTiming is how long each stage before TLS took.
type DialTiming struct {
	DNS     time.Duration
	Connect time.Duration
	// Address is the IP:port actually connected to (the proxy's, through a proxy).
	Address string
}

// Stage names a step of a connection, for errors.
type Stage string

const (
	StageDNS       Stage = "dns"
	StageConnect   Stage = "connect"
	StageProxy     Stage = "proxy"
	StageStartTLS  Stage = "starttls"
	StageHandshake Stage = "handshake"
)

// ConnError says which stage of a connection failed and why.
type ConnError struct {
	Stage Stage
	Addr  string
	Err   error
}

func (e *ConnError) Error() string {
	msg := describeNetError(e.Err)
	switch e.Stage {
	case StageDNS:
		return fmt.Sprintf("looking up %s: %s", e.Addr, msg)
	case StageConnect:
		return fmt.Sprintf("connecting to %s: %s", e.Addr, msg)
	case StageProxy:
		return fmt.Sprintf("proxy CONNECT to %s: %s", e.Addr, msg)
	case StageStartTLS:
		return fmt.Sprintf("STARTTLS with %s: %s", e.Addr, msg)
	default:
		return fmt.Sprintf("TLS handshake with %s: %s", e.Addr, msg)
	}
}

func (e *ConnError) Unwrap() error { return e.Err }

// describeNetError makes the usual network errors read as a sentence.
func describeNetError(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || IsTimeout(err):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "no such host"
		}
		return dnsErr.Err
	}
	msg := err.Error()
	// "dial tcp 127.0.0.1:1: connect: connection refused" -> "connection refused"
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "dial ") {
		msg = msg[i+2:]
	}
	if strings.HasPrefix(msg, "read tcp ") || strings.HasPrefix(msg, "write tcp ") {
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return msg
}

// IsTimeout reports whether err is a network timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Dial resolves and connects, through a proxy when one is given, and says how long each step took.
// The context's deadline bounds everything.
func Dial(ctx context.Context, opts DialOptions) (net.Conn, DialTiming, error) {
	var timing DialTiming
	host, port, label := opts.Host, opts.Port, ""
	if opts.Proxy != nil {
		host, port, label = opts.Proxy.Hostname(), proxyPort(opts.Proxy), "proxy "
	}
	resolver := opts.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}

	start := time.Now()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if opts.Resolver == nil && isLocalhost(host) {
		addrs = localhostAddrs
	} else {
		ips, err := resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, timing, &ConnError{Stage: StageDNS, Addr: label + host, Err: err}
		}
		addrs = ips
	}
	timing.DNS = time.Since(start)

	start = time.Now()
	var d net.Dialer
	var conn net.Conn
	var firstErr error
	var tried []string
	for _, a := range addrs {
		addr := netip.AddrPortFrom(a.Unmap(), uint16(port)).String()
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn, timing.Address = c, addr
			break
		}
		tried = append(tried, addr)
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	timing.Connect = time.Since(start)
	if conn == nil {
		// The first address is the one that was meant; the others are named as also tried.
		where := label + tried[0]
		if len(tried) > 1 {
			where += " (and " + strings.Join(tried[1:], ", ") + ")"
		}
		return nil, timing, &ConnError{Stage: StageConnect, Addr: where, Err: firstErr}
	}
	if opts.Proxy != nil {
		target := net.JoinHostPort(opts.Host, fmt.Sprint(opts.Port))
		if err := proxyConnect(ctx, conn, opts.Proxy, target); err != nil {
			conn.Close()
			return nil, timing, &ConnError{Stage: StageProxy, Addr: target, Err: err}
		}
	}
	return conn, timing, nil
}

// localhostAddrs are what "localhost" names resolve to, IPv4 first as /etc/hosts usually lists it.
var localhostAddrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}

// isLocalhost reports whether name is "localhost" or a name under it, which RFC 6761 section
// 6.3 reserves for the loopback addresses and says resolvers should answer without looking
// anywhere (curl does the same). Skipping the system resolver spares reading /etc/hosts and
// friends on every run against a local server, a quarter of a millisecond.
func isLocalhost(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

func proxyPort(u *url.URL) int {
	if p := u.Port(); p != "" {
		var n int
		fmt.Sscan(p, &n)
		return n
	}
	if u.Scheme == "https" {
		return 443
	}
	return 8080
}

// proxyConnect asks an HTTP proxy for a tunnel to target.
func proxyConnect(ctx context.Context, conn net.Conn, proxy *url.URL, target string) error {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	req := fmt.Sprintf("CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlskit\r\n", target, target)
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + basicAuth(u.Username(), pw) + "\r\n"
	}
	req += "\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		return err
	}
	// Read the response byte by byte up to the blank line, so no tunnelled byte is swallowed.
	// (A hand-rolled reader: net/http would cost every tlskit start-up its init time.)
	s := &plainSession{conn: conn, r: bufio.NewReader(&oneByteReader{conn})}
	status, err := s.line()
	if err != nil {
		return fmt.Errorf("reading proxy response: %w", err)
	}
	proto, rest, _ := strings.Cut(status, " ")
	code, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || len(code) != 3 {
		return fmt.Errorf("proxy answered %q, not HTTP", quoteShort(status))
	}
	for {
		l, err := s.line()
		if err != nil {
			return fmt.Errorf("reading proxy response: %w", err)
		}
		if l == "" {
			break
		}
	}
	if code[0] != '2' {
		return fmt.Errorf("proxy answered %s", strings.TrimSpace(rest))
	}
	return nil
}

type oneByteReader struct{ c net.Conn }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return r.c.Read(p)
}

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}
