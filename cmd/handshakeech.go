package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

// buildECH checks the ECH flags: a given config is read and parsed once, here, so a malformed
// one is a usage error before any connection; auto leaves the lookup to each target.
func (o *handshakeOptions) buildECH(p *handshakePlan) error {
	if o.ech == "" {
		switch {
		case o.echRetry:
			return usageErrorf("--ech-retry needs --ech")
		case o.dnsServer != "":
			return usageErrorf("--dns-server needs --ech auto")
		}
		return nil
	}
	if p.base.MaxVersion != 0 && p.base.MaxVersion < 0x0304 {
		return usageErrorf("--ech needs TLS 1.3, which --tls-max leaves out")
	}
	if o.starttls != "" && o.starttls != "none" {
		return usageErrorf("--ech and --starttls cannot be combined: ECH is for TLS from the first byte")
	}
	p.base.ECHRetry = o.echRetry
	if o.ech == "auto" {
		p.echAuto = true
		p.echDNS = ech.LookupOptions{Server: o.dnsServer}
		if o.dnsServer != "" {
			if _, err := connect.ParseTarget(o.dnsServer, 53); err != nil {
				return usageErrorf("--dns-server: %v", err)
			}
		}
		return nil
	}
	if o.dnsServer != "" {
		return usageErrorf("--dns-server is for --ech auto; --ech was given a config")
	}
	// @FILE is read as every input file is (bounded, a directory refused); one that cannot be
	// read is exit 1, as for every file flag, and what it holds being no config is exit 2.
	var readErr error
	list, err := ech.ParseConfigArg(o.ech, func(name string) ([]byte, error) {
		data, err := readInputFile(name, maxPEMFile)
		readErr = err
		return data, err
	})
	if readErr != nil {
		return fmt.Errorf("--ech: %w", readErr)
	}
	if err == nil {
		err = ech.Usable(list)
	}
	if err != nil {
		return usageErrorf("--ech: %v", err)
	}
	p.base.ECHConfigList = list
	return nil
}

// lookupECH finds a target's ECH config in DNS, within the run's timeout.
func lookupECH(ctx context.Context, t connect.Target, opts handshake.Options, dns ech.LookupOptions) (*ech.HTTPSRecord, error) {
	host := t.ServerName()
	if opts.ServerName != "" {
		host = opts.ServerName
	}
	if host == "" {
		return nil, usageErrorf("--ech auto needs a host name to look up, not the address %s", t.Host)
	}
	dns.Timeout = opts.Timeout
	rec, err := ech.LookupECH(ctx, host, t.Port, dns)
	if err != nil {
		var none *ech.NoECHError
		if errors.As(err, &none) {
			return nil, withHint(fmt.Errorf("--ech auto: %w", err), "give the config itself with --ech BASE64 or --ech @FILE")
		}
		return nil, fmt.Errorf("--ech auto: %w", err)
	}
	if err := ech.Usable(rec.ConfigList); err != nil {
		return nil, fmt.Errorf("--ech auto: the HTTPS record of %s: %w", rec.Name, err)
	}
	return rec, nil
}

// echEndpoint is where an HTTPS record says the service of t is: its TargetName ("." for the
// owner itself) and port parameter; moved says it is not t itself.
func echEndpoint(t connect.Target, rec *ech.HTTPSRecord) (connect.Target, bool) {
	to := connect.Target{Host: t.Host, Port: t.Port}
	if target := strings.TrimSuffix(rec.Target, "."); target != "" && !strings.EqualFold(target, t.Host) {
		to.Host = target
	}
	if rec.Port != 0 {
		to.Port = int(rec.Port)
	}
	return to, to.Host != t.Host || to.Port != t.Port
}
