package certgen

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestParseNameConstraints(t *testing.T) {
	tests := []struct {
		in      string
		dns     string
		ip      string
		wantErr string
	}{
		{in: "internal", dns: "internal"},
		{in: ".Example.Test", dns: ".example.test"},
		{in: "10.0.0.0/8", ip: "10.0.0.0/8"},
		{in: "127.0.0.1", ip: "127.0.0.1/32"},
		{in: "127.0.0.1/32", ip: "127.0.0.1/32"},
		{in: "fd00::/8", ip: "fd00::/8"},
		{in: "::1", ip: "::1/128"},
		{in: "::ffff:10.0.0.0/104", ip: "10.0.0.0/8"},
		{in: "10.1.2.3/8", wantErr: "did you mean 10.0.0.0/8"},
		{in: "10.0.0.0/33", wantErr: "not a DNS domain or an IP range"},
		{in: "fe80::1%eth0", wantErr: "invalid name constraint"},
		{in: "bad domain", wantErr: "must be a DNS domain"},
		{in: "*.example.test", wantErr: "must be a DNS domain"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			nc, err := ParseNameConstraints([]string{tt.in})
			if tt.wantErr != "" {
				var pe *ProfileError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a ProfileError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(nc.DNS, nc.IPs)
			want := fmt.Sprint(nonEmpty(tt.dns), nonEmpty(tt.ip))
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// The constraints a CA is made with, in the certificate: one kind of name permitted excludes
// the others outright, in one critical extension.
func TestNameConstraintsInCertificate(t *testing.T) {
	tests := []struct {
		name          string
		constraints   []string
		permittedDNS  string
		permittedIPs  string
		excludedDNS   string
		excludedIPs   string
		wantCritical  bool
		wantExtension bool
	}{
		{name: "none"},
		{name: "dns only", constraints: []string{"internal"}, permittedDNS: "[internal]", permittedIPs: "[]", excludedDNS: "[]", excludedIPs: "[0.0.0.0/0 ::/0]", wantCritical: true, wantExtension: true},
		{name: "ip only", constraints: []string{"10.0.0.0/8"}, permittedDNS: "[]", permittedIPs: "[10.0.0.0/8]", excludedDNS: "[]", excludedIPs: "[]", wantCritical: true, wantExtension: true},
		{name: "both", constraints: []string{"internal", "127.0.0.1/32", "::1"}, permittedDNS: "[internal]", permittedIPs: "[127.0.0.1/32 ::1/128]", excludedDNS: "[]", excludedIPs: "[]", wantCritical: true, wantExtension: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newTestRoot(t, CARequest{Subject: subjectCN("NC " + tt.name), PathLen: -1, NameConstraints: tt.constraints})
			c := root.Cert
			var ext *bool
			for _, e := range c.Extensions {
				if e.Id.Equal([]int{2, 5, 29, 30}) {
					ext = &e.Critical
				}
			}
			if (ext != nil) != tt.wantExtension || ext != nil && *ext != tt.wantCritical {
				t.Fatalf("name constraints extension present=%v critical=%v", ext != nil, ext != nil && *ext)
			}
			if !tt.wantExtension {
				return
			}
			// The IP-only case excludes every DNS name with the empty domain, which crypto/x509
			// parses into ExcludedDNSDomains as [""].
			excludedDNS := fmt.Sprint(c.ExcludedDNSDomains)
			if tt.name == "ip only" {
				if len(c.ExcludedDNSDomains) != 1 || c.ExcludedDNSDomains[0] != "" {
					t.Errorf("excluded DNS = %q, want [\"\"]", c.ExcludedDNSDomains)
				}
				excludedDNS = "[]"
			}
			got := []string{fmt.Sprint(nonNil(c.PermittedDNSDomains)), ipNets(c.PermittedIPRanges), excludedDNS, ipNets(c.ExcludedIPRanges)}
			want := []string{tt.permittedDNS, tt.permittedIPs, tt.excludedDNS, tt.excludedIPs}
			for i, what := range []string{"permitted DNS", "permitted IPs", "excluded DNS", "excluded IPs"} {
				if got[i] != want[i] {
					t.Errorf("%s = %s, want %s", what, got[i], want[i])
				}
			}
		})
	}
}

func ipNets(ns []*net.IPNet) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	return fmt.Sprint(s)
}

// IssueLeaf refuses what the CA's constraints (or those of a CA above it) forbid, and Go's own
// verifier agrees with each verdict.
func TestIssueWithinNameConstraints(t *testing.T) {
	dnsOnly := newTestRoot(t, CARequest{Subject: subjectCN("DNS only"), PathLen: -1, NameConstraints: []string{"internal"}})
	ipOnly := newTestRoot(t, CARequest{Subject: subjectCN("IP only"), PathLen: -1, NameConstraints: []string{"10.0.0.0/8", "fd00::/8"}})
	both := newTestRoot(t, CARequest{Subject: subjectCN("Both"), PathLen: -1, NameConstraints: []string{"internal", "127.0.0.1"}})
	subOnly := newTestRoot(t, CARequest{Subject: subjectCN("Subdomains"), PathLen: -1, NameConstraints: []string{".corp.test"}})
	intKey := cachedKey(t, KeyECDSAP256, "int")
	// An intermediate under "both" that narrows to DNS only: it must exclude IPs itself.
	intCert, err := CreateIntermediateCA(rand.Reader, CARequest{Subject: subjectCN("Narrow"), Days: 365, PathLen: -1, NameConstraints: []string{"a.internal"}, Now: testNow}, intKey.Public(), both)
	if err != nil {
		t.Fatal(err)
	}
	narrow := Issuer{Cert: intCert, Key: intKey, Chain: []*x509.Certificate{intCert}}

	tests := []struct {
		name  string
		ca    Issuer
		root  Issuer
		hosts []string
		cn    string
		want  string // "" issued, else a fragment of the refusal
	}{
		{name: "dns within", ca: dnsOnly, hosts: []string{"app.internal"}},
		{name: "dns outside", ca: dnsOnly, hosts: []string{"example.test"}, want: "example.test is outside"},
		{name: "ipv4 under dns-only", ca: dnsOnly, hosts: []string{"127.0.0.1"}, want: "127.0.0.1 is outside"},
		{name: "ipv6 under dns-only", ca: dnsOnly, hosts: []string{"::1"}, want: "::1 is outside"},
		{name: "ip within", ca: ipOnly, hosts: []string{"10.1.2.3", "fd00::5"}},
		{name: "ip outside", ca: ipOnly, hosts: []string{"11.0.0.1"}, want: "11.0.0.1 is outside"},
		{name: "dns under ip-only", ca: ipOnly, hosts: []string{"app.internal"}, want: "no DNS names"},
		{name: "host-like cn under ip-only", ca: ipOnly, hosts: []string{"10.0.0.1"}, cn: "app.internal", want: "app.internal is outside"},
		{name: "plain cn under ip-only", ca: ipOnly, hosts: []string{"10.0.0.1"}, cn: "My Service"},
		{name: "both: dns and ip", ca: both, hosts: []string{"app.internal", "127.0.0.1"}},
		{name: "both: other ip", ca: both, hosts: []string{"127.0.0.2"}, want: "127.0.0.2 is outside"},
		{name: "subdomains only: the domain itself", ca: subOnly, hosts: []string{"corp.test"}, want: "corp.test is outside"},
		{name: "subdomains only: a subdomain", ca: subOnly, hosts: []string{"a.corp.test"}},
		{name: "narrowed intermediate: within", ca: narrow, root: both, hosts: []string{"x.a.internal"}},
		{name: "narrowed intermediate: ip the root permits", ca: narrow, root: both, hosts: []string{"127.0.0.1"}, want: "127.0.0.1 is outside"},
	}
	key := cachedKey(t, KeyECDSAP256, "leaf")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := LeafRequest{SANs: mustHosts(t, tt.hosts...), Days: 30, Now: testNow}
			req.Subject.CommonName = tt.cn
			leaf, _, err := IssueLeaf(rand.Reader, req, key.Public(), tt.ca)
			if tt.want != "" {
				var pe *ProfileError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want a ProfileError containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			root := tt.ca
			if tt.root.Cert != nil {
				root = tt.root
			}
			roots, inters := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(root.Cert)
			for _, c := range tt.ca.Chain {
				inters.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow}); err != nil {
				t.Errorf("issued, but Go does not verify it: %v", err)
			}
		})
	}
}

func TestIntermediateConstraints(t *testing.T) {
	dnsOnly := newTestRoot(t, CARequest{Subject: subjectCN("Int DNS only"), PathLen: -1, NameConstraints: []string{"internal"}})
	ipOnly := newTestRoot(t, CARequest{Subject: subjectCN("Int IP only"), PathLen: -1, NameConstraints: []string{"10.0.0.0/8"}})
	sub := newTestRoot(t, CARequest{Subject: subjectCN("Int subdomains"), PathLen: -1, NameConstraints: []string{".corp.test"}})
	key := cachedKey(t, KeyECDSAP256, "int")
	tests := []struct {
		name   string
		parent Issuer
		asked  []string
		want   string // "" made, else a fragment of the refusal
		// what the intermediate then has
		permittedDNS, permittedIPs, excludedIPs string
	}{
		{name: "inherits dns and the ip exclusion", parent: dnsOnly, permittedDNS: "[internal]", permittedIPs: "[]", excludedIPs: "[0.0.0.0/0 ::/0]"},
		{name: "narrows dns", parent: dnsOnly, asked: []string{"a.internal"}, permittedDNS: "[a.internal]", permittedIPs: "[]", excludedIPs: "[0.0.0.0/0 ::/0]"},
		{name: "ip under dns-only", parent: dnsOnly, asked: []string{"10.0.0.0/8"}, want: "outside the names the parent CA"},
		{name: "inherits ip", parent: ipOnly, permittedDNS: "[]", permittedIPs: "[10.0.0.0/8]", excludedIPs: "[]"},
		{name: "narrows ip", parent: ipOnly, asked: []string{"10.1.0.0/16"}, permittedDNS: "[]", permittedIPs: "[10.1.0.0/16]", excludedIPs: "[]"},
		{name: "wider ip", parent: ipOnly, asked: []string{"0.0.0.0/0"}, want: "outside the names the parent CA"},
		{name: "dns under ip-only", parent: ipOnly, asked: []string{"internal"}, want: "outside the names the parent CA"},
		{name: "same subdomain constraint", parent: sub, asked: []string{".corp.test"}, permittedDNS: "[.corp.test]", permittedIPs: "[]", excludedIPs: "[0.0.0.0/0 ::/0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := CARequest{Subject: subjectCN("Int " + tt.name), Days: 365, PathLen: -1, NameConstraints: tt.asked, Now: testNow}
			c, err := CreateIntermediateCA(rand.Reader, req, key.Public(), tt.parent)
			if tt.want != "" {
				var pe *ProfileError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want a ProfileError containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{fmt.Sprint(nonNil(c.PermittedDNSDomains)), ipNets(c.PermittedIPRanges), ipNets(c.ExcludedIPRanges)}
			want := []string{tt.permittedDNS, tt.permittedIPs, tt.excludedIPs}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("permitted DNS, permitted IPs, excluded IPs = %v, want %v", got, want)
			}
		})
	}
}

func TestCNLooksLikeDNS(t *testing.T) {
	for cn, want := range map[string]bool{
		"app.internal": true, "127.0.0.1": true, "a_b.example": true, "x-y.z": true,
		"localhost": false, "My Service": false, "": false, ".a.b": false, "a.b.": false,
		"a..b": false, "a-.b": false, "-a.b": false, "a.-b": true,
	} {
		if got := cnLooksLikeDNS(cn); got != want {
			t.Errorf("cnLooksLikeDNS(%q) = %v, want %v", cn, got, want)
		}
	}
}

func FuzzParseNameConstraints(f *testing.F) {
	for _, s := range []string{"internal", ".example.test", "10.0.0.0/8", "::1", "::ffff:10.0.0.0/104", "10.1.2.3/8", "a/b", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nc, err := ParseNameConstraints([]string{s})
		if err != nil {
			return
		}
		for _, p := range nc.IPs {
			if !p.IsValid() || p.Masked() != p || p.Addr().Is4In6() || p.Addr().Zone() != "" {
				t.Fatalf("%q: non-canonical range %v", s, p)
			}
		}
	})
}
