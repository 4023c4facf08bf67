package cmd

import (
	"crypto/tls"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/certgen/acmeclient"
	"github.com/tlskit/tlskit/certgen/truststore"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/scan"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// flagValues are the values a flag takes, for shell completion, by flag name: the same names
// mean the same thing on every command (a test holds each list to what the flag accepts).
func flagValues(c *cobra.Command, name string) ([]string, bool) {
	switch name {
	case "output":
		return strings.Split(c.Annotations[outputAnnotation], ","), true
	case "key-type":
		var out []string
		for _, k := range certgen.KeyTypes {
			out = append(out, string(k))
		}
		return out, true
	case "starttls":
		return append([]string{"none"}, connect.StartTLSProtocols...), true
	case "tls-min", "tls-max":
		return []string{"1.0", "1.1", "1.2", "1.3"}, true
	case "groups":
		return []string{"x25519mlkem768", "x25519", "p256", "p384", "p521"}, true
	case "ciphers":
		var out []string
		for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
			if cs, ok := wire.CipherSuiteByID(s.ID); ok && !cs.TLS13 {
				out = append(out, cs.Name)
				if cs.OpenSSLName != "" {
					out = append(out, cs.OpenSSLName)
				}
			}
		}
		return out, true
	case "purpose":
		return []string{"server", "client", "any"}, true
	case "fail-on":
		return []string{"info", "low", "medium", "high", "none"}, true
	case "checks":
		return append(scan.CheckNames(), "all", "none"), true
	case "client-auth":
		return []string{"none", "request", "require"}, true
	case "revocation":
		return []string{"staple", "crl", "ocsp", "auto", "off"}, true
	case "reason":
		return certgen.ReasonNames(), true
	case "store":
		return truststore.Names, true
	case "challenge":
		return []string{acmeclient.HTTP01, acmeclient.TLSALPN01, acmeclient.DNS01}, true
	case "server":
		names := make([]string, 0, len(acmeclient.Directories))
		for n := range acmeclient.Directories {
			names = append(names, n)
		}
		sort.Strings(names)
		return names, true
	}
	return nil, false
}

// directoryFlags take a directory; fileFlags a file (so does any flag named *-file); freeText
// flags a name, number, duration or address, which complete to nothing rather than to the
// files of the working directory. TestEveryFlagCompletes holds every flag to one of them.
var (
	freeText = map[string]bool{
		"addr": true, "alpn": true, "at": true, "cn": true, "org": true, "subject": true, "sni": true, "host": true,
		"concurrency": true, "connect-to": true, "crl-url": true, "ocsp-url": true, "days": true, "drain": true,
		"handshake-timeout": true, "idle-timeout": true, "proxy-timeout": true, "read-header-timeout": true, "timeout": true,
		"max-conns": true, "max-header-bytes": true, "name-constraint": true, "parallel": true, "path-len": true,
		"proxy": true, "rate": true, "warn-days": true, "eab-kid": true, "email": true, "http-port": true, "profile": true,
		"tls-port": true, "http-address": true, "dns-hook": true, "dns-resolver": true, "dns-wait": true, "dns-hook-timeout": true,
		"ech-public-name": true, "dns-server": true, "ech": true,
	}
	directoryFlags = map[string]bool{"dir": true, "ca-dir": true, "parent-dir": true, "webroot": true}
	fileFlags      = map[string]bool{
		"ca": true, "cert": true, "key": true, "out": true, "key-out": true, "p12": true, "crl": true,
		"ca-cert": true, "ca-key": true, "client-ca": true, "intermediates": true, "ocsp": true,
		"write-cert": true, "keylog": true, "match": true, "server-ca": true, "csr": true, "ech-key": true,
	}
)

// addCompletions registers a completion for every flag of c and its subcommands that takes a
// value: its values, directories, files, or nothing.
func addCompletions(c *cobra.Command) {
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.NoOptDefVal != "" || f.Value.Type() == "bool" {
			return // a switch takes no value
		}
		name := f.Name
		fn := func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
			switch {
			case directoryFlags[name]:
				return nil, cobra.ShellCompDirectiveFilterDirs
			case fileFlags[name] || strings.HasSuffix(name, "-file"):
				return nil, cobra.ShellCompDirectiveDefault
			}
			if values, ok := flagValues(cmd, name); ok {
				return values, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		// A flag shared with a parent is registered there; a second registration is refused.
		_ = c.RegisterFlagCompletionFunc(name, fn)
	})
	for _, sub := range c.Commands() {
		addCompletions(sub)
	}
}
