package cmd

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/server"
)

// serveECHKey is serve's ECH key and where it came from, for the start-up lines.
type serveECHKey struct {
	key *ech.Key
	// from says "generated", "generated and saved to FILE" or "from FILE".
	from string
	// host is the name the DNS record is for: the certificate's first DNS name.
	host string
}

// echAnnouncement is the ech object of serve's listening line: what to publish for clients.
type echAnnouncement struct {
	PublicName  string `json:"public_name"`
	ConfigID    uint8  `json:"config_id"`
	ConfigList  string `json:"config_list"`
	HTTPSRecord string `json:"https_record"`
	KeyFile     string `json:"key_file,omitempty"`
}

// defaultECHPublicName is the public name of serve's ECH config with its ephemeral certificate:
// a *.localhost name, always the loopback (RFC 6761), of the two labels clients require.
const defaultECHPublicName = "public.localhost"

// maxECHKeyFile bounds what --ech-key reads: a key file is a few hundred bytes.
const maxECHKeyFile = 64 << 10

// echKeyFile is what --ech-key's file held before serve started: a key, or why it is none.
type echKeyFile struct {
	path string
	key  *ech.Key
	// exists: there is a file, and err says why it is not a usable key when key is nil.
	exists bool
	err    error
}

// readECHKey reads the --ech-key file, when one is given and exists.
func readECHKey(path string) (*echKeyFile, error) {
	f := &echKeyFile{path: path}
	if path == "" {
		return f, nil
	}
	data, err := readECHKeyFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return f, nil
	case err != nil:
		return nil, fmt.Errorf("--ech-key: %w", err)
	}
	f.exists = true
	f.key, f.err = ech.ParseKeyPEM(data)
	return f, nil
}

// publicName is the public name to serve: the one asked for, else the file's key's.
func (f *echKeyFile) publicName(asked string) string {
	if asked == "" && f != nil && f.key != nil {
		return f.key.Config.PublicName
	}
	return asked
}

// echKeyFor finds serve's ECH key: the --ech-key file's when it holds one for the public name,
// else a new one (saved to --ech-key when given, 0600; a file that holds no usable key, or one
// for another public name, is replaced only with --force).
func (o *serveOptions) echKeyFor(a *app, certs *server.CertStore, file *echKeyFile) (*serveECHKey, error) {
	host := "localhost"
	var leaf *x509.Certificate
	if leaves := certs.Leaves(); len(leaves) > 0 {
		leaf = leaves[0]
	}
	if leaf != nil && len(leaf.DNSNames) > 0 {
		host = leaf.DNSNames[0]
	}
	publicName := file.publicName(o.echPublicName)
	for _, n := range dnsNames(leaf) {
		// The default is a name of the certificate that clients take as a public name: one
		// with two labels or more (crypto/tls refuses "localhost").
		if publicName == "" && strings.Contains(strings.Trim(n, "."), ".") && !strings.HasPrefix(n, "*") {
			publicName = n
		}
	}
	if publicName == "" {
		return nil, usageErrorf("--ech: the certificate has no DNS name of two labels or more to be the public name; give one with --ech-public-name")
	}
	if leaf != nil && leaf.VerifyHostname(publicName) != nil {
		return nil, withHint(usageErrorf("--ech: the certificate is not valid for the public name %s, so a client whose ECH is rejected could not trust the configs it is sent to retry with", publicName),
			"give a certificate for "+publicName+" too, or --ech-public-name NAME with a name it has")
	}
	if file.key != nil && file.key.Config.PublicName == publicName {
		return &serveECHKey{key: file.key, from: "from " + file.path, host: host}, nil
	}
	if file.exists {
		why := file.err
		if why == nil {
			why = fmt.Errorf("its public name is %q, not %q", file.key.Config.PublicName, publicName)
		}
		if !o.force {
			return nil, withHint(fmt.Errorf("--ech-key: %s cannot be used: %w", file.path, why),
				"add --force to replace it with a new key, or choose another file")
		}
		a.warnf("--ech-key: replacing %s with a new key (--force): %v", file.path, why)
	}
	k, err := ech.Generate(publicName)
	if err != nil {
		return nil, usageErrorf("--ech-public-name: %v", err)
	}
	sk := &serveECHKey{key: k, from: "generated", host: host}
	if file.path != "" {
		pemData, err := k.MarshalPEM()
		if err != nil {
			return nil, err
		}
		f := certgen.OutputFile{Path: file.path, Data: pemData, Mode: 0o600, Kind: "ECH key"}
		if err := certgen.WriteFiles([]certgen.OutputFile{f}, o.force); err != nil {
			if ee := (*certgen.ExistsError)(nil); errors.As(err, &ee) {
				return nil, withHint(err, "add --force to replace it, or choose another --ech-key file")
			}
			return nil, err
		}
		sk.from = "generated and saved to " + file.path
	}
	return sk, nil
}

func dnsNames(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	return c.DNSNames
}

// readECHKeyFile reads a key file as every input file is read (bounded), refusing anything but
// a regular file first: a named pipe would block serve's start.
func readECHKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return readInputFile(path, maxECHKeyFile)
}

// announcement is what serve tells about its ECH key once it listens on addr.
func (k *serveECHKey) announcement(addr *net.TCPAddr, alpn []string, keyFile string) echAnnouncement {
	list := k.key.ConfigList()
	return echAnnouncement{
		PublicName:  k.key.Config.PublicName,
		ConfigID:    k.key.Config.ConfigID,
		ConfigList:  base64.StdEncoding.EncodeToString(list),
		HTTPSRecord: ech.RecordLine(k.host, addr.Port, alpn, list),
		KeyFile:     keyFile,
	}
}
