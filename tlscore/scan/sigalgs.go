package scan

import (
	"context"
	"crypto/x509"
	"slices"
	"strings"
	"sync"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// SigAlgResult is the signature schemes a server signs its handshake with, for one version and
// one kind of certificate. A scheme is offered alone in signature_algorithms, one probe each,
// and counts as accepted only when the server signed with exactly that scheme: in TLS 1.2 the
// ServerKeyExchange's signature (ECDHE and DHE suites), in TLS 1.3 the CertificateVerify (read
// with the TLS 1.3 peek).
type SigAlgResult struct {
	Version string `json:"version"` // "TLS 1.2" or "TLS 1.3"
	// Auth is, at TLS 1.2, the authentication of the suites probed ("RSA", "ECDSA", "DSS"); at
	// TLS 1.3, where suites do not say, the key of the certificate the server signed with
	// ("RSA", "ECDSA", "Ed25519", "RSA-PSS" ...), or "" for schemes no probe could attribute.
	Auth string `json:"auth"`
	// Accepted are the schemes the server signed with from among those offered, by IANA name
	// ("rsa_pss_rsae_sha256", TLS 1.2 pairs as "rsa_pkcs1_sha224", "dsa_sha256"), in code
	// point order.
	Accepted []string `json:"accepted"`
	// Inconclusive are the schemes whose probes failed twice in ways that prove nothing
	// (timeouts, resets, garbage); at TLS 1.3 they are listed with every certificate kind.
	Inconclusive []string `json:"inconclusive,omitempty"`
	// Fallback are the schemes the server signed with although the probe offered another one:
	// a TLS 1.2 server that falls back to a default (RSA-SHA1, RFC 5246 §7.4.1.4.1) when
	// nothing offered matches; never counted as accepted.
	Fallback []string `json:"fallback,omitempty"`
	// IgnoresList: the server signed with one scheme whatever was offered, so what it accepts
	// cannot be told from the extension.
	IgnoresList bool `json:"ignores_list,omitempty"`
	// Weak are the accepted schemes that should not be: with MD5 or SHA-1, which RFC 9155
	// forbids in TLS 1.2 handshake signatures; at TLS 1.3 also any scheme that RFC
	// 8446 §4.2.3 does not allow in a CertificateVerify (rsa_pkcs1_*, DSA, the TLS 1.2 pairs).
	Weak []string `json:"weak,omitempty"`
}

// weakScheme reports whether an accepted scheme is one a server should no longer sign with at
// version v.
func weakScheme(v string, scheme uint16) bool {
	hash, sig := scheme>>8, scheme&0xff
	if hash >= 1 && hash <= 2 && sig >= 1 && sig <= 3 {
		// MD5 and SHA-1 with RSA, DSA or ECDSA: RFC 9155 forbids them in TLS 1.2. SHA-224 is
		// not forbidden (OpenSSL's default list has it), and is not counted.
		return true
	}
	if v != wire.VersionName(wire.VersionTLS13) {
		return false
	}
	n := wire.SignatureSchemeName(scheme)
	return strings.HasPrefix(n, "rsa_pkcs1") || strings.HasPrefix(n, "dsa")
}

// sigAlgProbeSchemes is every scheme the wire name table knows, the TLS 1.2 (hash, signature)
// pairs of MD5, SHA-1, SHA-224 ... with RSA, DSA and ECDSA among them, in code point order.
var sigAlgProbeSchemes = sync.OnceValue(func() []uint16 {
	var out []uint16
	for id := range 0x10000 {
		s := uint16(id)
		if n := wire.SignatureSchemeName(s); n != "GREASE" && !strings.HasPrefix(n, "unknown") {
			out = append(out, s)
		}
	}
	return out
})

// sigAlgAnswer is what one scheme's probe learned.
type sigAlgAnswer struct {
	scheme uint16
	// signed is the scheme the server signed with (0 when it did not get that far).
	signed uint16
	// auth is the certificate kind it signed for (TLS 1.3).
	auth         string
	inconclusive bool
}

// signatureAlgorithms probes the signature schemes of TLS 1.2 (with the signed ECDHE and DHE
// suites found there, per authentication) and of TLS 1.3 (with the suites found there, per
// certificate kind), by elimination (eliminateSigAlgs). found is the scan's enumeration.
func (s *scanner) signatureAlgorithms(ctx context.Context, found map[uint16][]uint16) []SigAlgResult {
	type job struct {
		auth   string
		suites []uint16
	}
	var jobs12 []job
	for _, id := range found[wire.VersionTLS12] {
		cs, ok := wire.CipherSuiteByID(id)
		// Only signed key exchanges: anonymous, PSK and SRP ones carry no signature to read.
		if !ok || (cs.KeyExchange != "ECDHE" && cs.KeyExchange != "DHE") || (cs.Auth != "RSA" && cs.Auth != "ECDSA" && cs.Auth != "DSS") {
			continue
		}
		i := slices.IndexFunc(jobs12, func(j job) bool { return j.auth == cs.Auth })
		if i < 0 {
			jobs12 = append(jobs12, job{auth: cs.Auth})
			i = len(jobs12) - 1
		}
		jobs12[i].suites = append(jobs12[i].suites, id)
	}
	answers12 := make([][]sigAlgAnswer, len(jobs12))
	var answers13 []sigAlgAnswer
	var wg sync.WaitGroup
	for i, j := range jobs12 {
		wg.Go(func() {
			answers12[i] = eliminateSigAlgs(ctx, func(list []uint16) sigAlgAnswer { return s.sigAlg12(ctx, j.suites, list) })
		})
	}
	if suites := found[wire.VersionTLS13]; len(suites) > 0 {
		wg.Go(func() {
			answers13 = eliminateSigAlgs(ctx, func(list []uint16) sigAlgAnswer { return s.sigAlg13(ctx, suites, list) })
		})
	}
	wg.Wait()

	out := []SigAlgResult{}
	for i, j := range jobs12 {
		out = append(out, sigAlgSummary(wire.VersionName(wire.VersionTLS12), j.auth, answers12[i]))
	}
	if answers13 != nil {
		var auths []string
		var undecided []sigAlgAnswer
		for _, a := range answers13 {
			switch {
			case a.inconclusive:
				undecided = append(undecided, a)
			case a.signed != 0 && !slices.Contains(auths, a.auth):
				auths = append(auths, a.auth)
			}
		}
		if len(auths) == 0 && len(undecided) > 0 {
			auths = []string{""}
		}
		for _, auth := range auths {
			var mine []sigAlgAnswer
			for _, a := range answers13 {
				if a.inconclusive || a.auth == auth {
					mine = append(mine, a)
				}
			}
			out = append(out, sigAlgSummary(wire.VersionName(wire.VersionTLS13), auth, mine))
		}
	}
	return out
}

// eliminateSigAlgs finds the schemes a server signs with as the scan finds suites: offer every
// scheme not yet seen, and take out the one the server signed with, until it refuses or signs
// with one that was not offered (its fallback, or a server that ignores the list). A server
// signs only with an offered scheme it has, so this finds each of them in one probe plus one: a
// probe a scheme (47 per kind) was most of a scan's connections, and made it 0.35x sslscan's
// time where the target is 0.3x. A probe that proves nothing leaves the schemes still offered
// inconclusive.
func eliminateSigAlgs(ctx context.Context, try func(offered []uint16) sigAlgAnswer) []sigAlgAnswer {
	left := slices.Clone(sigAlgProbeSchemes())
	var answers []sigAlgAnswer
	for len(left) > 0 {
		a := try(left)
		switch {
		case a.inconclusive || ctx.Err() != nil:
			for _, sc := range left {
				answers = append(answers, sigAlgAnswer{scheme: sc, inconclusive: true})
			}
			return answers
		case a.signed == 0:
			return answers // refused: none of those left
		case slices.Contains(left, a.signed):
			a.scheme = a.signed
			answers = append(answers, a)
			left = slices.DeleteFunc(left, func(sc uint16) bool { return sc == a.signed })
		default:
			return append(answers, a) // signed with what was not offered (a.scheme 0)
		}
	}
	return answers
}

// sigAlgSummary turns one kind's answers into its result.
func sigAlgSummary(version, auth string, answers []sigAlgAnswer) SigAlgResult {
	r := SigAlgResult{Version: version, Auth: auth, Accepted: []string{}}
	// Elimination found them in the server's order; they are listed in code point order.
	answers = slices.Clone(answers)
	slices.SortStableFunc(answers, func(a, b sigAlgAnswer) int { return int(a.scheme) - int(b.scheme) })
	signedWith := map[uint16]bool{}
	otherOffered := false
	for _, a := range answers {
		switch {
		case a.inconclusive:
			r.Inconclusive = append(r.Inconclusive, wire.SignatureSchemeName(a.scheme))
		case a.signed == 0:
		case a.signed == a.scheme:
			r.Accepted = append(r.Accepted, wire.SignatureSchemeName(a.scheme))
			signedWith[a.signed] = true
			if weakScheme(version, a.scheme) {
				r.Weak = append(r.Weak, wire.SignatureSchemeName(a.scheme))
			}
		default:
			otherOffered = true
			signedWith[a.signed] = true
			if n := wire.SignatureSchemeName(a.signed); !slices.Contains(r.Fallback, n) {
				r.Fallback = append(r.Fallback, n)
			}
		}
	}
	slices.Sort(r.Fallback)
	r.IgnoresList = otherOffered && len(signedWith) == 1
	return r
}

// sigAlg12 offers the schemes with the TLS 1.2 suites of one authentication and reads the
// ServerKeyExchange's signature; a probe that proves nothing is made once more.
func (s *scanner) sigAlg12(ctx context.Context, suites []uint16, offered []uint16) sigAlgAnswer {
	spec := s.helloSpec(wire.VersionTLS12, suites)
	spec.SignatureAlgorithms = slices.Clone(offered)
	a := sigAlgAnswer{}
	for try := 0; try < 2; try++ {
		out := s.probeSKE(ctx, spec)
		switch {
		case out.kind == outRefused:
			return a
		case out.kind == outHello && out.hello.Version() == wire.VersionTLS12 && slices.Contains(suites, out.hello.CipherSuite) &&
			out.ske != nil && out.ske.Signed && out.ske.SignatureScheme != 0:
			a.signed = out.ske.SignatureScheme
			return a
		case out.kind == outHello && out.hello.Version() != wire.VersionTLS12:
			return a // not TLS 1.2 for this offer: nothing signed
		case out.hello != nil && out.alert != nil && out.alert.Level == 2:
			// A fatal alert after the ServerHello and Certificate, where the signed
			// ServerKeyExchange was due: the server could not sign with the scheme (Go's
			// server picks its suite and certificate first and fails here).
			return a
		}
		if ctx.Err() != nil {
			break
		}
	}
	a.inconclusive = true
	return a
}

// sig13ExtCert is signature_algorithms_cert (RFC 8446 §4.2.3). The TLS 1.3 probes send it
// with every scheme, so that signature_algorithms, holding one scheme, speaks only of the
// CertificateVerify and not of the signatures in the certificate chain too.
const sig13ExtCert uint16 = 50

// sigAlg13 offers the schemes in a TLS 1.3 peek and reads the CertificateVerify's scheme; a
// peek that proves nothing is made once more.
func (s *scanner) sigAlg13(ctx context.Context, suites []uint16, offered []uint16) sigAlgAnswer {
	spec := s.spec13(suites, []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1, wire.GroupSecp521r1}, 0)
	spec.SignatureAlgorithms = slices.Clone(offered)
	all := sigAlgProbeSchemes()
	list := make([]byte, 2, 2+2*len(all))
	list[0], list[1] = byte(2*len(all)>>8), byte(2*len(all))
	for _, sc := range all {
		list = append(list, byte(sc>>8), byte(sc))
	}
	spec.ExtraExtensions = []wire.Extension{{Type: sig13ExtCert, Data: list}}
	a := sigAlgAnswer{}
	for try := 0; try < 2; try++ {
		res, out := s.peek13(ctx, spec)
		switch out.kind {
		case outRefused:
			return a
		case outHello:
			a.signed = res.CertificateVerify.SignatureScheme
			a.auth = certAuth(res.Chain(), a.signed)
			return a
		}
		if ctx.Err() != nil {
			break
		}
	}
	a.inconclusive = true
	return a
}

// certAuth names the kind of a chain's leaf key, or, when the leaf does not parse, the
// family of the scheme it signed with.
func certAuth(chain [][]byte, signed uint16) string {
	if len(chain) > 0 {
		if c, err := x509.ParseCertificate(chain[0]); err == nil {
			switch c.PublicKeyAlgorithm {
			case x509.RSA:
				return "RSA"
			case x509.ECDSA:
				return "ECDSA"
			case x509.Ed25519:
				return "Ed25519"
			case x509.DSA:
				return "DSA"
			}
		}
	}
	n := wire.SignatureSchemeName(signed)
	switch {
	case strings.HasPrefix(n, "rsa_pss_pss"):
		return "RSA-PSS"
	case strings.HasPrefix(n, "rsa"):
		return "RSA"
	case strings.HasPrefix(n, "ecdsa"):
		return "ECDSA"
	case n == "ed25519":
		return "Ed25519"
	case n == "ed448":
		return "Ed448"
	case strings.HasPrefix(n, "mldsa"):
		return "ML-DSA"
	}
	return n
}
