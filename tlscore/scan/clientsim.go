package scan

import (
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Client simulation: which version, cipher suite and group each of a set of real clients would
// get from the server. Each client's ClientHello was captured from the client itself, as `tlskit
// serve` received it (scripts/captureclients), and is replayed as a probe: byte for byte but
// for the server name, the random and the padding, which the real client fills in for each
// connection. The server's answer (ServerHello or HelloRetryRequest, and below TLS 1.3 the
// ServerKeyExchange) says what it chose; no handshake is completed.

// clientFiles are the stored client profiles. The issue calls them test data, and they are that
// (clientsim_test.go holds each to its real client), but they are also what the scan replays at
// run time, so they are embedded in the binary rather than read from testdata: a tlskit binary
// must simulate clients wherever it runs, with no source tree beside it.
//
//go:embed clients/*.json
var clientFiles embed.FS

// ClientResult is what the server chose for one simulated client.
type ClientResult struct {
	Client        string `json:"client"`         // "curl", "Chromium", "Java", ...
	ClientVersion string `json:"client_version"` // as the client reported it when captured
	// Version, CipherSuite and Group are what the server chose: the group of the TLS 1.3
	// key_share (or the one a HelloRetryRequest asked for), or the ECDHE curve of a TLS 1.2
	// ServerKeyExchange, or the RFC 7919 group whose prime a DHE ServerKeyExchange carried.
	// Group is empty for RSA key transport, and for a DHE prime that is no RFC 7919 group
	// (DHBits and DHPrime describe it).
	Version     string `json:"version,omitempty"`
	CipherSuite string `json:"cipher_suite,omitempty"`
	Group       string `json:"group,omitempty"`
	// DHBits is the size of the DHE prime, for a DHE suite; DHPrime names it when it is a
	// published group ("ffdhe2048 (RFC 7919)", "RFC 3526 group 14 (2048-bit MODP)").
	DHBits  int    `json:"dh_bits,omitempty"`
	DHPrime string `json:"dh_prime,omitempty"`
	// HelloRetryRequest: the server asked for a key share of Group, which the real client
	// would have sent in a second ClientHello.
	HelloRetryRequest bool `json:"hello_retry_request,omitempty"`
	// Refused says how the server turned the client down: "handshake_failure alert",
	// "protocol_version alert", or "connection closed" (closed without a word).
	Refused string `json:"refused,omitempty"`
	// Error says why nothing could be learned (a timeout, a reset, a malformed answer), or why
	// the real client would abort on the server's answer (a choice it did not offer); the
	// fields above then hold what the server sent, if it sent a hello.
	Error string `json:"error,omitempty"`
}

// clientProfile is one stored client: the keys of scripts/captureclients's files.
type clientProfile struct {
	Client        string `json:"client"`
	ClientVersion string `json:"client_version"`
	Reported      string `json:"reported"`
	Captured      string `json:"captured"`
	Command       string `json:"command"`
	ClientHello   string `json:"client_hello"` // the handshake message, header included, in hex

	file  string
	msg   []byte
	hello *wire.ClientHello
	// err says why the profile did not load; the simulation reports it as the client's error.
	err error
}

// loadProfiles reads the embedded profiles, in file-name order. A profile that does not load
// is returned with err set (and its file name as Client, when it has none).
func loadProfiles() []clientProfile {
	names, _ := fs.Glob(clientFiles, "clients/*.json")
	slices.Sort(names)
	out := make([]clientProfile, 0, len(names))
	for _, n := range names {
		p, err := loadProfile(n)
		if err != nil {
			if p.Client == "" {
				p.Client = strings.TrimSuffix(path.Base(n), ".json")
			}
			p.msg, p.hello, p.err = nil, nil, err
		}
		out = append(out, p)
	}
	return out
}

func loadProfile(name string) (clientProfile, error) {
	p := clientProfile{file: name}
	data, err := clientFiles.ReadFile(name)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("client profile %s: %w", name, err)
	}
	if p.Client == "" {
		return p, fmt.Errorf("client profile %s: no client name", name)
	}
	msg, err := hex.DecodeString(p.ClientHello)
	if err != nil {
		return p, fmt.Errorf("client profile %s: client_hello: %w", name, err)
	}
	if len(msg) < 4 || msg[0] != wire.TypeClientHello || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
		return p, fmt.Errorf("client profile %s: client_hello is not one ClientHello handshake message", name)
	}
	ch, err := wire.ParseClientHello(msg[4:])
	if err != nil {
		return p, fmt.Errorf("client profile %s: %w", name, err)
	}
	for _, e := range ch.Extensions {
		if e.Type == wire.ExtPreSharedKey {
			// Its binders cover the hello: a changed server name would break them.
			return p, fmt.Errorf("client profile %s: the hello resumes a session (pre_shared_key); capture a fresh one", name)
		}
	}
	p.msg, p.hello = msg, ch
	return p, nil
}

// replayHello is the ClientHello message msg (header included) as its client would send it to
// serverName: the server_name extension's name replaced (the extension removed when serverName
// is empty; none added where the client sent none), random in place of the client's random, and
// a padding extension resized so the message keeps the length the client padded it to (clients
// pad to step over sizes that hang some servers, 256 to 511 bytes; a grown hello past that
// target needs no padding, and the extension is dropped). Every other byte is the client's: the
// session ID, suites, extension order, GREASE values, key shares.
func replayHello(msg []byte, serverName string, random []byte) ([]byte, error) {
	if len(msg) < 4 || len(random) != 32 {
		return nil, errors.New("replaying a ClientHello: short message or random")
	}
	ch, err := wire.ParseClientHello(msg[4:])
	if err != nil {
		return nil, err
	}
	body := msg[4:]
	prefix := 2 + 32 + 1 + len(ch.SessionID) + 2 + 2*len(ch.CipherSuites) + 1 + len(ch.CompressionMethods)
	if len(body) == prefix {
		// No extensions at all: only the random changes.
		out := slices.Clone(msg)
		copy(out[4+2:], random)
		return out, nil
	}
	type ext struct {
		typ  uint16
		data []byte
	}
	exts := make([]ext, 0, len(ch.Extensions))
	padAt := -1
	size := 4 + prefix + 2 // header, prefix, extensions length
	for _, e := range ch.Extensions {
		data := e.Data
		switch e.Type {
		case wire.ExtServerName:
			if serverName == "" {
				continue
			}
			data = serverNameData(serverName)
		case wire.ExtPadding:
			padAt = len(exts)
		}
		exts = append(exts, ext{e.Type, data})
		size += 4 + len(data)
	}
	if padAt >= 0 {
		size -= len(exts[padAt].data)
		if n := len(msg) - size; n > 0 {
			exts[padAt].data = make([]byte, n)
			size += n
		} else {
			exts = slices.Delete(exts, padAt, padAt+1)
			size -= 4
		}
	}
	var b cryptobyte.Builder
	b.AddUint8(wire.TypeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes(body[:2])
		b.AddBytes(random)
		b.AddBytes(body[2+32 : prefix])
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.data) })
			}
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("replaying a ClientHello: %w", err)
	}
	if len(out) != size {
		return nil, fmt.Errorf("replaying a ClientHello: built %d bytes, counted %d", len(out), size)
	}
	return out, nil
}

// serverNameData is a server_name extension's data naming one host (RFC 6066 section 3).
func serverNameData(name string) []byte {
	n := len(name)
	out := []byte{byte((n + 3) >> 8), byte(n + 3), 0, byte(n >> 8), byte(n)}
	return append(out, name...)
}

// simulateClients replays every stored client's ClientHello to the server, each on its own
// connection under the prober's bounds (--parallel, --rate, --timeout), and reports what the
// server chose for each, in the profiles' order.
func (s *scanner) simulateClients(ctx context.Context) []ClientResult {
	profiles := loadProfiles()
	out := make([]ClientResult, len(profiles))
	var wg sync.WaitGroup
	for i := range profiles {
		wg.Go(func() { out[i] = s.simulateClient(ctx, &profiles[i]) })
	}
	wg.Wait()
	return out
}

// simulateClient replays one profile; like the other probes, it asks once more when the first
// answer proved nothing or was a close without a word.
func (s *scanner) simulateClient(ctx context.Context, p *clientProfile) ClientResult {
	res := ClientResult{Client: p.Client, ClientVersion: p.ClientVersion}
	if p.err != nil {
		res.Error = p.err.Error()
		return res
	}
	var o outcome
	for try := 0; try < 2; try++ {
		msg, err := replayHello(p.msg, s.opts.ServerName, randomBytes(32))
		if err != nil {
			res.Error = err.Error()
			return res
		}
		// Clients put their hello in a record of version 0x0301 (TLS 1.0), for old servers.
		o = s.p.send(ctx, wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS10, msg), readServerKeyExchange)
		if !(unproven(o) || o.kind == outRefused && o.alert == nil) || ctx.Err() != nil {
			break
		}
	}
	return clientResult(res, p.hello, o)
}

// clientResult fills in what the outcome of a client's replayed hello says.
func clientResult(res ClientResult, ch *wire.ClientHello, o outcome) ClientResult {
	switch o.kind {
	case outRefused:
		if o.alert != nil {
			res.Refused = o.alert.DescriptionName + " alert"
		} else {
			res.Refused = "connection closed"
		}
		return res
	case outHello:
	default:
		res.Error = o.err.Error()
		return res
	}
	sh := o.hello
	v := sh.Version()
	res.Version = wire.VersionName(v)
	res.CipherSuite = wire.CipherSuiteName(sh.CipherSuite)
	var group uint16
	switch {
	case sh.IsHelloRetryRequest:
		res.HelloRetryRequest = true
		group = sh.SelectedGroup
	case sh.KeyShare != nil:
		group = sh.KeyShare.Group
	case o.ske != nil && o.ske.Group != 0:
		group = o.ske.Group
	case o.ske != nil && o.ske.DHPrimeBits > 0:
		res.DHBits, res.DHPrime = o.ske.DHPrimeBits, DHPrimeName(o.ske.DHPrime)
		if name, ok := strings.CutSuffix(res.DHPrime, " (RFC 7919)"); ok {
			res.Group = name
		}
	}
	if group != 0 {
		res.Group = wire.GroupName(group)
	}
	if why := clientWouldAbort(ch, sh, v, group); why != "" {
		res.Error = why
	} else if o.err != nil && res.Group == "" && res.DHBits == 0 && kxNeedsSKE(sh.CipherSuite) {
		// The suite has a ServerKeyExchange that could not be read.
		res.Error = o.err.Error()
	}
	return res
}

// kxNeedsSKE reports whether a TLS 1.2-or-older suite's key exchange sends a ServerKeyExchange
// that names its group or prime.
func kxNeedsSKE(id uint16) bool {
	cs, ok := wire.CipherSuiteByID(id)
	return ok && (cs.KeyExchange == "ECDHE" || cs.KeyExchange == "DHE")
}

// clientWouldAbort says why the real client would end the handshake on the server's answer: a
// version, suite or group it did not offer, or a HelloRetryRequest for a group it already sent a
// share of. "" when the answer is one the client can go on with.
func clientWouldAbort(ch *wire.ClientHello, sh *wire.ServerHello, v, group uint16) string {
	versions := ch.SupportedVersions
	if len(versions) == 0 {
		// Without supported_versions a client takes legacy_version or anything below it.
		if v > ch.LegacyVersion {
			return fmt.Sprintf("the server chose %s, above the client's %s", wire.VersionName(v), wire.VersionName(ch.LegacyVersion))
		}
	} else if !slices.Contains(versions, v) {
		return fmt.Sprintf("the server chose %s, which the client did not offer", wire.VersionName(v))
	}
	if !slices.Contains(ch.CipherSuites, sh.CipherSuite) {
		return fmt.Sprintf("the server chose %s, which the client did not offer", wire.CipherSuiteName(sh.CipherSuite))
	}
	if group == 0 {
		return ""
	}
	if !slices.Contains(ch.SupportedGroups, group) {
		return fmt.Sprintf("the server chose the group %s, which the client did not offer", wire.GroupName(group))
	}
	if sh.IsHelloRetryRequest && slices.ContainsFunc(ch.KeyShares, func(k wire.KeyShare) bool { return k.Group == group }) {
		return fmt.Sprintf("the server asked for a %s key share, which the client had sent", wire.GroupName(group))
	}
	return ""
}
