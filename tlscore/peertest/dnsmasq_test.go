package peertest

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
	"testing"
	"time"
)

// TestDnsmasq: the records given as options are served over UDP (and on ::1 where loopback
// has IPv6), names of a --local zone without one are NXDOMAIN, and after the test dnsmasq is
// gone.
func TestDnsmasq(t *testing.T) {
	t.Parallel()
	// A TXT record's data: one character string, "hello".
	txt := []byte("\x05hello")
	var srv *DnsmasqServer
	t.Run("serve", func(t *testing.T) {
		srv = Dnsmasq(t, DnsRR("txt.peertest.test", 16, txt), "--local=/peertest.test/")
		addrs := []string{srv.Addr()}
		if srv.IPv6 != "" {
			addrs = append(addrs, srv.IPv6)
		}
		for _, addr := range addrs {
			resp := askTXT(t, addr, "txt.peertest.test")
			// The answer's RDLENGTH and RDATA.
			rdata := append([]byte{0, byte(len(txt))}, txt...)
			if rcode := resp[3] & 0x0f; rcode != 0 || binary.BigEndian.Uint16(resp[6:]) != 1 || !bytes.Contains(resp, rdata) {
				t.Errorf("%s: answer % x (rcode %d), want one TXT record with % x\n%s", addr, resp, rcode, txt, srv.Out)
			}
			if rcode := askTXT(t, addr, "missing.peertest.test")[3] & 0x0f; rcode != 3 {
				t.Errorf("%s: rcode %d for a name without records, want NXDOMAIN (3)", addr, rcode)
			}
		}
		// dnsmasq writes its log between queries: it may come a little after the answer.
		logged := func() bool { return strings.Contains(srv.Out.String(), "query[TXT] txt.peertest.test") }
		for deadline := time.Now().Add(2 * time.Second); !logged() && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if !logged() {
			t.Errorf("the log does not show the query:\n%s", srv.Out)
		}
	})
	if srv == nil {
		return
	}
	if answersDNS(srv.Addr()) {
		t.Errorf("%s still answers after the test that started it ended", srv.Addr())
	}
}

func TestDnsRR(t *testing.T) {
	t.Parallel()
	if got, want := DnsRR("a.test", 65, []byte{0, 1, 0, 0xab}), "--dns-rr=a.test,65,000100ab"; got != want {
		t.Errorf("DnsRR = %q, want %q", got, want)
	}
}

// askTXT sends a TXT query for name to addr over UDP and returns the answer.
func askTXT(t *testing.T, addr, name string) []byte {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	q := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0} // ID 0x1234, RD, one question
	for _, label := range strings.Split(name, ".") {
		q = append(append(q, byte(len(label))), label...)
	}
	q = append(q, 0, 0, 16, 0, 1)
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	if n < 12 || buf[0] != 0x12 || buf[1] != 0x34 {
		t.Fatalf("%s: answer % x is not to the query", addr, buf[:n])
	}
	return buf[:n]
}
