package scan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Finding is a weakness a scan found, with a stable id and a severity (info, low, medium, high).
type Finding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// Findings judges a scan result: old protocol versions, weak or unauthenticated suites, missing
// forward secrecy, CBC in TLS 1.2, no server preference, a weak DHE group, no post-quantum
// group. Each finding rests on what the server did: a suite or version it picked, or a
// refusal it gave. Something it was never seen to refuse (a version or group whose probes
// proved nothing, or that was not probed at all) is never reported as missing.
func Findings(r *Result) []Finding {
	var out []Finding
	add := func(id, sev, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...)})
	}
	supported := map[string]bool{}
	refused := map[string]bool{} // versions the server was seen to turn down
	for _, v := range r.Versions {
		supported[v.Version] = v.Supported
		refused[v.Version] = !v.Supported && !v.Inconclusive
	}
	if supported["SSL 2.0"] {
		add("sslv2", "high", "SSL 2.0 is accepted (prohibited by RFC 6176; DROWN)")
	}
	if supported["SSL 3.0"] {
		add("sslv3", "high", "SSL 3.0 is accepted (POODLE; removed everywhere)")
	}
	if supported["TLS 1.0"] {
		add("tls10", "medium", "TLS 1.0 is accepted (deprecated by RFC 8996)")
	}
	if supported["TLS 1.1"] {
		add("tls11", "medium", "TLS 1.1 is accepted (deprecated by RFC 8996)")
	}
	if refused["TLS 1.3"] {
		add("no-tls13", "low", "TLS 1.3 is not accepted")
	}
	kinds := map[string][]string{}
	noFS := false
	for _, v := range r.Versions {
		for _, s := range v.Suites {
			cs := s.describe()
			// Each weakness is counted on its own: an anonymous RC4 suite is anonymous and RC4
			// (ADH-RC4-MD5 was once only "anonymous", and missing from the RC4 finding that
			// sslscan and testssl list it under), an export DES suite is export and DES.
			name := v.Version + " " + s.Name
			if strings.Contains(cs.Cipher, "NULL") {
				kinds["null-cipher"] = append(kinds["null-cipher"], name)
			}
			if cs.Export {
				kinds["export-cipher"] = append(kinds["export-cipher"], name)
			}
			if cs.Anonymous {
				kinds["anonymous-cipher"] = append(kinds["anonymous-cipher"], name)
			}
			if strings.Contains(cs.Cipher, "RC4") {
				kinds["rc4-cipher"] = append(kinds["rc4-cipher"], name)
			}
			if strings.Contains(cs.Cipher, "DES") {
				kinds["des-cipher"] = append(kinds["des-cipher"], name)
			}
			if !s.ForwardSecrecy {
				noFS = true
			}
			if v.Version == "TLS 1.2" && !s.AEAD && strings.Contains(cs.Cipher, "CBC") {
				kinds["cbc-tls12"] = append(kinds["cbc-tls12"], s.Name)
			}
		}
	}
	sev := map[string]string{"null-cipher": "high", "export-cipher": "high", "anonymous-cipher": "high", "rc4-cipher": "high", "des-cipher": "medium", "cbc-tls12": "low"}
	what := map[string]string{"null-cipher": "NULL (unencrypted)", "export-cipher": "EXPORT", "anonymous-cipher": "anonymous (unauthenticated)", "rc4-cipher": "RC4", "des-cipher": "DES/3DES", "cbc-tls12": "CBC-mode TLS 1.2"}
	ids := make([]string, 0, len(kinds))
	for id := range kinds {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		add(id, sev[id], "%d %s suite(s) accepted, e.g. %s", len(kinds[id]), what[id], examples(kinds[id], 3))
	}
	out = append(out, attackFindings(r)...)
	out = append(out, checkFindings(r.Checks, supported["SSL 3.0"])...)
	out = append(out, httpFindings(r.HTTP)...)
	for _, sa := range r.SignatureAlgorithms {
		if len(sa.Weak) > 0 {
			who := sa.Version
			if sa.Auth != "" {
				who += " " + sa.Auth
			}
			add("weak-signature-algorithm", "medium", "%s: the server signs with %s (RFC 9155 forbids MD5 and SHA-1 in TLS 1.2 handshakes; TLS 1.3 allows no PKCS#1 v1.5 or DSA)", who, strings.Join(sa.Weak, ", "))
		}
	}
	if r.SecureRenegotiation != nil && !*r.SecureRenegotiation {
		add("insecure-renegotiation", "high", "no secure renegotiation: the server's ServerHello lacks renegotiation_info (RFC 5746; CVE-2009-3555)")
	}
	if noFS {
		add("no-forward-secrecy", "medium", "suites without forward secrecy are accepted (RSA key transport)")
	}
	for _, v := range r.Versions {
		if v.Supported && v.ServerPreference != nil && !*v.ServerPreference && v.Version != "TLS 1.3" {
			add("no-server-preference", "low", "%s: the server follows the client's suite order", v.Version)
		}
	}
	where := ""
	for _, g := range r.DH {
		if g.Bits == r.DHGroupBits {
			where = fmt.Sprintf(" (%s %s suites, e.g. %s)", g.Version, g.Auth, g.Suite)
			break
		}
	}
	switch b := r.DHGroupBits; {
	case b > 0 && b < 1024:
		add("weak-dh", "high", "DHE uses a %d-bit prime%s: below 1024 bits (Logjam)", b, where)
	case b > 0 && b < 2048:
		add("weak-dh", "medium", "DHE uses a %d-bit prime%s: below 2048 bits", b, where)
	}
	// A published prime of 1024 bits or less is shared by many servers, which is what made
	// Logjam's one-off precomputation pay (the common primes testssl checks for).
	for _, g := range r.DH {
		if g.Prime != "" && g.Bits <= 1024 {
			add("common-dh-prime", "high", "DHE uses %s, a published %d-bit prime shared by many servers (Logjam precomputation), for %s %s suites (e.g. %s)",
				g.Prime, g.Bits, g.Version, g.Auth, g.Suite)
			break
		}
	}
	// A post-quantum group whose probe proved nothing might be accepted, and one never probed
	// was never refused: no finding then.
	pq, pqUnknown, pqProbed := false, false, false
	for _, g := range r.Groups {
		if strings.Contains(strings.ToUpper(g.Name), "MLKEM") {
			pq = pq || g.Supported
			pqUnknown = pqUnknown || g.Inconclusive
			pqProbed = true
		}
	}
	if supported["TLS 1.3"] && pqProbed && !pq && !pqUnknown {
		add("no-post-quantum", "info", "no post-quantum key exchange group (X25519MLKEM768) is accepted")
	}
	if c := r.Connection; c != nil {
		// The certificate's own findings, under the scan's severities.
		sevOf := map[string]string{"error": "high", "warning": "medium", "info": "info"}
		for _, f := range c.Lint {
			add("cert-"+f.ID, sevOf[f.Severity], "certificate: %s", f.Message)
		}
		// Only the ordinary handshake asked for a staple: a probe's flight says nothing of it.
		if c.MustStaple && !c.OCSPStapled && c.Error == "" {
			add("must-staple-missing", "high", "the certificate requires OCSP stapling (must-staple, RFC 7633) and the server staples no response: clients that enforce it refuse the connection")
		}
		v := c.Verification
		revocationVerdict := v != nil && (v.Reason == inspect.ReasonRevoked || v.Reason == inspect.ReasonRevocationUnknown)
		if v != nil && !v.Verified && !revocationVerdict {
			against := "the system roots"
			if r.rootsGiven {
				against = "the roots given"
			}
			add("cert-untrusted", "medium", "certificate not verified against %s: %s", against, v.Error)
		}
		if rev := c.Revocation; rev != nil {
			switch {
			case rev.Status == revocation.StatusRevoked:
				add("cert-revoked", "high", "certificate: %s", rev.Error)
			case v != nil && v.Reason == inspect.ReasonRevocationUnknown:
				// Proof was asked for (hard fail) and is missing: as grave as a revocation.
				add("cert-revocation-unknown", "high", "certificate: revocation not proven good: %s", v.Error)
			case rev.Status == revocation.StatusUnknown:
				add("cert-revocation-unknown", "info", "certificate: %s", rev.Error)
			}
		}
	}
	rank := map[string]int{"high": 0, "medium": 1, "low": 2, "info": 3}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Severity] < rank[out[j].Severity] })
	return out
}

// examples names the first n items and counts the rest, keeping a finding to one short line.
func examples(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// checkFindings turns the vulnerable checks into findings, under testssl's severities.
// fallbackPOODLE: SSL 3.0 is accepted, so a forced fallback lands in POODLE (testssl makes the
// missing SCSV high then).
func checkFindings(checks []Check, fallbackPOODLE bool) []Finding {
	var out []Finding
	for _, c := range checks {
		if c.Verdict != Vulnerable {
			continue
		}
		f := Finding{ID: c.ID, Severity: "high"}
		switch c.ID {
		case "heartbleed":
			f.Message = "Heartbleed (CVE-2014-0160): "
		case "ccs-injection":
			f.Message = "CCS injection (CVE-2014-0224): "
		case "ticketbleed":
			f.Message = "Ticketbleed (CVE-2016-9244): "
		case "robot":
			f.Message = "ROBOT, an RSA padding oracle (CVE-2017-13099 and others): "
		case "compression":
			f.Message = "TLS compression (CRIME, CVE-2012-4929): "
		case "client-renegotiation":
			f.Severity, f.Message = "medium", "client-initiated renegotiation is allowed (a DoS lever): "
		case "fallback-scsv":
			f.ID, f.Severity, f.Message = "no-fallback-scsv", "medium", "no downgrade protection (TLS_FALLBACK_SCSV, RFC 7507): "
			if fallbackPOODLE {
				f.Severity = "high"
			}
		default:
			f.Message = c.ID + ": "
		}
		f.Message += c.Received // the evidence in full is the check's
		out = append(out, f)
	}
	return out
}

// attack is a published attack on a kind of suite, the way testssl names them, with the
// severity testssl gives it.
type attack struct {
	id, severity, what string
	hits               func(version string, cs wire.CipherSuite) bool
}

func isCBC(cs wire.CipherSuite) bool { return strings.HasSuffix(cs.Cipher, "-CBC") }

// block64 reports a 64-bit block cipher: birthday-bound collisions after a few tens of GiB.
func block64(cs wire.CipherSuite) bool {
	for _, c := range []string{"3DES", "DES", "IDEA", "RC2", "GOST28147", "MAGMA"} {
		if strings.HasPrefix(cs.Cipher, c) {
			return true
		}
	}
	return false
}

var attacks = []attack{
	{"poodle", "high", "POODLE (CVE-2014-3566): SSL 3.0 with CBC", func(v string, cs wire.CipherSuite) bool { return v == "SSL 3.0" && isCBC(cs) }},
	{"freak", "high", "FREAK (CVE-2015-0204): export RSA", func(_ string, cs wire.CipherSuite) bool { return cs.Export && cs.KeyExchange == "RSA" }},
	{"logjam", "high", "Logjam (CVE-2015-4000): export DHE", func(_ string, cs wire.CipherSuite) bool { return cs.Export && cs.KeyExchange == "DHE" }},
	{"drown", "high", "DROWN (CVE-2016-0800): SSL 2.0", func(v string, _ wire.CipherSuite) bool { return v == "SSL 2.0" }},
	{"beast", "medium", "BEAST (CVE-2011-3389): CBC in SSL 3.0 or TLS 1.0", func(v string, cs wire.CipherSuite) bool { return (v == "SSL 3.0" || v == "TLS 1.0") && isCBC(cs) }},
	{"sweet32", "low", "SWEET32 (CVE-2016-2183): 64-bit block", func(_ string, cs wire.CipherSuite) bool { return block64(cs) }},
	{"lucky13", "low", "Lucky Thirteen (CVE-2013-0169): CBC with HMAC", func(v string, cs wire.CipherSuite) bool { return v != "SSL 2.0" && isCBC(cs) }},
}

// attackFindings names the attacks the accepted suites open the door to, each with the
// suites that trigger it. BEAST is low, as testssl has it, when a later version is accepted
// too: clients that can use it are not exposed.
func attackFindings(r *Result) []Finding {
	var out []Finding
	later := false
	for _, v := range r.Versions {
		later = later || (v.Supported && (v.Version == "TLS 1.1" || v.Version == "TLS 1.2" || v.Version == "TLS 1.3"))
	}
	for _, a := range attacks {
		var hits []string
		for _, v := range r.Versions {
			for _, s := range v.Suites {
				if a.hits(v.Version, s.describe()) {
					hits = append(hits, v.Version+" "+s.Name)
				}
			}
		}
		if len(hits) == 0 {
			continue
		}
		sev := a.severity
		if a.id == "beast" && later {
			sev = "low"
		}
		out = append(out, Finding{ID: a.id, Severity: sev, Message: fmt.Sprintf("%s: %d suite(s), e.g. %s", a.what, len(hits), examples(hits, 3))})
	}
	return out
}

// describe is the suite's row of the table, an SSL 2.0 kind's included: those have no two-byte
// ID, and looked up by it they were ID 0, TLS_NULL_WITH_NULL_NULL (RC4-MD5 was once reported as
// a NULL cipher).
func (s Suite) describe() wire.CipherSuite {
	if s.SSLv2Kind != 0 {
		c, _ := wire.SSLv2CipherByKind(s.SSLv2Kind)
		return c.Suite()
	}
	cs, _ := wire.CipherSuiteByID(s.ID)
	return cs
}
