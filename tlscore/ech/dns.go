package ech

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tlskit/tlskit/tlscore/names/hostname"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// An ECHConfigList in DNS (RFC 9848): the ech SvcParam of a host's HTTPS record (RFC 9460),
// asked of one resolver over UDP (TCP when the answer is truncated), with CNAMEs and AliasMode
// records followed.

// LookupOptions say where to ask.
type LookupOptions struct {
	// Server is the resolver as HOST:PORT (an IPv6 literal in brackets); "" means the first
	// nameserver of /etc/resolv.conf (ResolvConf), port 53. An IP address without a port is
	// taken as port 53.
	Server string
	// ResolvConf overrides /etc/resolv.conf's path (tests); "" means /etc/resolv.conf.
	ResolvConf string
	// Timeout bounds the whole lookup; 0 (or less) means DefaultTimeout. The ctx deadline also
	// applies.
	Timeout time.Duration
}

// HTTPSRecord is what the lookup found.
type HTTPSRecord struct {
	// Name is the owner name of the record: the name asked ("_8443._https.example.com."), or
	// where a CNAME or an AliasMode record led, which is the name a Target of "." stands for.
	Name     string `json:"name"`
	Priority uint16 `json:"priority"`
	// Target is the record's TargetName, "." when the owner itself.
	Target string   `json:"target"`
	ALPN   []string `json:"alpn,omitempty"`
	Port   uint16   `json:"port,omitempty"`
	// ConfigList is the ech SvcParam (key 5), an ECHConfigList that wire.ParseECHConfigList
	// accepts.
	ConfigList []byte `json:"-"`
	// Server is the resolver asked, HOST:PORT.
	Server string `json:"server"`
}

// DefaultTimeout bounds a lookup whose options give no Timeout.
const DefaultTimeout = 5 * time.Second

const (
	defaultResolvConf = "/etc/resolv.conf"
	// ednsUDPSize is the UDP payload size offered in the OPT record: the DNS flag day 2020
	// value, which fits an IPv6 packet on any path without fragmenting.
	ednsUDPSize = 1232
	// maxNames bounds the names a lookup goes through: the first and every CNAME and alias
	// target after it.
	maxNames = 8
	// retransmit is how long a UDP query waits for its answer before it is sent again.
	retransmit = time.Second
	// maxResolvConf bounds what is read of resolv.conf.
	maxResolvConf = 64 << 10
)

// ErrNoNameserver says resolv.conf names no resolver.
var ErrNoNameserver = errors.New("no nameserver")

// NoECHError says DNS has no ECHConfigList for the name: no HTTPS record, none with an ech
// parameter, or no such name.
type NoECHError struct {
	// Name is the owner name that lacks it: the name asked, or where a CNAME or an alias led.
	Name string
	// Why is what DNS said, in words ("no HTTPS record").
	Why string
}

func (e *NoECHError) Error() string {
	return fmt.Sprintf("no ECH configuration in DNS for %s: %s", display(e.Name), e.Why)
}

// MalformedRecordError is an HTTPS record that breaks RFC 9460 or RFC 9848: its parameters
// cannot be read, or its ech parameter is not an ECHConfigList.
type MalformedRecordError struct {
	Name     string // the record's owner name
	Priority uint16
	Err      error
}

func (e *MalformedRecordError) Error() string {
	return fmt.Sprintf("malformed HTTPS record at %s (priority %d): %v", display(e.Name), e.Priority, e.Err)
}

func (e *MalformedRecordError) Unwrap() error { return e.Err }

// ResolverError is a lookup the resolver did not complete: no answer in time, a network
// error, a broken answer, or an error code (SERVFAIL, REFUSED). Err is the cause:
// context.DeadlineExceeded for a timeout, the context's cause when it was cancelled.
type ResolverError struct {
	Server string // HOST:PORT
	Name   string // the name asked
	Err    error
	msg    string
}

func (e *ResolverError) Error() string {
	return fmt.Sprintf("asking %s for the HTTPS record of %s: %s", e.Server, display(e.Name), e.msg)
}

func (e *ResolverError) Unwrap() error { return e.Err }

// LookupECH asks for the HTTPS record of host (for port: 443, or 0, asks host itself, any
// other port asks "_PORT._https.host", RFC 9460 section 9.1) and returns the ServiceMode record
// of lowest priority that carries an ech SvcParam, its ECHConfigList checked to parse.
// CNAMEs are followed, and AliasMode records (which win over ServiceMode ones at the same
// name, RFC 9460 section 2.4.2), up to a few names; a loop is an error. A record that is
// malformed is skipped, as clients must (RFC 9460 section 2.2), in favour of a good one of
// higher priority; when none is good the lowest malformed one is the error.
func LookupECH(ctx context.Context, host string, port int, opts LookupOptions) (*HTTPSRecord, error) {
	name, err := queryName(host, port)
	if err != nil {
		return nil, err
	}
	server, err := resolverAddr(opts)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	l := &lookup{server: server, timeout: timeout}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		l.timeout = time.Until(d).Round(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return l.run(ctx, name)
}

// queryName is the owner name of host's HTTPS record for port, fully qualified.
func queryName(host string, port int) (string, error) {
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return "", fmt.Errorf("%s is an IP address: HTTPS records are published for host names", host)
	}
	h, err := hostname.Normalize(host)
	if err != nil {
		return "", fmt.Errorf("invalid host %q: %v", host, err)
	}
	var name string
	switch {
	case port == 0 || port == 443:
		name = h + "."
	case port > 0 && port <= 65535:
		name = "_" + strconv.Itoa(port) + "._https." + h + "."
	default:
		return "", fmt.Errorf("port %d is out of range", port)
	}
	if _, err := dnsmessage.NewName(name); err != nil || len(name) > 254 {
		return "", fmt.Errorf("the HTTPS record name %s is longer than DNS allows", display(name))
	}
	return name, nil
}

// resolverAddr is the resolver the options name, as HOST:PORT.
func resolverAddr(opts LookupOptions) (string, error) {
	if opts.Server == "" {
		path := opts.ResolvConf
		if path == "" {
			path = defaultResolvConf
		}
		return nameserver(path)
	}
	s := opts.Server
	if host, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 || host == "" {
			return "", fmt.Errorf("resolver %q is not HOST:PORT", s)
		}
		return s, nil
	}
	// No port: an IP address (IPv6 in brackets or not) or a host name, at port 53.
	bare := s
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if bare, ok = strings.CutSuffix(inner, "]"); !ok {
			bare = s
		}
	}
	if _, err := netip.ParseAddr(bare); err == nil || !strings.ContainsAny(s, ":[]") {
		return net.JoinHostPort(bare, "53"), nil
	}
	return "", fmt.Errorf("resolver %q is not HOST:PORT (an IPv6 address in brackets)", s)
}

// nameserver is the first nameserver line of the resolv.conf at path, at port 53. Lines whose
// address does not parse are passed over, as the C library does.
func nameserver(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading the resolver configuration: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxResolvConf))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "nameserver" {
			continue
		}
		if addr, err := netip.ParseAddr(fields[1]); err == nil {
			return net.JoinHostPort(addr.String(), "53"), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("reading the resolver configuration %s: %w", path, err)
	}
	return "", fmt.Errorf("%w in %s", ErrNoNameserver, path)
}

// lookup is one LookupECH: its resolver and the time it was given (for the timeout error).
type lookup struct {
	server  string
	timeout time.Duration
}

// run asks for start's HTTPS records and follows CNAMEs and aliases to the record to return.
func (l *lookup) run(ctx context.Context, start string) (*HTTPSRecord, error) {
	start = lower(start)
	seen := map[string]bool{start: true}
	follow := func(from, to, kind string) error {
		switch {
		case seen[to]:
			return fmt.Errorf("the HTTPS lookup of %s loops: the %s of %s is %s, already followed", display(start), kind, display(from), display(to))
		case len(seen) >= maxNames:
			return fmt.Errorf("the HTTPS lookup of %s gave up at %s after %d CNAMEs and aliases", display(start), display(to), maxNames-1)
		}
		seen[to] = true
		return nil
	}
	noECH := func(at, why string) error {
		if at != start {
			why += " (reached from " + display(start) + ")"
		}
		return &NoECHError{Name: at, Why: why}
	}
	for name := start; ; {
		ans, err := l.ask(ctx, name)
		if err != nil {
			return nil, err
		}
		if ans.rcode != dnsmessage.RCodeSuccess && ans.rcode != dnsmessage.RCodeNameError {
			return nil, &ResolverError{Server: l.server, Name: name, Err: errRcode, msg: "the answer is " + rcodeName(ans.rcode)}
		}
		// The CNAMEs first: NXDOMAIN is said of the name at the end of them.
		owner := name
		for {
			target, ok := ans.cnames[owner]
			if !ok {
				break
			}
			if err := follow(owner, target, "CNAME"); err != nil {
				return nil, err
			}
			owner = target
		}
		if ans.rcode == dnsmessage.RCodeNameError {
			return nil, noECH(owner, "no such name (NXDOMAIN)")
		}
		records := ans.https[owner]
		if len(records) == 0 {
			if owner != name {
				// The resolver gave the CNAME without what is at its target: ask for that.
				name = owner
				continue
			}
			return nil, noECH(owner, "no HTTPS record")
		}
		if i := slices.IndexFunc(records, func(r svcRecord) bool { return r.err == nil && r.Priority == 0 }); i >= 0 {
			target := lower(records[i].Target.String())
			if target == "." {
				return nil, noECH(owner, `its AliasMode HTTPS record's target is ".": the service is not available`)
			}
			if err := follow(owner, target, "AliasMode HTTPS record's target"); err != nil {
				return nil, err
			}
			name = target
			continue
		}
		rec, err := pick(owner, records)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return nil, noECH(owner, "its HTTPS records carry no ech parameter")
		}
		rec.Server = l.server
		return rec, nil
	}
}

// svcRecord is one HTTPS record of an answer; err says why it could not be read.
type svcRecord struct {
	dnsmessage.SVCBResource
	err error
}

// pick is the ServiceMode record of lowest priority with a good ech parameter among records,
// all owned by owner; nil when none has an ech parameter.
func pick(owner string, records []svcRecord) (*HTTPSRecord, error) {
	records = slices.Clone(records)
	slices.SortStableFunc(records, func(a, b svcRecord) int { return int(a.Priority) - int(b.Priority) })
	var bad error
	for _, r := range records {
		if r.err == nil {
			if _, ok := r.GetParam(dnsmessage.SVCParamECH); !ok {
				continue
			}
		}
		rec, err := r.record(owner)
		if err == nil {
			return rec, nil
		}
		if bad == nil {
			bad = &MalformedRecordError{Name: owner, Priority: r.Priority, Err: err}
		}
	}
	return nil, bad
}

// record reads the parameters of a ServiceMode record.
func (r svcRecord) record(owner string) (*HTTPSRecord, error) {
	if r.err != nil {
		return nil, r.err
	}
	rec := &HTTPSRecord{Name: owner, Priority: r.Priority, Target: r.Target.String()}
	if v, ok := r.GetParam(dnsmessage.SVCParamALPN); ok {
		for len(v) > 0 {
			n := int(v[0])
			if n == 0 || 1+n > len(v) {
				return nil, errors.New("alpn parameter: malformed list of protocols")
			}
			rec.ALPN = append(rec.ALPN, string(v[1:1+n]))
			v = v[1+n:]
		}
		if len(rec.ALPN) == 0 {
			return nil, errors.New("alpn parameter: empty list of protocols")
		}
	}
	if v, ok := r.GetParam(dnsmessage.SVCParamPort); ok {
		if len(v) != 2 {
			return nil, fmt.Errorf("port parameter of %d bytes, not 2", len(v))
		}
		rec.Port = binary.BigEndian.Uint16(v)
	}
	v, _ := r.GetParam(dnsmessage.SVCParamECH)
	if _, err := wire.ParseECHConfigList(v); err != nil {
		return nil, fmt.Errorf("ech parameter: %w", err)
	}
	rec.ConfigList = bytes.Clone(v)
	return rec, nil
}

// answer is what a response said: its code and the CNAME and HTTPS records of its answer
// section, by owner name in lower case (CNAME targets too).
type answer struct {
	rcode     dnsmessage.RCode
	truncated bool
	cnames    map[string]string
	https     map[string][]svcRecord
}

// errRcode is the cause of a ResolverError for an error code in the answer.
var errRcode = errors.New("the resolver answered with an error")

// ask sends the query for name's HTTPS records: over UDP, again over TCP when the answer is
// truncated, and once more without EDNS when the resolver says it cannot read the OPT record
// (FORMERR, RFC 6891 section 7).
func (l *lookup) ask(ctx context.Context, name string) (*answer, error) {
	qname, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, fmt.Errorf("building the query for %s: %v", display(name), err)
	}
	q := dnsmessage.Question{Name: qname, Type: dnsmessage.TypeHTTPS, Class: dnsmessage.ClassINET}
	for edns := true; ; edns = false {
		id := uint16(rand.Uint32())
		query, err := buildQuery(id, q, edns)
		if err != nil {
			return nil, fmt.Errorf("building the query for %s: %v", display(name), err)
		}
		ans, ignored, err := l.exchangeUDP(ctx, query, id, q)
		if err == nil && ans.truncated {
			ans, err = l.exchangeTCP(ctx, query, id, q)
		}
		if err != nil {
			return nil, l.failed(ctx, name, err, ignored)
		}
		if ans.rcode != dnsmessage.RCodeFormatError || !edns {
			return ans, nil
		}
	}
}

// buildQuery is a recursive query for q with id, with an OPT record offering ednsUDPSize when
// edns is set.
func buildQuery(id uint16, q dnsmessage.Question, edns bool) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 128), dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if edns {
		if err := b.StartAdditionals(); err != nil {
			return nil, err
		}
		var h dnsmessage.ResourceHeader
		if err := h.SetEDNS0(ednsUDPSize, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(h, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// mismatchError is a datagram that is not the answer to the query: over UDP it is passed over
// (a late answer to an earlier query, or a forgery), over TCP it is an error.
type mismatchError struct{ why string }

func (e *mismatchError) Error() string { return e.why }

// exchangeUDP sends query and reads until its answer comes, sending it again every retransmit;
// ignored counts the datagrams passed over, with the last one's reason.
func (l *lookup) exchangeUDP(ctx context.Context, query []byte, id uint16, q dnsmessage.Question) (_ *answer, ignored string, _ error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", l.server)
	if err != nil {
		return nil, "", err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })()
	deadline, _ := ctx.Deadline()
	buf := make([]byte, 65535)
	passed, last := 0, ""
	note := func() string {
		switch passed {
		case 0:
			return ""
		case 1:
			return "1 datagram that was not the answer was passed over: " + last
		}
		return fmt.Sprintf("%d datagrams that were not the answer were passed over, the last: %s", passed, last)
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, note(), err
		}
		if _, err := c.Write(query); err != nil {
			return nil, note(), err
		}
		// The deadline is set before ctx is looked at, so a cancellation that comes between
		// them is not undone by it.
		next := time.Now().Add(retransmit)
		if next.After(deadline) {
			next = deadline
		}
		c.SetReadDeadline(next)
		if err := ctx.Err(); err != nil {
			return nil, note(), err
		}
		for {
			n, err := c.Read(buf)
			if err != nil {
				if isTimeout(err) && ctx.Err() == nil && time.Now().Before(deadline) {
					break // send it again
				}
				return nil, note(), err
			}
			ans, err := parseResponse(buf[:n], id, q, false)
			var mm *mismatchError
			if errors.As(err, &mm) {
				passed, last = passed+1, mm.why
				continue
			}
			return ans, note(), err
		}
	}
}

// exchangeTCP sends query with its two-byte length and reads the answer the same way.
func (l *lookup) exchangeTCP(ctx context.Context, query []byte, id uint16, q dnsmessage.Question) (*answer, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", l.server)
	if err != nil {
		return nil, fmt.Errorf("over TCP (the UDP answer was truncated): %w", err)
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(query))), query...)); err != nil {
		return nil, fmt.Errorf("over TCP (the UDP answer was truncated): %w", err)
	}
	var length [2]byte
	if _, err := io.ReadFull(c, length[:]); err != nil {
		return nil, fmt.Errorf("over TCP (the UDP answer was truncated): %w", err)
	}
	msg := make([]byte, binary.BigEndian.Uint16(length[:]))
	if _, err := io.ReadFull(c, msg); err != nil {
		return nil, fmt.Errorf("over TCP (the UDP answer was truncated): %w", err)
	}
	ans, err := parseResponse(msg, id, q, true)
	if err != nil {
		return nil, fmt.Errorf("over TCP (the UDP answer was truncated): %w", err)
	}
	return ans, nil
}

// failed is the ResolverError for err, a failed exchange about name.
func (l *lookup) failed(ctx context.Context, name string, err error, ignored string) error {
	e := &ResolverError{Server: l.server, Name: name, Err: err}
	var mm *mismatchError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), ctx.Err() == nil && isTimeout(err):
		e.Err, e.msg = context.DeadlineExceeded, fmt.Sprintf("timed out (no answer within %v)", l.timeout)
	case ctx.Err() != nil:
		e.Err, e.msg = context.Cause(ctx), "cancelled"
	case errors.As(err, &mm):
		e.msg = "the answer over TCP is not to the query: " + mm.why
	default:
		e.msg = describeNetError(err)
	}
	if ignored != "" {
		e.msg += "; " + ignored
	}
	return e
}

// describeNetError is a network error without the operation and addresses the message
// already gives ("read udp 127.0.0.1:5->127.0.0.1:53: connection refused" is "connection
// refused").
func describeNetError(err error) string {
	var op *net.OpError
	if !errors.As(err, &op) || op.Err == nil {
		return err.Error()
	}
	inner := op.Err
	var sc *os.SyscallError
	if errors.As(inner, &sc) {
		inner = sc.Err
	}
	// Keep what wraps the net error ("over TCP (...): ").
	prefix, _, _ := strings.Cut(err.Error(), op.Error())
	return prefix + inner.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parseResponse reads msg as the answer to the query q with id. The answer of a response
// truncated over UDP is not read (tcp false: only that it is truncated). A message that is not
// a response to the query is a mismatchError.
func parseResponse(msg []byte, id uint16, q dnsmessage.Question, tcp bool) (*answer, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	switch {
	case err != nil:
		return nil, &mismatchError{fmt.Sprintf("not a DNS message (%d bytes)", len(msg))}
	case h.ID != id:
		return nil, &mismatchError{fmt.Sprintf("ID %d, not %d", h.ID, id)}
	case !h.Response:
		return nil, &mismatchError{"a query, not a response"}
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 || qs[0].Type != q.Type || qs[0].Class != q.Class || !strings.EqualFold(qs[0].Name.String(), q.Name.String()) {
		return nil, &mismatchError{fmt.Sprintf("the question is not %s HTTPS", display(q.Name.String()))}
	}
	ans := &answer{rcode: h.RCode, cnames: map[string]string{}, https: map[string][]svcRecord{}}
	if h.Truncated && !tcp {
		ans.truncated = true
		return ans, nil
	}
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed answer: %v", err)
		}
		owner := lower(rh.Name.String())
		switch {
		case rh.Class == dnsmessage.ClassINET && rh.Type == dnsmessage.TypeCNAME:
			r, err := p.CNAMEResource()
			if err != nil {
				return nil, fmt.Errorf("malformed answer: CNAME of %s: %v", display(rh.Name.String()), err)
			}
			if _, dup := ans.cnames[owner]; !dup {
				ans.cnames[owner] = lower(r.CNAME.String())
			}
		case rh.Class == dnsmessage.ClassINET && rh.Type == dnsmessage.TypeHTTPS:
			r, err := p.HTTPSResource()
			if err != nil {
				// Kept as a record that cannot be read: only where it is chosen is it an error.
				raw, rawErr := p.UnknownResource()
				if rawErr != nil {
					return nil, fmt.Errorf("malformed answer: HTTPS record of %s: %v", display(rh.Name.String()), err)
				}
				bad := svcRecord{err: fmt.Errorf("unreadable parameters (%v)", err)}
				if len(raw.Data) >= 2 {
					bad.Priority = binary.BigEndian.Uint16(raw.Data)
				}
				ans.https[owner] = append(ans.https[owner], bad)
				continue
			}
			ans.https[owner] = append(ans.https[owner], svcRecord{SVCBResource: r.SVCBResource})
		default:
			if err := p.SkipAnswer(); err != nil {
				return nil, fmt.Errorf("malformed answer: %v", err)
			}
		}
	}
	// The OPT record, if any, holds the upper bits of an extended RCODE (RFC 6891 section
	// 6.1.3). What follows the answer is read only for it, and a fault there is not the
	// answer's.
	if p.SkipAllAuthorities() == nil {
		for {
			rh, err := p.AdditionalHeader()
			if err != nil {
				break
			}
			if rh.Type == dnsmessage.TypeOPT {
				ans.rcode = rh.ExtendedRCode(h.RCode)
			}
			if p.SkipAdditional() != nil {
				break
			}
		}
	}
	return ans, nil
}

// rcodeName is an error code as DNS tools show it, with what it means.
func rcodeName(c dnsmessage.RCode) string {
	switch c {
	case dnsmessage.RCodeFormatError:
		return "FORMERR (the resolver could not read the query)"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL (the resolver could not get an answer)"
	case dnsmessage.RCodeNotImplemented:
		return "NOTIMP (the resolver does not do such queries)"
	case dnsmessage.RCodeRefused:
		return "REFUSED (the resolver will not answer this query)"
	}
	return "RCODE " + strconv.Itoa(int(c))
}

// lower is name in lower case, its ASCII letters only: DNS compares names so (RFC 4343),
// and any other byte, valid UTF-8 or not, stays as it is.
func lower(name string) string {
	b := []byte(name)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// display is a DNS name as a person reads it: without the root's trailing dot.
func display(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
