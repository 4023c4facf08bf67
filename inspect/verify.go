package inspect

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/dn"
	"github.com/tlskit/tlskit/inspect/revocation"
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
	ReasonOther             = "other"
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
// what is wrong, checking dates and algorithms first since Go reports those only indirectly.
func classify(err error, chain []*x509.Certificate, opts VerifyOptions) (string, string) {
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
		leaf := chain[0]
		switch {
		case len(chain) == 1 && isSelfSigned(leaf):
			return ReasonSelfSigned, fmt.Sprintf("the certificate %q is self-signed and not trusted", leaf.Subject.String())
		case isIncomplete(chain):
			return ReasonIncompleteChain, fmt.Sprintf("the server did not send the intermediate that issued %q (issuer %q): the chain is incomplete",
				chain[len(chain)-1].Subject.String(), chain[len(chain)-1].Issuer.String())
		default:
			top := chain[len(chain)-1]
			return ReasonUnknownAuthority, fmt.Sprintf("the chain ends at %q, issued by %q, which is not a trusted root", top.Subject.String(), top.Issuer.String())
		}
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
			return ReasonUsage, "a certificate in the chain does not allow this purpose (extended key usage): " + strings.TrimPrefix(err.Error(), "x509: ")
		case x509.CANotAuthorizedForThisName:
			return ReasonNameConstraints, strings.TrimPrefix(err.Error(), "x509: ")
		}
	}
	var algErr x509.InsecureAlgorithmError
	if errors.As(err, &algErr) {
		return ReasonInsecureSignature, strings.TrimPrefix(err.Error(), "x509: ")
	}
	return ReasonOther, strings.TrimPrefix(err.Error(), "x509: ")
}

func roleOf(i int) string {
	if i == 0 {
		return "the certificate"
	}
	return "the CA certificate"
}

// isIncomplete guesses whether an untrusted chain lacks an intermediate rather than a trusted
// root. The chain cannot say which is missing, so it judges by what the server sent last: a
// leaf whose issuer was not sent but is published (AIA caIssuers, as every public CA's leaf has)
// points to a missing intermediate; a chain ending in a CA certificate reached as far as servers
// go, so what is missing is trust in its root.
func isIncomplete(chain []*x509.Certificate) bool {
	last := chain[len(chain)-1]
	if last.IsCA || isSelfSigned(last) {
		return false
	}
	for _, c := range chain {
		if c != last && bytes.Equal(c.RawSubject, last.RawIssuer) {
			return false
		}
	}
	return len(last.IssuingCertificateURL) > 0
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
	case hardFail && rep.Status != revocation.StatusGood:
		v.Verified, v.Reason = false, ReasonRevocationUnknown
		v.Error = rep.Error
		if rep.Status == revocation.StatusNotChecked || rep.Status == revocation.StatusOff {
			v.Error = "no certificate's revocation status could be looked up (revocation mode " + string(rep.Mode) + ")"
		}
	}
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
