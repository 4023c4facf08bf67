package cmd

import (
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

// echKeyFor finds serve's ECH key: the --ech-key file's when it holds one, else a new one
// (saved to --ech-key when given, 0600, never over a file without --force).
func (o *serveOptions) echKeyFor(certs *server.CertStore) (*serveECHKey, error) {
	host := "localhost"
	var names []string
	if leaves := certs.Leaves(); len(leaves) > 0 {
		names = leaves[0].DNSNames
	}
	if len(names) > 0 {
		host = names[0]
	}
	publicName := o.echPublicName
	for _, n := range names {
		// The default is a name of the certificate that clients take as a public name: one
		// with two labels or more (crypto/tls refuses "localhost").
		if publicName == "" && strings.Contains(strings.Trim(n, "."), ".") && !strings.HasPrefix(n, "*") {
			publicName = n
		}
	}
	if publicName == "" {
		return nil, usageErrorf("--ech: the certificate has no DNS name of two labels or more to be the public name; give one with --ech-public-name")
	}
	if o.echKey != "" {
		data, err := readECHKeyFile(o.echKey)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("--ech-key: %w", err)
		default:
			k, perr := ech.ParseKeyPEM(data)
			if perr == nil && (o.echPublicName == "" || o.echPublicName == k.Config.PublicName) {
				return &serveECHKey{key: k, from: "from " + o.echKey, host: host}, nil
			}
			if !o.force {
				if perr == nil {
					perr = fmt.Errorf("its public name is %q, not %q", k.Config.PublicName, o.echPublicName)
				}
				return nil, withHint(fmt.Errorf("--ech-key: %s cannot be used: %w", o.echKey, perr),
					"add --force to replace it with a new key, or choose another file")
			}
		}
	}
	k, err := ech.Generate(publicName)
	if err != nil {
		return nil, usageErrorf("--ech-public-name: %v", err)
	}
	sk := &serveECHKey{key: k, from: "generated", host: host}
	if o.echKey != "" {
		pemData, err := k.MarshalPEM()
		if err != nil {
			return nil, err
		}
		f := certgen.OutputFile{Path: o.echKey, Data: pemData, Mode: 0o600, Kind: "ECH key"}
		if err := certgen.WriteFiles([]certgen.OutputFile{f}, o.force); err != nil {
			if ee := (*certgen.ExistsError)(nil); errors.As(err, &ee) {
				return nil, withHint(err, "add --force to replace it, or choose another --ech-key file")
			}
			return nil, err
		}
		sk.from = "generated and saved to " + o.echKey
	}
	return sk, nil
}

// readECHKeyFile reads a key file, refusing anything but a small regular file.
func readECHKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxECHKeyFile {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes", path, maxECHKeyFile)
	}
	return os.ReadFile(path)
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
