package inspect

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Reason codes for a failed verification: stable strings for scripts (docs/json.md).
const (
	ReasonExpired           = "expired"
	ReasonNotYetValid       = "not_yet_valid"
	ReasonUnknownAuthority  = "unknown_authority"
	ReasonSelfSigned        = "self_signed"
	ReasonIncompleteChain   = "incomplete_chain"
	ReasonHostnameMismatch  = "hostname_mismatch"
	ReasonCNWithoutSAN      = "cn_without_san"
	ReasonInsecureSignature = "insecure_signature"
	ReasonNotAuthorized     = "not_authorized_to_sign"
	ReasonUsage             = "incompatible_usage"
	ReasonNameConstraints   = "name_constraints"
	ReasonNoCertificate     = "no_certificate"
	ReasonRevoked           = "revoked"
	// ReasonRevocationUnknown fails a chain whose revocation status could not be determined,
	// only when the user asks for proof of good standing.
	ReasonRevocationUnknown = "revocation_unknown"
	ReasonPathLength        = "path_length"
	ReasonMalformed         = "malformed"
	ReasonUnhandledCritical = "unhandled_critical_extension"
	// ReasonPolicy is a chain no certificate policy is valid for (RFC 5280 6.1) where one must
	// be: a CA's policy constraints require an explicit policy.
	ReasonPolicy = "invalid_policy"
	ReasonOther  = "other"
)

// Verification is the verdict on a presented chain.
type Verification struct {
	Verified bool `json:"verified"`
	// Reason is a stable code when Verified is false; Error says it for people.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// HostnameOK is judged on its own, so a mismatch is reported even when the chain also fails.
	HostnameOK bool `json:"hostname_ok"`
	// Chain is the verified path, leaf first, as subjects.
	Chain []string `json:"verified_chain,omitempty"`
	// Chains are all the verified paths, when asked for (tlskit verify).
	Chains [][]Certificate `json:"chains,omitempty"`
	// Path is the first verified path, leaf first and root last, for revocation checking.
	Path []*x509.Certificate `json:"-"`
	// Malformed names the certificate Go could not parse, with reason "malformed".
	Malformed *Malformed `json:"malformed,omitempty"`
}

// VerifyOptions say what a chain is checked against.
type VerifyOptions struct {
	// Roots replaces the system roots when set.
	Roots *x509.CertPool
	// Intermediates are untrusted certificates that may complete a chain, besides those
	// presented after the leaf.
	Intermediates []*x509.Certificate
	// Host is the name or IP address the certificate must be valid for; empty skips the check.
	Host string
	Now  time.Time
	// KeyUsages the chain must allow; nil means TLS server authentication.
	KeyUsages []x509.ExtKeyUsage
	// AllChains asks for every chain that was built, not only the first.
	AllChains bool
	// PresentedBy names who presented the chain, in messages: "the server" when empty, "the
	// file" for tlskit verify.
	PresentedBy string
}

// VerifyChain checks a chain as a server presented it (leaf first): trust to a root, validity
// dates, the host name, and signature algorithms, and names the first reason it fails.
func VerifyChain(chain []*x509.Certificate, opts VerifyOptions) Verification {
	if len(chain) == 0 {
		return Verification{Reason: ReasonNoCertificate, Error: "the server sent no certificate"}
	}
	leaf := chain[0]
	v := Verification{HostnameOK: opts.Host == "" || leaf.VerifyHostname(opts.Host) == nil}

	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	for _, c := range opts.Intermediates {
		inter.AddCert(c)
	}
	usages := opts.KeyUsages
	if usages == nil {
		usages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	vo := x509.VerifyOptions{
		Roots:         opts.Roots,
		Intermediates: inter,
		CurrentTime:   opts.Now,
		KeyUsages:     usages,
	}
	if opts.Host != "" {
		vo.DNSName = opts.Host
	}
	chains, err := leaf.Verify(vo)
	if err == nil {
		v.Verified = true
		v.Path = chains[0]
		for _, c := range chains[0] {
			v.Chain = append(v.Chain, dn.Subject(c))
		}
		if opts.AllChains {
			for _, ch := range chains {
				var views []Certificate
				for _, c := range ch {
					views = append(views, Describe(c, opts.Now))
				}
				v.Chains = append(v.Chains, views)
			}
		}
		return v
	}
	v.Reason, v.Error = classify(err, chain, opts)
	return v
}

// classify turns Go's verification error into a reason code and a message that says exactly
// what is wrong, checking extensions, dates and algorithms first since Go reports those only
// indirectly (and OpenSSL, the reference, checks critical extensions before dates too).
func classify(err error, chain []*x509.Certificate, opts VerifyOptions) (string, string) {
	path := issuerPath(chain, opts.Intermediates)
	for i, c := range path {
		if len(c.UnhandledCriticalExtensions) > 0 {
			return ReasonUnhandledCritical, unhandledMessage(roleOf(i), c)
		}
	}
	if errors.As(err, new(x509.UnhandledCriticalExtension)) {
		// Not one of the certificates sent: a trusted root that would issue the last of them.
		return ReasonUnhandledCritical, fmt.Sprintf("the trusted root that issued %q has a critical extension Go does not handle, so it cannot be used",
			dn.Subject(path[len(path)-1]))
	}
	for i, c := range chain {
		role := roleOf(i)
		if opts.Now.After(c.NotAfter) {
			return ReasonExpired, fmt.Sprintf("%s %q expired %s (%d days ago)", role, dn.Subject(c),
				c.NotAfter.UTC().Format(time.RFC3339), -DaysLeft(c.NotAfter, opts.Now))
		}
		if opts.Now.Before(c.NotBefore) {
			return ReasonNotYetValid, fmt.Sprintf("%s %q is not valid until %s", role, dn.Subject(c),
				c.NotBefore.UTC().Format(time.RFC3339))
		}
	}
	for i, c := range chain {
		if isInsecureAlgorithm(c.SignatureAlgorithm) && !(i > 0 && isSelfSigned(c)) {
			return ReasonInsecureSignature, fmt.Sprintf("%s %q is signed with %s, which is no longer accepted",
				roleOf(i), dn.Subject(c), c.SignatureAlgorithm)
		}
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		leaf := chain[0]
		if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 && leaf.Subject.CommonName != "" {
			return ReasonCNWithoutSAN, fmt.Sprintf("the certificate names %q only in its subject CN, without subject alternative names, which clients no longer accept", leaf.Subject.CommonName)
		}
		return ReasonHostnameMismatch, fmt.Sprintf("the certificate is valid for %s, not %s", namesOf(leaf), opts.Host)
	}
	var uaErr x509.UnknownAuthorityError
	if errors.As(err, &uaErr) {
		return classifyUnknownAuthority(uaErr, chain, path, opts)
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		switch invalid.Reason {
		case x509.Expired:
			// A certificate not among those presented: a trusted root or an extra intermediate.
			if c := invalid.Cert; c != nil {
				if opts.Now.Before(c.NotBefore) {
					return ReasonNotYetValid, fmt.Sprintf("%q is not valid until %s", dn.Subject(c), c.NotBefore.UTC().Format(time.RFC3339))
				}
				return ReasonExpired, fmt.Sprintf("%q expired %s (%d days ago)", dn.Subject(c),
					c.NotAfter.UTC().Format(time.RFC3339), -DaysLeft(c.NotAfter, opts.Now))
			}
			return ReasonExpired, strings.TrimPrefix(err.Error(), "x509: ")
		case x509.TooManyIntermediates:
			return ReasonPathLength, "the chain is longer than a CA's path length constraint allows"
		case x509.NotAuthorizedToSign:
			return ReasonNotAuthorized, strings.TrimPrefix(err.Error(), "x509: ")
		case x509.IncompatibleUsage:
			if msg := usageFault(chain, opts.KeyUsages); msg != "" {
				return ReasonUsage, msg
			}
			return ReasonUsage, "a certificate in the chain does not allow this purpose (extended key usage): " + strings.TrimPrefix(err.Error(), "x509: ")
		case x509.CANotAuthorizedForThisName:
			return ReasonNameConstraints, strings.TrimPrefix(err.Error(), "x509: ")
		case x509.NoValidChains:
			// Go's only other cause of no valid chain, extended key usage, is IncompatibleUsage
			// when it is alone; with it, the details name both.
			return ReasonPolicy, policyFault(path, invalid.Detail)
		}
	}
	var algErr x509.InsecureAlgorithmError
	if errors.As(err, &algErr) {
		return ReasonInsecureSignature, strings.TrimPrefix(err.Error(), "x509: ")
	}
	return ReasonOther, otherFault(err, chain)
}

// policyFault names the certificates of the path whose policy constraints (or inhibit any
// policy) left no valid policy, and the leaf's policies, which are what a reissue changes.
func policyFault(path []*x509.Certificate, detail string) string {
	var constraining []string
	for i, c := range path {
		var what []string
		if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
			what = append(what, fmt.Sprintf("requires an explicit policy %s (policy constraints)", certsBelow(c.RequireExplicitPolicy)))
		}
		if c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero {
			what = append(what, fmt.Sprintf("inhibits policy mapping %s (policy constraints)", certsBelow(c.InhibitPolicyMapping)))
		}
		if c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero {
			what = append(what, fmt.Sprintf("does not accept anyPolicy %s (inhibit any policy)", certsBelow(c.InhibitAnyPolicy)))
		}
		if len(what) > 0 {
			constraining = append(constraining, fmt.Sprintf("%s %q (depth %d) %s", roleOf(i), dn.Subject(c), i, strings.Join(what, " and ")))
		}
	}
	msg := "no certificate policy is valid for the whole chain (RFC 5280 6.1)"
	if len(constraining) == 0 {
		msg += ": a trusted root's policy constraints require one"
	} else {
		msg += ": " + strings.Join(constraining, "; ")
	}
	leaf := path[0]
	if len(leaf.Policies) == 0 && len(leaf.PolicyIdentifiers) == 0 {
		msg += fmt.Sprintf(", and the certificate %q (depth 0) has no certificate policies", dn.Subject(leaf))
	} else {
		var oids []string
		for _, p := range leaf.Policies {
			oids = append(oids, p.String())
		}
		msg += fmt.Sprintf(", and none of the certificate policies of %q (depth 0), %s, is allowed by every CA above it", dn.Subject(leaf), strings.Join(oids, ", "))
	}
	if strings.Contains(detail, "key usage") {
		msg += " (other paths fail on extended key usage)"
	}
	return msg
}

// certsBelow says from where a policy constraint's skip count applies.
func certsBelow(skip int) string {
	if skip == 0 {
		return "from the next certificate on"
	}
	return fmt.Sprintf("after %d more certificates", skip)
}

// otherFault is Go's words for a failure tlskit has no code for, with the certificate it names
// (depth and subject) when it names one, so the user sees which certificate to look at.
func otherFault(err error, chain []*x509.Certificate) string {
	msg := strings.TrimPrefix(err.Error(), "x509: ")
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Cert == nil {
		return msg
	}
	c := invalid.Cert
	switch invalid.Reason {
	case x509.NameMismatch:
		msg = "its issuer name does not match the subject of the certificate that signed it (issuer field)"
	}
	for i, p := range chain {
		if p.Equal(c) {
			return fmt.Sprintf("%s %q (depth %d): %s", roleOf(i), dn.Subject(c), i, msg)
		}
	}
	return fmt.Sprintf("the certificate %q, not among those presented: %s", dn.Subject(c), msg)
}

// classifyUnknownAuthority says why no trusted root was reached, from where the path that the
// presented certificates (and --intermediates) make ends. The rule, which docs/json.md states:
//
//   - it ends at the leaf, which is self-signed: self_signed;
//   - it ends at another self-signed certificate, a root: unknown_authority, that root is not
//     trusted (OpenSSL: "self-signed certificate in certificate chain");
//   - a certificate of the issuer's name was presented, but its key did not sign: the wrong
//     certificate was sent for the issuer, incomplete_chain;
//   - it ends at a certificate that is not a CA (the leaf, whatever else was sent), whose issuer
//     was not presented and is not trusted: incomplete_chain. That issuer is a CA that must
//     either be sent (an intermediate: every public CA issues leaves from one) or be trusted
//     (a private root issuing leaves directly); the message says both;
//   - it ends at a CA certificate whose issuer was not presented and is not trusted:
//     unknown_authority. A server that sends its intermediates has sent what it should (a root
//     need not be sent), so the likelier fault is a root this machine does not trust; a second
//     missing intermediate looks the same, and the message says that too.
//
// OpenSSL says "unable to get local issuer certificate" in both of the last two cases: it does
// not guess, and tlskit's two codes are one code of OpenSSL's split by that judgement.
func classifyUnknownAuthority(uaErr x509.UnknownAuthorityError, chain, path []*x509.Certificate, opts VerifyOptions) (string, string) {
	who, sent := opts.PresentedBy, "include"
	if who == "" {
		who, sent = "the server", "send"
	}
	for i := 1; i < len(path); i++ {
		if err := path[i-1].CheckSignatureFrom(path[i]); err != nil {
			// Its key signed, but it may not sign certificates (OpenSSL: "invalid CA certificate").
			return ReasonNotAuthorized, fmt.Sprintf("%q is issued by %q, which is not allowed to issue certificates (%s)",
				dn.Subject(path[i-1]), dn.Subject(path[i]), strings.TrimPrefix(err.Error(), "x509: "))
		}
	}
	end := path[len(path)-1]
	subject, issuer := dn.Subject(end), dn.Issuer(end)
	switch {
	case len(path) == 1 && isSelfSigned(end):
		return ReasonSelfSigned, fmt.Sprintf("the certificate %q is self-signed and not trusted", subject)
	case isSelfSigned(end):
		return ReasonUnknownAuthority, fmt.Sprintf("the chain ends at the root %q, which is not trusted", subject)
	case namedIssuer(end, chain, opts.Intermediates):
		return ReasonIncompleteChain, fmt.Sprintf("%s did not %s the certificate that issued %q: the one named %q that it has is another (its key did not sign; an old or wrong intermediate)",
			who, sent, subject, issuer)
	case strings.Contains(uaErr.Error(), "while trying to verify candidate authority certificate"):
		// Go found a trusted certificate of that name, whose key did not sign.
		return ReasonUnknownAuthority, fmt.Sprintf("%q is issued by %q: a trusted root of that name exists, but its key did not sign the certificate",
			subject, issuer)
	case !end.IsCA:
		return ReasonIncompleteChain, fmt.Sprintf("the chain is incomplete: %s did not %s the certificate of %q's issuer %q, and it is not a trusted root",
			who, sent, subject, issuer)
	}
	return ReasonUnknownAuthority, fmt.Sprintf("the chain ends at %q, issued by %q, which is not a trusted root (nor did %s %s it, should it be an intermediate)",
		subject, issuer, who, sent)
}

// issuerPath follows issuers from the leaf through the other presented certificates and extra
// intermediates, in whatever order they came: each step is a certificate named as the previous
// one's issuer whose key made its signature (whether it may sign is judged by the caller). It
// stops at a self-signed certificate or where no issuer is at hand, and never visits a
// certificate twice. The leaf is always first.
func issuerPath(chain, extra []*x509.Certificate) []*x509.Certificate {
	pool := append(append([]*x509.Certificate{}, chain[1:]...), extra...)
	path := []*x509.Certificate{chain[0]}
	used := map[*x509.Certificate]bool{chain[0]: true}
	for cur := chain[0]; !isSelfSigned(cur); {
		var next *x509.Certificate
		for _, c := range pool {
			if !used[c] && signedBy(cur, c) {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		used[next] = true
		path = append(path, next)
		cur = next
	}
	return path
}

// signedBy reports whether parent is named as c's issuer and its key made c's signature.
func signedBy(c, parent *x509.Certificate) bool {
	return bytes.Equal(parent.RawSubject, c.RawIssuer) &&
		parent.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// namedIssuer reports whether a presented certificate has c's issuer as its subject but did not
// sign c.
func namedIssuer(c *x509.Certificate, chain, extra []*x509.Certificate) bool {
	for _, p := range append(append([]*x509.Certificate{}, chain...), extra...) {
		if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) && !signedBy(c, p) {
			return true
		}
	}
	return false
}

// unhandledMessage names a certificate's critical extensions that Go does not process, which
// RFC 5280 (4.2) says make the certificate unacceptable to a verifier that does not know them.
func unhandledMessage(role string, c *x509.Certificate) string {
	var oids []string
	for _, oid := range c.UnhandledCriticalExtensions {
		oids = append(oids, extensionLabel(oid.String()))
	}
	what := "the critical extension"
	if len(oids) > 1 {
		what = "the critical extensions"
	}
	return fmt.Sprintf("%s %q has %s %s, which Go does not handle (RFC 5280: a verifier must refuse a certificate with a critical extension it does not know)",
		role, dn.Subject(c), what, strings.Join(oids, ", "))
}

// usageFault names the first certificate of the chain whose extended key usage allows none of
// wanted (TLS server authentication when nil), and what it does allow: depth, subject and
// field, so the user sees which certificate to reissue.
func usageFault(chain []*x509.Certificate, wanted []x509.ExtKeyUsage) string {
	if len(wanted) == 0 {
		wanted = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for i, c := range chain {
		if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
			continue // no extension: every usage
		}
		if slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny) || slices.ContainsFunc(wanted, func(u x509.ExtKeyUsage) bool {
			return u == x509.ExtKeyUsageAny || slices.Contains(c.ExtKeyUsage, u)
		}) {
			continue
		}
		return fmt.Sprintf("%s %q (depth %d) allows only %s in its extended key usage, not %s", roleOf(i), dn.Subject(c), i,
			strings.Join(extKeyUsageNames(c.ExtKeyUsage, c.UnknownExtKeyUsage), ", "), strings.Join(extKeyUsageNames(wanted, nil), " or "))
	}
	return ""
}

func roleOf(i int) string {
	if i == 0 {
		return "the certificate"
	}
	return "the CA certificate"
}

func isInsecureAlgorithm(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func namesOf(c *x509.Certificate) string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no names"
	}
	return strings.Join(names, ", ")
}

// ApplyRevocation folds a revocation report into a verdict: a revoked certificate fails the
// chain (reason revoked), and so does an undetermined status when hardFail asks for proof
// (reason revocation_unknown). A chain that already failed keeps its first reason.
func ApplyRevocation(v *Verification, rep revocation.Report, hardFail bool) {
	if !v.Verified {
		return
	}
	switch {
	case rep.Status == revocation.StatusRevoked:
		v.Verified, v.Reason, v.Error = false, ReasonRevoked, rep.Error
	case hardFail && !rep.Proven:
		v.Verified, v.Reason = false, ReasonRevocationUnknown
		v.Error = rep.Error
		if rep.Status != revocation.StatusUnknown {
			v.Error = fmt.Sprintf("%s not proven unrevoked (revocation mode %s)", uncheckedList(rep), rep.Mode)
		}
	}
}

// uncheckedList names the certificates a report could not prove good, by their place.
func uncheckedList(rep revocation.Report) string {
	var places []string
	for _, i := range rep.Unproven() {
		places = append(places, fmt.Sprint(i))
	}
	if len(places) == 0 {
		return "the chain is"
	}
	if len(places) == 1 {
		return "certificate " + places[0] + " of the chain (0 is the leaf) is"
	}
	return "certificates " + strings.Join(places, ", ") + " of the chain (0 is the leaf) are"
}

// AttachRevocation puts each certificate's status on its view, matching the checked path to
// the certificates shown (which may lack the root, or hold extra certificates).
func AttachRevocation(views []Certificate, shown []*x509.Certificate, rep revocation.Report, path []*x509.Certificate) {
	for i, c := range shown {
		if i >= len(views) {
			return
		}
		for j, p := range path {
			if j < len(rep.Certificates) && bytes.Equal(p.Raw, c.Raw) {
				st := rep.Certificates[j]
				views[i].Revocation = &st
			}
		}
	}
}
