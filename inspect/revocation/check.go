package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Mode says where revocation is looked up.
type Mode string

// The modes of --revocation.
const (
	// ModeStaple judges a stapled OCSP response when there is one, with no network.
	ModeStaple Mode = "staple"
	// ModeCRL fetches each certificate's CRL from its distribution point.
	ModeCRL Mode = "crl"
	// ModeOCSP asks each certificate's OCSP responder (a valid staple answers for the leaf).
	ModeOCSP Mode = "ocsp"
	// ModeAuto uses a valid staple for the leaf, else the CRL, and OCSP for a certificate
	// without a CRL distribution point or whose CRL could not be judged.
	ModeAuto Mode = "auto"
	// ModeOff checks nothing.
	ModeOff Mode = "off"
)

// Modes lists the modes in the order --help shows them.
var Modes = []Mode{ModeStaple, ModeCRL, ModeOCSP, ModeAuto, ModeOff}

// ParseMode reads a --revocation value.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	names := make([]string, len(Modes))
	for i, m := range Modes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown revocation mode %q (choose %s)", s, strings.Join(names, ", "))
}

// Sources of a verdict.
const (
	SourceStaple = "staple"
	SourceCRL    = "crl"
	SourceOCSP   = "ocsp"
)

// CertStatus is one certificate's revocation status: `revocation` in each chain certificate of
// the JSON documents.
type CertStatus struct {
	// Status is good, revoked, unknown (Error says why) or not_checked (a root, or a
	// certificate the mode does not cover).
	Status string `json:"status"`
	// Source is where the verdict came from: staple, crl or ocsp.
	Source string `json:"source,omitempty"`
	// URL is the CRL distribution point or OCSP responder asked ("" for a staple or a local CRL).
	URL string `json:"url,omitempty"`
	// File is the local CRL (--crl) that gave the verdict.
	File             string     `json:"file,omitempty"`
	ThisUpdate       *time.Time `json:"this_update,omitempty"`
	NextUpdate       *time.Time `json:"next_update,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevocationReason string     `json:"revocation_reason,omitempty"`
	Error            string     `json:"error,omitempty"`

	root bool // a self-issued root, which nobody can revoke
}

// Report is the revocation verdict on a chain: `revocation` in the JSON documents.
type Report struct {
	Mode Mode `json:"mode"`
	// Status is good (every checked certificate is good), revoked (any is), unknown (any
	// could not be determined), not_checked (nothing could be looked up: staple mode with no
	// staple) or off.
	Status string `json:"status"`
	// Source lists the sources used, comma-separated, in chain order.
	Source string `json:"source,omitempty"`
	// Error says, for revoked or unknown, which certificate and why.
	Error string `json:"error,omitempty"`
	// Certificates are the statuses, one per certificate of the chain checked, leaf first.
	Certificates []CertStatus `json:"-"`
	// Proven is set when every certificate but the root is good: what a hard-fail check asks.
	// Status can be good with some certificates not checked (staple mode judges only the leaf).
	Proven bool `json:"-"`
	// Staple is the leaf's stapled OCSP response as judged, in every mode (off included: what
	// a server staples is a fact about it), nil without one.
	Staple *OCSPResult `json:"-"`
}

// LocalCRL is a CRL read from a file (--crl).
type LocalCRL struct {
	File string
	CRL  *CRL
}

// Options say how Check looks revocation up.
type Options struct {
	Mode Mode
	// CRLs are local CRLs, consulted before any network in every mode but off.
	CRLs []LocalCRL
	// Fetcher does the network lookups; without one, modes that need the network report
	// unknown.
	Fetcher *Fetcher
	Now     time.Time
	// PathVerified says the chain given to Check is a verified path: each certificate's issuer
	// is the next one, whose signature on it was checked already. Otherwise every issuer is
	// found by name and signature.
	PathVerified bool
}

// Check judges the revocation of every certificate of chain but a root. chain is leaf first and
// should be the verified path (so each certificate's issuer follows it); where a certificate's
// issuer does not follow it, extra (more certificates: roots, intermediates) is searched.
// staple is the leaf's stapled OCSP response, if any. The context bounds the network lookups,
// which run concurrently; a lookup that fails leaves its certificate unknown.
func Check(ctx context.Context, chain []*x509.Certificate, extra []*x509.Certificate, staple []byte, opts Options) Report {
	rep := Report{Mode: opts.Mode}
	if opts.Mode == "" {
		rep.Mode = ModeStaple
	}
	issuers := make([]func() *x509.Certificate, len(chain))
	for i, c := range chain {
		// The issuer is found only when a lookup needs it: finding it checks a signature.
		issuers[i] = sync.OnceValue(func() *x509.Certificate {
			if opts.PathVerified && i+1 < len(chain) {
				return chain[i+1]
			}
			return findIssuer(c, chain[i+1:], extra)
		})
	}
	if len(staple) > 0 && len(chain) > 0 {
		st := JudgeOCSP(staple, chain[0], issuers[0](), opts.Now)
		rep.Staple = &st
	}
	if rep.Mode == ModeOff {
		rep.Status = StatusOff
		return rep
	}
	rep.Certificates = make([]CertStatus, len(chain))
	// Lookups that need the network run side by side; the rest are quick, and run here.
	parallel := rep.Mode != ModeStaple && opts.Fetcher != nil
	var wg sync.WaitGroup
	for i, c := range chain {
		if isSelfIssued(c) {
			rep.Certificates[i] = CertStatus{Status: StatusNotChecked, root: true}
			continue
		}
		var leafStaple *OCSPResult
		if i == 0 {
			leafStaple = rep.Staple
		}
		one := func() { rep.Certificates[i] = checkOne(ctx, c, issuers[i], leafStaple, i == 0, rep.Mode, opts) }
		if !parallel {
			one()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			one()
		}()
	}
	wg.Wait()
	summarise(&rep, chain)
	return rep
}

// Unproven lists the places in the chain (0 is the leaf) of the certificates, roots aside, whose
// status is not good.
func (r Report) Unproven() []int {
	var out []int
	for i, st := range r.Certificates {
		if !st.root && st.Status != StatusGood {
			out = append(out, i)
		}
	}
	return out
}

func summarise(rep *Report, chain []*x509.Certificate) {
	rep.Status = StatusNotChecked
	rep.Proven = len(rep.Unproven()) == 0
	var sources []string
	for i, st := range rep.Certificates {
		if st.Source != "" && (len(sources) == 0 || sources[len(sources)-1] != st.Source) {
			sources = append(sources, st.Source)
		}
		who := fmt.Sprintf("%q", dn.Subject(chain[i]))
		switch st.Status {
		case StatusRevoked:
			if rep.Status != StatusRevoked {
				rep.Status = StatusRevoked
				rep.Error = who + " is revoked" + revokedDetail(st)
			}
		case StatusUnknown:
			if rep.Status != StatusRevoked && rep.Status != StatusUnknown {
				rep.Status = StatusUnknown
				rep.Error = "the revocation status of " + who + " is unknown: " + st.Error
			}
		case StatusGood:
			if rep.Status == StatusNotChecked {
				rep.Status = StatusGood
			}
		}
	}
	rep.Source = strings.Join(sources, ",")
}

func revokedDetail(st CertStatus) string {
	s := ""
	if st.RevokedAt != nil {
		s += " since " + st.RevokedAt.Format(time.RFC3339)
	}
	if st.RevocationReason != "" {
		s += " (" + st.RevocationReason + ")"
	}
	switch st.Source {
	case SourceStaple:
		s += ", says the stapled OCSP response"
	case SourceOCSP:
		s += ", says the OCSP responder " + st.URL
	case SourceCRL:
		if st.File != "" {
			s += ", says the CRL " + st.File
		} else {
			s += ", says the CRL " + st.URL
		}
	}
	return s
}

// checkOne looks one certificate up in the order its mode says, stopping at the first verdict.
func checkOne(ctx context.Context, c *x509.Certificate, issuerOf func() *x509.Certificate, staple *OCSPResult, leaf bool, mode Mode, opts Options) CertStatus {
	var why []string
	var last CertStatus // the last source tried, which an unknown verdict names
	try := func(st CertStatus) (CertStatus, bool) {
		if st.Status == StatusGood || st.Status == StatusRevoked {
			return st, true
		}
		last = st
		if st.Error != "" {
			why = append(why, st.Error)
		}
		return st, false
	}
	// A valid staple is the freshest word there is, and costs nothing to judge.
	if staple != nil {
		if st, ok := try(fromOCSP(*staple, SourceStaple, "", "the stapled OCSP response")); ok {
			return st
		}
	} else if leaf && mode == ModeStaple && len(opts.CRLs) == 0 {
		return CertStatus{Status: StatusNotChecked, Error: "no OCSP response was stapled"}
	}
	if local, ok := localCRL(c, issuerOf, opts); ok {
		if st, ok := try(local); ok {
			return st
		}
	}
	useCRL := mode == ModeCRL || mode == ModeAuto
	useOCSP := mode == ModeOCSP || mode == ModeAuto
	if useCRL && opts.Fetcher != nil {
		if len(c.CRLDistributionPoints) == 0 {
			if mode == ModeCRL {
				why = append(why, "it names no CRL distribution point")
			}
		}
		for _, u := range c.CRLDistributionPoints {
			if st, ok := try(fetchCRL(ctx, u, c, issuerOf(), opts)); ok {
				return st
			}
		}
	}
	if useOCSP && opts.Fetcher != nil {
		if len(c.OCSPServer) == 0 && mode == ModeOCSP {
			why = append(why, "it names no OCSP responder")
		}
		for _, u := range c.OCSPServer {
			if st, ok := try(fetchOCSP(ctx, u, c, issuerOf(), opts)); ok {
				return st
			}
		}
		if mode == ModeAuto && len(c.CRLDistributionPoints) == 0 && len(c.OCSPServer) == 0 {
			why = append(why, "it names neither a CRL distribution point nor an OCSP responder")
		}
	}
	switch {
	case len(why) > 0:
		return CertStatus{Status: StatusUnknown, Source: last.Source, URL: last.URL, File: last.File, Error: strings.Join(why, "; ")}
	case mode == ModeStaple:
		return CertStatus{Status: StatusNotChecked}
	case opts.Fetcher == nil:
		return CertStatus{Status: StatusUnknown, Error: "no network lookups were allowed"}
	}
	return CertStatus{Status: StatusUnknown, Error: "nothing could be looked up"}
}

func fromOCSP(r OCSPResult, source, url, what string) CertStatus {
	st := CertStatus{Source: source, URL: url, ThisUpdate: r.ThisUpdate, NextUpdate: r.NextUpdate,
		RevokedAt: r.RevokedAt, RevocationReason: r.RevocationReason}
	switch r.Status {
	case StatusGood, StatusRevoked:
		st.Status = r.Status
	case StatusUnknown:
		st.Status = StatusUnknown
		st.Error = what + " says the responder does not know this certificate"
	default:
		st.Status = StatusUnknown
		st.Error = what + " is invalid: " + r.Error
	}
	return st
}

func fromCRL(r CRLResult, url, file, what string) CertStatus {
	st := CertStatus{Source: SourceCRL, URL: url, File: file, ThisUpdate: r.ThisUpdate, NextUpdate: r.NextUpdate,
		RevokedAt: r.RevokedAt, RevocationReason: r.RevocationReason}
	if r.Status == StatusGood || r.Status == StatusRevoked {
		st.Status = r.Status
		return st
	}
	st.Status = StatusUnknown
	st.Error = what + " cannot be used: " + r.Error
	return st
}

// localCRL judges the certificate against the --crl files from its issuer. Of those that can
// be used, the newest (latest thisUpdate) speaks: an older CRL that is still current may not
// list a revocation a newer one does. When none can be used, the first one's reason is given.
func localCRL(c *x509.Certificate, issuerOf func() *x509.Certificate, opts Options) (CertStatus, bool) {
	var best, first *CertStatus
	var bestTime time.Time
	for _, l := range opts.CRLs {
		if !bytes.Equal(l.CRL.Header.RawIssuer, c.RawIssuer) {
			continue
		}
		st := fromCRL(JudgeCRL(l.CRL, c, issuerOf(), opts.Now), "", l.File, "the CRL "+l.File)
		if st.Status == StatusUnknown {
			if first == nil {
				first = &st
			}
			continue
		}
		if best == nil || l.CRL.Header.ThisUpdate.After(bestTime) {
			best, bestTime = &st, l.CRL.Header.ThisUpdate
		}
	}
	switch {
	case best != nil:
		return *best, true
	case first != nil:
		return *first, true
	}
	return CertStatus{}, false
}

func fetchCRL(ctx context.Context, u string, c, issuer *x509.Certificate, opts Options) CertStatus {
	crl, err := opts.Fetcher.CRL(ctx, u)
	if err != nil {
		return CertStatus{Status: StatusUnknown, Source: SourceCRL, URL: u, Error: "the CRL could not be fetched: " + err.Error()}
	}
	return fromCRL(JudgeCRL(crl, c, issuer, opts.Now), u, "", "the CRL at "+u)
}

func fetchOCSP(ctx context.Context, u string, c, issuer *x509.Certificate, opts Options) CertStatus {
	if issuer == nil {
		return CertStatus{Status: StatusUnknown, Source: SourceOCSP, URL: u, Error: "the OCSP responder cannot be asked: the issuer's certificate was neither sent nor trusted"}
	}
	// SHA-1 CertIDs are what every responder answers (RFC 5019 §2.1.1).
	req, err := ocsp.CreateRequest(c, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return CertStatus{Status: StatusUnknown, Source: SourceOCSP, URL: u, Error: "no OCSP request could be made: " + err.Error()}
	}
	der, err := opts.Fetcher.OCSP(ctx, u, req)
	if err != nil {
		return CertStatus{Status: StatusUnknown, Source: SourceOCSP, URL: u, Error: "the OCSP responder could not be asked: " + err.Error()}
	}
	return fromOCSP(JudgeOCSP(der, c, issuer, opts.Now), SourceOCSP, u, "the response of "+u)
}

// findIssuer picks the certificate that issued c: the next one in the path, else any of extra
// whose subject is c's issuer and whose key verifies c's signature.
func findIssuer(c *x509.Certificate, rest, extra []*x509.Certificate) *x509.Certificate {
	for _, group := range [][]*x509.Certificate{rest, extra} {
		for _, cand := range group {
			if bytes.Equal(cand.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(cand) == nil {
				return cand
			}
		}
	}
	return nil
}

// isSelfIssued reports a root: a certificate that names itself as its issuer (RFC 5280's
// "self-issued"). Nobody can revoke a root; clients simply stop trusting it. The name is enough:
// checking the self-signature would cost every handshake a signature verification (about
// 0.8 M instructions for ECDSA P-256, 12% of a whole `tlskit handshake`) to learn only whether
// this is a key-rollover certificate, which is still the CA revoking itself.
func isSelfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer)
}
