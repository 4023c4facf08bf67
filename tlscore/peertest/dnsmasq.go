package peertest

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"strconv"
	"testing"
	"time"
)

// DnsmasqServer is a dnsmasq answering DNS over UDP and TCP on 127.0.0.1:Port, and on
// [::1]:Port where the machine's loopback has IPv6.
type DnsmasqServer struct {
	*Server
	// IPv6 is "[::1]:Port" when dnsmasq listens there too, "" when loopback has no IPv6.
	IPv6 string
}

// Dnsmasq starts the dnsmasq on PATH (Debian's /usr/sbin/dnsmasq is found also where /usr/sbin
// is not on PATH) as a DNS server of the test's records only, and returns once it answers a
// query. opts are dnsmasq options giving the records and zones: DnsRR's --dns-rr,
// --host-record=NAME,ADDR, --cname=ALIAS,TARGET, and --local=/ZONE/ for names of the zone that
// have no record to be NXDOMAIN (without it dnsmasq, which has no upstream, answers REFUSED).
// dnsmasq reads no configuration file, no /etc/hosts and no /etc/resolv.conf, and has no
// upstream server, so no query it is asked ever leaves the machine. It runs in the foreground
// in debug mode (--no-daemon), in which it keeps the user it was started as (root or not) and
// writes no pid file; its log, each query included, goes to Out. A port taken meanwhile is
// retried on another, as Start does; the process is killed at the end of the test.
func Dnsmasq(t testing.TB, opts ...string) *DnsmasqServer {
	t.Helper()
	ipv6 := loopbackIPv6()
	srv := Start(t, Program{
		Name: "dnsmasq",
		Args: func(port string) []string {
			args := []string{"--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
				"--log-facility=-", "--log-queries", "--port=" + port, "--bind-interfaces", "--listen-address=127.0.0.1"}
			if ipv6 {
				args = append(args, "--listen-address=::1")
			}
			return append(args, opts...)
		},
		Ready: func(port, _ string) bool { return answersDNS("127.0.0.1:" + port) },
	})
	s := &DnsmasqServer{Server: srv}
	if ipv6 {
		s.IPv6 = "[::1]:" + srv.Port
	}
	return s
}

// DnsRR is dnsmasq's option for a record of any type: --dns-rr=NAME,TYPE,HEX, the record data
// (RDATA) written in hex.
func DnsRR(name string, rrtype uint16, rdata []byte) string {
	return "--dns-rr=" + name + "," + strconv.Itoa(int(rrtype)) + "," + hex.EncodeToString(rdata)
}

// loopbackIPv6 reports whether a UDP socket can be bound on [::1].
func loopbackIPv6() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// answersDNS reports whether a DNS server on addr answers a query (for the root's A record,
// which dnsmasq without an upstream refuses: any answer will do) within 100 ms.
func answersDNS(addr string) bool {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	const id = 0x7e57
	// Header: ID, flags 0, one question; then the root name, type A, class IN.
	query := binary.BigEndian.AppendUint16(nil, id)
	query = append(query, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1)
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := c.Write(query); err != nil {
		return false
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	return err == nil && n >= 12 && binary.BigEndian.Uint16(buf) == id && buf[2]&0x80 != 0
}
