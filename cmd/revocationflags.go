package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// revocationFlags are the revocation choices handshake, verify and scan share.
type revocationFlags struct {
	mode     string
	crls     []string
	hardFail bool
}

func (f *revocationFlags) register(fs *pflag.FlagSet, defaultMode revocation.Mode) {
	fs.StringVar(&f.mode, "revocation", string(defaultMode),
		"where to look revocation up: staple (judge a stapled OCSP response, no network), crl (fetch each certificate's CRL), "+
			"ocsp (ask its OCSP responder), auto (CRL, else OCSP) or off")
	fs.StringArrayVar(&f.crls, "crl", nil, "check against the CRLs in this file (DER, or PEM with any number of CRLs; repeatable), with no network")
	fs.BoolVar(&f.hardFail, "revocation-hard-fail", false, "exit 3 unless every certificate's revocation status is proven good (default: an unknown status is a warning)")
}

// revocationPlan is the parsed choice, shared by every target of a run: one Fetcher, so a CRL
// that several chains need is fetched once.
type revocationPlan struct {
	opts     revocation.Options
	hardFail bool
}

func (f *revocationFlags) build(timeout time.Duration) (revocationPlan, error) {
	mode, err := revocation.ParseMode(f.mode)
	if err != nil {
		return revocationPlan{}, usageErrorf("--revocation: %v", err)
	}
	p := revocationPlan{opts: revocation.Options{Mode: mode}, hardFail: f.hardFail}
	if mode == revocation.ModeOff && len(f.crls) > 0 {
		return p, usageErrorf("--crl and --revocation off contradict each other")
	}
	if mode == revocation.ModeOff && f.hardFail {
		return p, usageErrorf("--revocation-hard-fail and --revocation off contradict each other")
	}
	for _, file := range f.crls {
		data, err := readInputFile(file, revocation.DefaultMaxCRLBytes)
		if err != nil {
			return p, fmt.Errorf("--crl: %w", err)
		}
		crls, err := revocation.ParseCRLs(data)
		if err != nil {
			return p, fmt.Errorf("--crl %s: %w", file, err)
		}
		for _, crl := range crls {
			p.opts.CRLs = append(p.opts.CRLs, revocation.LocalCRL{File: file, CRL: crl})
		}
	}
	switch mode {
	case revocation.ModeCRL, revocation.ModeOCSP, revocation.ModeAuto:
		p.opts.Fetcher = revocation.NewFetcher(revocation.FetcherOptions{Timeout: timeout})
	}
	return p, nil
}

// warnRevocation tells on stderr that a revocation status could not be determined, unless
// that fails the run anyway (then it is the error).
func (a *app) warnRevocation(target string, rep *revocation.Report, hardFail bool) {
	if rep == nil || rep.Status != revocation.StatusUnknown || hardFail {
		return
	}
	a.warnf("%s: %s", target, rep.Error)
}

// describeRevocation is one certificate's revocation line: "good (CRL http://..., updated 2 h
// ago, next update in 6 days)".
func describeRevocation(st *revocation.CertStatus, now time.Time) string {
	switch st.Status {
	case revocation.StatusNotChecked:
		return "not checked"
	case revocation.StatusUnknown:
		return "unknown: " + st.Error
	}
	var from string
	switch st.Source {
	case revocation.SourceStaple:
		from = "stapled OCSP response"
	case revocation.SourceOCSP:
		from = "OCSP " + st.URL
	case revocation.SourceCRL:
		from = "CRL " + st.URL
		if st.File != "" {
			from = "CRL " + st.File
		}
	}
	parts := []string{from}
	if st.ThisUpdate != nil {
		parts = append(parts, "updated "+relativeTime(st.ThisUpdate.Sub(now)))
	}
	if st.NextUpdate != nil {
		parts = append(parts, "next update "+relativeTime(st.NextUpdate.Sub(now)))
	}
	if st.Status == revocation.StatusRevoked {
		s := "REVOKED"
		if st.RevokedAt != nil {
			s += " since " + st.RevokedAt.Format(time.RFC3339)
		}
		if st.RevocationReason != "" {
			s += ", " + st.RevocationReason
		}
		return s + " (" + strings.Join(parts, ", ") + ")"
	}
	return st.Status + " (" + strings.Join(parts, ", ") + ")"
}

// describeRevocationReport is the chain's revocation line.
func describeRevocationReport(rep *revocation.Report) string {
	switch rep.Status {
	case revocation.StatusOff:
		return "off (not checked)"
	case revocation.StatusNotChecked:
		why := ""
		if len(rep.Certificates) > 0 && rep.Certificates[0].Error != "" {
			why = ": " + rep.Certificates[0].Error
		}
		return "not checked" + why + " (--revocation auto looks it up)"
	case revocation.StatusGood:
		return "good (" + strings.ReplaceAll(rep.Source, ",", ", ") + ")"
	case revocation.StatusRevoked:
		return "REVOKED: " + rep.Error
	}
	return rep.Status + ": " + rep.Error
}

// relativeTime says a duration the way people do: "in 6 days", "2 h ago", "in 40 min".
func relativeTime(d time.Duration) string {
	ago := d < 0
	if ago {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%d h", int(d/time.Hour))
	default:
		s = fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
	if ago {
		return s + " ago"
	}
	return "in " + s
}

// revocationColour colours a revocation or OCSP status.
func revocationColour(p palette, status string) func(string) string {
	switch status {
	case revocation.StatusGood:
		return p.Good
	case revocation.StatusRevoked, revocation.StatusInvalid:
		return p.Bad
	case revocation.StatusUnknown:
		return p.Warn
	}
	return func(s string) string { return s }
}
