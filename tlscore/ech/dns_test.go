package ech

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// testConfigList is an ECHConfigList of one X25519 config whose public name is publicName.
func testConfigList(t testing.TB, publicName string) []byte {
	t.Helper()
	c, err := wire.MarshalECHConfig(wire.ECHConfig{
		ConfigID:     7,
		KEM:          wire.HPKEKemX25519,
		PublicKey:    bytes.Repeat([]byte{0x42}, 32),
		CipherSuites: []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}},
		PublicName:   publicName,
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := wire.MarshalECHConfigList(c)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// svcb is the body of an HTTPS record.
func svcb(priority uint16, target string, params ...dnsmessage.SVCParam) dnsmessage.SVCBResource {
	r := dnsmessage.SVCBResource{Priority: priority, Target: dnsmessage.MustNewName(target)}
	for _, p := range params {
		r.SetParam(p.Key, p.Value)
	}
	return r
}

func alpnParam(ids ...string) dnsmessage.SVCParam {
	var v []byte
	for _, id := range ids {
		v = append(append(v, byte(len(id))), id...)
	}
	return dnsmessage.SVCParam{Key: dnsmessage.SVCParamALPN, Value: v}
}

func portParam(port uint16) dnsmessage.SVCParam {
	return dnsmessage.SVCParam{Key: dnsmessage.SVCParamPort, Value: binary.BigEndian.AppendUint16(nil, port)}
}

func echParam(list []byte) dnsmessage.SVCParam {
	return dnsmessage.SVCParam{Key: dnsmessage.SVCParamECH, Value: list}
}

// rdata is the RDATA of an HTTPS record with body r, as dnsmessage packs it: the end of a
// message whose last record it is.
func rdata(t testing.TB, r dnsmessage.SVCBResource) []byte {
	t.Helper()
	msg, err := (&dnsmessage.Message{Answers: []dnsmessage.Resource{httpsRR("x.", r)}}).Pack()
	if err != nil {
		t.Fatal(err)
	}
	var p dnsmessage.Parser
	if _, err := p.Start(msg); err != nil {
		t.Fatal(err)
	}
	p.SkipAllQuestions()
	h, err := p.AnswerHeader()
	if err != nil {
		t.Fatal(err)
	}
	return msg[len(msg)-int(h.Length):]
}

func httpsRR(name string, r dnsmessage.SVCBResource) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60},
		Body:   &dnsmessage.HTTPSResource{SVCBResource: r},
	}
}

func cnameRR(name, target string) dnsmessage.Resource {
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 60},
		Body:   &dnsmessage.CNAMEResource{CNAME: dnsmessage.MustNewName(target)},
	}
}

// want is what a lookup is to give: a record, a NoECHError, a MalformedRecordError or another
// error, each with words its message must hold.
type want struct {
	name     string // the record's owner name
	priority uint16
	target   string
	alpn     []string
	port     uint16
	list     []byte
	noECH    string // NoECHError.Why contains it
	noECHAt  string // NoECHError.Name
	bad      string // a MalformedRecordError containing it
	err      string // any other error containing it
}

func (w want) check(t *testing.T, server string, rec *HTTPSRecord, err error) {
	t.Helper()
	var noECH *NoECHError
	var bad *MalformedRecordError
	switch {
	case w.noECH != "":
		if !errors.As(err, &noECH) || !strings.Contains(noECH.Why, w.noECH) || noECH.Name != w.noECHAt {
			t.Errorf("got %v, %v; want a NoECHError at %s saying %q", rec, err, w.noECHAt, w.noECH)
		}
	case w.bad != "":
		if !errors.As(err, &bad) || !strings.Contains(err.Error(), w.bad) {
			t.Errorf("got %v, %v; want a MalformedRecordError saying %q", rec, err, w.bad)
		}
	case w.err != "":
		if err == nil || !strings.Contains(err.Error(), w.err) {
			t.Errorf("got %v, %v; want an error saying %q", rec, err, w.err)
		}
	case err != nil:
		t.Errorf("error %v, want the record at %s", err, w.name)
	default:
		got := *rec
		exp := HTTPSRecord{Name: w.name, Priority: w.priority, Target: w.target, ALPN: w.alpn, Port: w.port, ConfigList: w.list, Server: server}
		if exp.Target == "" {
			exp.Target = "."
		}
		if got.Name != exp.Name || got.Priority != exp.Priority || got.Target != exp.Target || !slices.Equal(got.ALPN, exp.ALPN) ||
			got.Port != exp.Port || !bytes.Equal(got.ConfigList, exp.ConfigList) || got.Server != exp.Server {
			t.Errorf("got  %+v\nwant %+v", got, exp)
		}
		return
	}
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("error of more than one line: %q", err)
	}
}

// TestLookupECHDnsmasq asks a real dnsmasq, which serves each record as given (--dns-rr), in
// the order it likes (it gives them back reversed).
func TestLookupECHDnsmasq(t *testing.T) {
	t.Parallel()
	listA, list8443, listB, listC := testConfigList(t, "a.example.test"), testConfigList(t, "port.example.test"),
		testConfigList(t, "b.example.test"), testConfigList(t, "c.example.test")
	rr := func(name string, r dnsmessage.SVCBResource) string { return peertest.DnsRR(name, 65, rdata(t, r)) }
	// Parameters out of order (ech before alpn), which RFC 9460 section 2.2 calls malformed
	// and dnsmessage refuses to write, so written here.
	outOfOrder := append([]byte{0, 1, 0}, 0, 5, 0, byte(len(listA)))
	outOfOrder = append(append(outOfOrder, listA...), 0, 1, 0, 3, 2, 'h', '2')
	srv := peertest.Dnsmasq(t,
		rr("a.example.test", svcb(1, ".", alpnParam("h2", "h3"), echParam(listA))),
		rr("_8443._https.a.example.test", svcb(1, ".", alpnParam("h2"), portParam(8443), echParam(list8443))),
		rr("noech.example.test", svcb(1, ".", alpnParam("h2"))),
		"--host-record=addr.example.test,127.0.0.1",
		rr("bad.example.test", svcb(1, ".", echParam([]byte{0, 5, 1, 2}))),
		peertest.DnsRR("unreadable.example.test", 65, outOfOrder),
		rr("badlow.example.test", svcb(1, ".", echParam([]byte{0, 5, 1, 2}))),
		rr("badlow.example.test", svcb(2, "pool.example.test.", echParam(listB))),
		// The same records in opposite orders: whichever dnsmasq gives first, priority decides.
		rr("prio.example.test", svcb(1, ".", alpnParam("h2"))),
		rr("prio.example.test", svcb(3, ".", echParam(listC))),
		rr("prio.example.test", svcb(2, "pool.example.test.", echParam(listB))),
		rr("prio2.example.test", svcb(2, "pool.example.test.", echParam(listB))),
		rr("prio2.example.test", svcb(3, ".", echParam(listC))),
		rr("prio2.example.test", svcb(1, ".", alpnParam("h2"))),
		rr("alias.example.test", svcb(0, "a.example.test.")),
		rr("mixed.example.test", svcb(0, "A.Example.Test.")),
		rr("mixed.example.test", svcb(1, ".", echParam(listB))),
		rr("aliasroot.example.test", svcb(0, ".")),
		rr("loop1.example.test", svcb(0, "loop2.example.test.")),
		rr("loop2.example.test", svcb(0, "loop1.example.test.")),
		"--cname=cn.example.test,a.example.test",
		"--cname=cnaddr.example.test,addr.example.test",
		"--local=/example.test/",
	)
	for _, tt := range []struct {
		name   string
		host   string
		port   int
		server string
		want   want
	}{
		{"port 443 asks the owner", "a.example.test", 443, "", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"port 0 is 443", "A.Example.Test.", 0, "", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"port 8443 asks _8443._https", "a.example.test", 8443, "", want{name: "_8443._https.a.example.test.", priority: 1, alpn: []string{"h2"}, port: 8443, list: list8443}},
		{"IPv6 resolver", "a.example.test", 443, "v6", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"record without ech", "noech.example.test", 443, "", want{noECH: "carry no ech parameter", noECHAt: "noech.example.test."}},
		{"no HTTPS record", "addr.example.test", 443, "", want{noECH: "no HTTPS record", noECHAt: "addr.example.test."}},
		{"port without a record", "a.example.test", 8080, "", want{noECH: "NXDOMAIN", noECHAt: "_8080._https.a.example.test."}},
		{"NXDOMAIN", "missing.example.test", 443, "", want{noECH: "no such name (NXDOMAIN)", noECHAt: "missing.example.test."}},
		{"malformed ech", "bad.example.test", 443, "", want{bad: "malformed HTTPS record at bad.example.test (priority 1): ech parameter: malformed ECHConfigList"}},
		{"unreadable parameters", "unreadable.example.test", 443, "", want{bad: "malformed HTTPS record at unreadable.example.test (priority 1): unreadable parameters"}},
		{"a malformed record gives way", "badlow.example.test", 443, "", want{name: "badlow.example.test.", priority: 2, target: "pool.example.test.", list: listB}},
		{"lowest priority with ech wins", "prio.example.test", 443, "", want{name: "prio.example.test.", priority: 2, target: "pool.example.test.", list: listB}},
		{"lowest priority with ech wins, in any order", "prio2.example.test", 443, "", want{name: "prio2.example.test.", priority: 2, target: "pool.example.test.", list: listB}},
		{"AliasMode", "alias.example.test", 443, "", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"AliasMode wins over ServiceMode", "mixed.example.test", 443, "", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"AliasMode to the root", "aliasroot.example.test", 443, "", want{noECH: "the service is not available", noECHAt: "aliasroot.example.test."}},
		{"AliasMode loop", "loop1.example.test", 443, "", want{err: "the HTTPS lookup of loop1.example.test loops: the AliasMode HTTPS record's target of loop2.example.test is loop1.example.test"}},
		{"CNAME", "cn.example.test", 443, "", want{name: "a.example.test.", priority: 1, alpn: []string{"h2", "h3"}, list: listA}},
		{"CNAME to a name without HTTPS", "cnaddr.example.test", 443, "", want{noECH: "no HTTPS record (reached from cnaddr.example.test)", noECHAt: "addr.example.test."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			server := srv.Addr()
			if tt.server == "v6" {
				if server = srv.IPv6; server == "" {
					t.Skip("loopback has no IPv6 here")
				}
			}
			rec, err := LookupECH(context.Background(), tt.host, tt.port, LookupOptions{Server: server, Timeout: 3 * time.Second})
			tt.want.check(t, server, rec, err)
			if t.Failed() {
				t.Logf("dnsmasq:\n%s", srv.Out)
			}
		})
	}
}

// fakeResolver is a DNS server of the test's on 127.0.0.1, UDP and TCP on one port, for what
// dnsmasq will not do (truncate, answer wrongly, lose a datagram). udp is given each query with
// the number of datagrams so far and answers with any number of messages (none: the query is
// lost); tcp answers a query over TCP (nil: the connection is closed).
type fakeResolver struct {
	udp func(n int, q dnsmessage.Message) [][]byte
	tcp func(q dnsmessage.Message) []byte
}

func (f fakeResolver) start(t *testing.T) string {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	for range 10 {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if pc, err = net.ListenPacket("udp", ln.Addr().String()); err == nil {
			break
		}
		ln.Close()
		ln = nil
	}
	if ln == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for n := 1; ; n++ {
			size, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var q dnsmessage.Message
			if err := q.Unpack(buf[:size]); err != nil {
				t.Errorf("fake resolver: a query it cannot read: %v", err)
				continue
			}
			if f.udp != nil {
				for _, m := range f.udp(n, q) {
					pc.WriteTo(m, from)
				}
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var length [2]byte
				if _, err := io.ReadFull(c, length[:]); err != nil {
					return
				}
				msg := make([]byte, binary.BigEndian.Uint16(length[:]))
				if _, err := io.ReadFull(c, msg); err != nil {
					return
				}
				var q dnsmessage.Message
				if err := q.Unpack(msg); err != nil {
					t.Errorf("fake resolver: a TCP query it cannot read: %v", err)
					return
				}
				if f.tcp == nil {
					return
				}
				if m := f.tcp(q); m != nil {
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(m))), m...))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// reply is the answer to q with rcode and answers; edit, when given, changes it before it is
// packed.
func reply(t *testing.T, q dnsmessage.Message, rcode dnsmessage.RCode, edit func(*dnsmessage.Message), answers ...dnsmessage.Resource) []byte {
	m := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: q.ID, Response: true, RecursionDesired: q.RecursionDesired, RecursionAvailable: true, RCode: rcode},
		Questions: q.Questions,
		Answers:   answers,
	}
	if edit != nil {
		edit(&m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Errorf("fake resolver: %v", err)
	}
	return b
}

// opt is the query's OPT record, if it has one.
func opt(q dnsmessage.Message) *dnsmessage.Resource {
	for i, r := range q.Additionals {
		if r.Header.Type == dnsmessage.TypeOPT {
			return &q.Additionals[i]
		}
	}
	return nil
}

func qname(q dnsmessage.Message) string { return q.Questions[0].Name.String() }

// TestLookupECHWire: what a resolver may do that dnsmasq does not: truncate, answer with the
// wrong ID or question, refuse EDNS, lose a datagram, give a CNAME without its target's records.
func TestLookupECHWire(t *testing.T) {
	t.Parallel()
	listA, listB := testConfigList(t, "a.test"), testConfigList(t, "b.test")
	good := func(name string) dnsmessage.Resource {
		return httpsRR(name, svcb(1, ".", alpnParam("h2"), echParam(listA)))
	}
	wantA := want{name: "a.test.", priority: 1, alpn: []string{"h2"}, list: listA}
	for _, tt := range []struct {
		name    string
		host    string
		f       func(t *testing.T) fakeResolver
		timeout time.Duration
		want    want
		queries int32 // the UDP datagrams the resolver is to get, when not 0
	}{
		{
			name: "truncated over UDP, asked again over TCP",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{
					udp: func(_ int, q dnsmessage.Message) [][]byte {
						if o := opt(q); !q.RecursionDesired || o == nil || o.Header.Class != 1232 {
							t.Errorf("query %+v: want RD and an OPT record offering 1232 bytes", q)
						}
						return [][]byte{reply(t, q, 0, func(m *dnsmessage.Message) { m.Truncated = true })}
					},
					tcp: func(q dnsmessage.Message) []byte { return reply(t, q, 0, nil, good(qname(q))) },
				}
			},
			want: wantA,
		},
		{
			name: "a datagram with another ID is passed over",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					other := reply(t, q, 0, func(m *dnsmessage.Message) { m.ID++ }, httpsRR(qname(q), svcb(1, ".", echParam(listB))))
					return [][]byte{other, []byte("not DNS"), reply(t, q, 0, nil, good(qname(q)))}
				}}
			},
			want: wantA,
		},
		{
			name: "an answer to another question is not the answer",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					return [][]byte{reply(t, q, 0, func(m *dnsmessage.Message) {
						m.Questions = []dnsmessage.Question{{Name: dnsmessage.MustNewName("b.test."), Type: dnsmessage.TypeHTTPS, Class: dnsmessage.ClassINET}}
					}, good("b.test."))}
				}}
			},
			timeout: 300 * time.Millisecond,
			want:    want{err: "asking 127.0.0.1:PORT for the HTTPS record of a.test: timed out (no answer within 300ms); 1 datagram that was not the answer was passed over: the question is not a.test HTTPS"},
		},
		{
			name: "FORMERR to EDNS: asked again without",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					if opt(q) != nil {
						return [][]byte{reply(t, q, dnsmessage.RCodeFormatError, nil)}
					}
					return [][]byte{reply(t, q, 0, nil, good(qname(q)))}
				}}
			},
			want:    wantA,
			queries: 2,
		},
		{
			name: "a lost datagram is sent again",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(n int, q dnsmessage.Message) [][]byte {
					if n == 1 {
						return nil
					}
					return [][]byte{reply(t, q, 0, nil, good(qname(q)))}
				}}
			},
			want:    wantA,
			queries: 2,
		},
		{
			name: "a CNAME without its target's records: the target is asked",
			host: "www.test",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					if qname(q) == "www.test." {
						return [][]byte{reply(t, q, 0, nil, cnameRR("www.test.", "A.test."))}
					}
					return [][]byte{reply(t, q, 0, nil, good(qname(q)))}
				}}
			},
			want:    wantA,
			queries: 2,
		},
		{
			name: "records of other names and types are passed over",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					a := dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: q.Questions[0].Name, Class: dnsmessage.ClassINET},
						Body: &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}}
					return [][]byte{reply(t, q, 0, nil, a, httpsRR("other.test.", svcb(1, ".", echParam(listB))), good("A.TEST."))}
				}}
			},
			want: wantA,
		},
		{
			name: "CNAME loop",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					return [][]byte{reply(t, q, 0, nil, cnameRR("a.test.", "b.test."), cnameRR("b.test.", "a.test."))}
				}}
			},
			want: want{err: "the HTTPS lookup of a.test loops: the CNAME of b.test is a.test, already followed"},
		},
		{
			name: "NXDOMAIN at the end of a CNAME",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					return [][]byte{reply(t, q, dnsmessage.RCodeNameError, nil, cnameRR("a.test.", "gone.test."))}
				}}
			},
			want: want{noECH: "no such name (NXDOMAIN) (reached from a.test)", noECHAt: "gone.test."},
		},
		{
			name: "too many aliases",
			host: "n0.test",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					var k int
					fmt.Sscanf(qname(q), "n%d.test.", &k)
					return [][]byte{reply(t, q, 0, nil, httpsRR(qname(q), svcb(0, fmt.Sprintf("n%d.test.", k+1))))}
				}}
			},
			want:    want{err: "the HTTPS lookup of n0.test gave up at n8.test after 7 CNAMEs and aliases"},
			queries: 8,
		},
		{
			name: "SERVFAIL",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					return [][]byte{reply(t, q, dnsmessage.RCodeServerFailure, nil)}
				}}
			},
			want: want{err: "asking 127.0.0.1:PORT for the HTTPS record of a.test: the answer is SERVFAIL (the resolver could not get an answer)"},
		},
		{
			name: "a TCP answer with another ID",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{
					udp: func(_ int, q dnsmessage.Message) [][]byte {
						return [][]byte{reply(t, q, 0, func(m *dnsmessage.Message) { m.Truncated = true })}
					},
					tcp: func(q dnsmessage.Message) []byte {
						return reply(t, q, 0, func(m *dnsmessage.Message) { m.ID++ }, good(qname(q)))
					},
				}
			},
			want: want{err: "the answer over TCP is not to the query: ID"},
		},
		{
			name: "truncated, and TCP closed without an answer",
			f: func(t *testing.T) fakeResolver {
				return fakeResolver{udp: func(_ int, q dnsmessage.Message) [][]byte {
					return [][]byte{reply(t, q, 0, func(m *dnsmessage.Message) { m.Truncated = true })}
				}}
			},
			want: want{err: "for the HTTPS record of a.test: over TCP (the UDP answer was truncated): EOF"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.f(t)
			var queries atomic.Int32
			if udp := f.udp; udp != nil {
				f.udp = func(n int, q dnsmessage.Message) [][]byte { queries.Add(1); return udp(n, q) }
			}
			server := f.start(t)
			host := tt.host
			if host == "" {
				host = "a.test"
			}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 3 * time.Second
			}
			rec, err := LookupECH(context.Background(), host, 443, LookupOptions{Server: server, Timeout: timeout})
			_, port, _ := net.SplitHostPort(server)
			tt.want.err = strings.ReplaceAll(tt.want.err, "PORT", port)
			tt.want.check(t, server, rec, err)
			if tt.queries != 0 && queries.Load() != tt.queries {
				t.Errorf("the resolver got %d queries, want %d", queries.Load(), tt.queries)
			}
		})
	}
}

// TestLookupECHNoAnswer: a resolver that never answers, or is not there, ends the lookup
// within its Timeout, the context's deadline, or when the context is cancelled, with the cause.
func TestLookupECHNoAnswer(t *testing.T) {
	t.Parallel()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() { // reads and drops
		buf := make([]byte, 65535)
		for {
			if _, _, err := silent.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	closed, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.LocalAddr().String()
	closed.Close()
	stop := errors.New("the test stopped it")
	for _, tt := range []struct {
		name    string
		server  string
		timeout time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		is      error
		msg     string
	}{
		{"Timeout", silent.LocalAddr().String(), 300 * time.Millisecond, nil, context.DeadlineExceeded, "timed out (no answer within 300ms)"},
		{"ctx deadline", silent.LocalAddr().String(), time.Minute,
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			context.DeadlineExceeded, "timed out (no answer within "}, // 300ms, or a little less: the time left
		{"cancelled", silent.LocalAddr().String(), 0,
			func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancelCause(context.Background())
				time.AfterFunc(100*time.Millisecond, func() { cancel(stop) })
				return ctx, func() { cancel(nil) }
			},
			stop, "cancelled"},
		{"connection refused", closedAddr, 0, nil, nil, "connection refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			start := time.Now()
			_, err := LookupECH(ctx, "a.test", 443, LookupOptions{Server: tt.server, Timeout: tt.timeout})
			took := time.Since(start)
			var re *ResolverError
			want := "asking " + tt.server + " for the HTTPS record of a.test: " + tt.msg
			if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("error %v, want %q... (and errors.Is %v)", err, want, tt.is)
			}
			if took > 3*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestNameserver: the first good nameserver line of resolv.conf, at port 53.
func TestNameserver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name, conf, want, err string
	}{
		{"IPv4", "# written by hand\nsearch example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n", "192.0.2.53:53", ""},
		{"IPv6", "nameserver 2001:db8::53 # the first\n", "[2001:db8::53]:53", ""},
		{"IPv6 with a zone", "options edns0\nnameserver fe80::1%eth0\n", "[fe80::1%eth0]:53", ""},
		{"a bad address is passed over", "nameserver dns.example.com\n  nameserver\t127.0.0.53  \n", "127.0.0.53:53", ""},
		{"commented out", "#nameserver 192.0.2.1\n; nameserver 192.0.2.2\nnameserver\n", "", "no nameserver in "},
		{"empty", "", "", "no nameserver in "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, []byte(tt.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := resolverAddr(LookupOptions{ResolvConf: path})
			if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("got %q, %v; want %q, error %q", got, err, tt.want, tt.err)
			}
			if tt.err != "" && !errors.Is(err, ErrNoNameserver) {
				t.Errorf("%v is not ErrNoNameserver", err)
			}
		})
	}
	if _, err := resolverAddr(LookupOptions{ResolvConf: filepath.Join(dir, "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing resolv.conf: %v", err)
	}
}

// TestLookupECHResolvConf: without Server the lookup asks resolv.conf's first nameserver at
// port 53. The context is cancelled before, so nothing is sent to it.
func TestLookupECHResolvConf(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver 127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LookupECH(ctx, "a.test", 443, LookupOptions{ResolvConf: path})
	var re *ResolverError
	if !errors.As(err, &re) || re.Server != "127.0.0.1:53" || !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want a cancelled lookup at 127.0.0.1:53", err)
	}
}

func TestResolverAddr(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ server, want string }{
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"[::1]:5353", "[::1]:5353"},
		{"127.0.0.1", "127.0.0.1:53"},
		{"::1", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"localhost", "localhost:53"},
		{"localhost:53", "localhost:53"},
		{"127.0.0.1:0", ""},
		{"127.0.0.1:99999", ""},
		{":53", ""},
		{"[::1", ""},
		{"::1:x:y", ""},
	} {
		got, err := resolverAddr(LookupOptions{Server: tt.server})
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("Server %q: got %q, %v; want %q", tt.server, got, err, tt.want)
		}
	}
}

func TestQueryName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host string
		port int
		want string
		err  string
	}{
		{"example.com", 443, "example.com.", ""},
		{"Example.COM.", 0, "example.com.", ""},
		{"example.com", 8443, "_8443._https.example.com.", ""},
		{"example.com", 1, "_1._https.example.com.", ""},
		{"bücher.example", 443, "xn--bcher-kva.example.", ""},
		{"192.0.2.1", 443, "", "192.0.2.1 is an IP address"},
		{"[2001:db8::1]", 443, "", "is an IP address"},
		{"bad host", 443, "", `invalid host "bad host"`},
		{"", 443, "", "invalid host"},
		{"example.com", 65536, "", "port 65536 is out of range"},
		{"example.com", -1, "", "port -1 is out of range"},
		{strings.Repeat("a.", 120) + "com", 65535, "", "longer than DNS allows"},
	} {
		got, err := queryName(tt.host, tt.port)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("queryName(%q, %d) = %q, %v; want %q, error %q", tt.host, tt.port, got, err, tt.want, tt.err)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&NoECHError{Name: "_8443._https.example.com.", Why: "no HTTPS record"}, "no ECH configuration in DNS for _8443._https.example.com: no HTTPS record"},
		{&MalformedRecordError{Name: "example.com.", Priority: 2, Err: errors.New("port parameter of 3 bytes, not 2")}, "malformed HTTPS record at example.com (priority 2): port parameter of 3 bytes, not 2"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// TestRecordParams: alpn and port are read, and a record with a malformed one is malformed.
func TestRecordParams(t *testing.T) {
	t.Parallel()
	list := testConfigList(t, "a.test")
	for _, tt := range []struct {
		name   string
		params []dnsmessage.SVCParam
		alpn   []string
		port   uint16
		err    string
	}{
		{"all", []dnsmessage.SVCParam{alpnParam("h3", "h2", "http/1.1"), portParam(443)}, []string{"h3", "h2", "http/1.1"}, 443, ""},
		{"none", nil, nil, 0, ""},
		{"alpn cut short", []dnsmessage.SVCParam{{Key: dnsmessage.SVCParamALPN, Value: []byte{3, 'h', '2'}}}, nil, 0, "alpn parameter: malformed"},
		{"empty alpn id", []dnsmessage.SVCParam{{Key: dnsmessage.SVCParamALPN, Value: []byte{0}}}, nil, 0, "alpn parameter: malformed"},
		{"empty alpn", []dnsmessage.SVCParam{{Key: dnsmessage.SVCParamALPN}}, nil, 0, "alpn parameter: empty"},
		{"long port", []dnsmessage.SVCParam{{Key: dnsmessage.SVCParamPort, Value: []byte{0, 1, 2}}}, nil, 0, "port parameter of 3 bytes"},
	} {
		r := svcRecord{SVCBResource: svcb(1, ".", append(tt.params, echParam(list))...)}
		rec, err := r.record("a.test.")
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %+v, %v; want an error %q", tt.name, rec, err, tt.err)
			}
		case err != nil || !slices.Equal(rec.ALPN, tt.alpn) || rec.Port != tt.port || !bytes.Equal(rec.ConfigList, list):
			t.Errorf("%s: got %+v, %v; want alpn %q port %d", tt.name, rec, err, tt.alpn, tt.port)
		}
	}
}

// FuzzParseResponse: any answer to the query for a.test's HTTPS record is read without a
// panic, and every record it keeps is judged without one.
func FuzzParseResponse(f *testing.F) {
	q := dnsmessage.Question{Name: dnsmessage.MustNewName("a.test."), Type: dnsmessage.TypeHTTPS, Class: dnsmessage.ClassINET}
	query := dnsmessage.Message{Header: dnsmessage.Header{ID: 0x1234, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}
	list := testConfigList(f, "a.test")
	for _, answers := range [][]dnsmessage.Resource{
		{httpsRR("a.test.", svcb(1, ".", alpnParam("h2"), portParam(8443), echParam(list)))},
		{cnameRR("a.test.", "b.test."), httpsRR("b.test.", svcb(0, "c.test.")), httpsRR("b.test.", svcb(2, ".", echParam([]byte{0, 1, 0})))},
		nil,
	} {
		m := query
		m.Response, m.Answers = true, answers
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		id := uint16(0)
		if len(msg) >= 2 {
			id = binary.BigEndian.Uint16(msg)
		}
		ans, err := parseResponse(msg, id, q, true)
		if err != nil {
			return
		}
		for owner, records := range ans.https {
			rec, err := pick(owner, records)
			if err == nil && rec != nil {
				if _, err := wire.ParseECHConfigList(rec.ConfigList); err != nil {
					t.Errorf("picked a record whose list does not parse: %v", err)
				}
			}
		}
	})
}
