package cmd

import (
	"crypto"
	"errors"
	"fmt"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/inspect/material"
)

// certOutput is what a certificate command made (cert selfsign, issue, sign and csr, ca
// create): the files it writes, all or nothing, and the PEM it prints instead of a file with
// --out -. Each command assembles one and hands it to emit, so every one of them refuses, writes
// and reports in the same order and words.
type certOutput struct {
	files []certgen.OutputFile
	// pem goes to stdout once the files are written (--out -); what names it in a write error.
	pem  []byte
	what string
	// existsHint is the next step when a file exists and --force was not given.
	existsHint string
}

// newCertOutput starts the output of a certificate (kind "certificate") or request ("csr"): its
// file at path, or PEM on stdout with --out -.
func (o *outputOptions) newCertOutput(kind, path string, data []byte) *certOutput {
	m := &certOutput{what: kind, existsHint: "choose another --out/--key-out, or add --force to replace it"}
	if kind == "csr" {
		m.what = "request"
	}
	if o.out == "-" {
		m.pem = data
	} else {
		m.files = append(m.files, certgen.OutputFile{Path: path, Data: data, Mode: 0o644, Kind: kind})
	}
	return m
}

// addKey adds a new private key, written 0600 and encrypted when password is not nil.
func (m *certOutput) addKey(a *app, key crypto.Signer, path string, password []byte) error {
	keyPEM, err := material.EncodePrivateKeyPEM(a.random, key, password, a.kdfIterations)
	if err != nil {
		return err
	}
	m.files = append(m.files, certgen.OutputFile{Path: path, Data: keyPEM, Mode: 0o600, Kind: "private key"})
	return nil
}

// write writes the files, all or nothing (a file that exists without --force gets the hint),
// then the PEM to stdout.
func (m *certOutput) write(a *app, force bool) error {
	if len(m.files) > 0 {
		if err := certgen.WriteFiles(m.files, force); err != nil {
			var ee *certgen.ExistsError
			if errors.As(err, &ee) {
				return withHint(err, m.existsHint)
			}
			return err
		}
	}
	if m.pem != nil {
		if _, err := a.streams.Out.Write(m.pem); err != nil {
			return fmt.Errorf("writing %s: %w", m.what, err)
		}
	}
	return nil
}

// report prints the summary of what was written, with the warnings of the making: on stdout,
// or on stderr when stdout carried the PEM.
func (m *certOutput) report(a *app, s certgen.Summary, warnings []certgen.Warning) error {
	s.Record(m.files)
	for _, w := range warnings {
		if w != "" {
			s.Warnings = append(s.Warnings, string(w))
		}
	}
	return a.reportSummary(s, m.pem != nil)
}

// emit writes the files and PEM, then reports them.
func (m *certOutput) emit(a *app, force bool, s certgen.Summary, warnings []certgen.Warning) error {
	if err := m.write(a, force); err != nil {
		return err
	}
	return m.report(a, s, warnings)
}
