package keyschedule

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// KeyLog holds the secrets of one connection, from NSS key log lines.
//
// A field is nil when the key log had no line for it: a TLS 1.2 connection only has
// MasterSecret, a TLS 1.3 one has no MasterSecret, and ClientEarlyTrafficSecret only appears
// when the client sent 0-RTT data.
type KeyLog struct {
	ClientRandom []byte

	ClientHandshakeTrafficSecret, ServerHandshakeTrafficSecret []byte // TLS 1.3
	ClientTrafficSecret0, ServerTrafficSecret0                 []byte // TLS 1.3
	ClientEarlyTrafficSecret                                   []byte
	MasterSecret                                               []byte // TLS 1.2 ("CLIENT_RANDOM" label)
}

// The labels of the key log format that KeyLog keeps. Others exist (EXPORTER_SECRET,
// EARLY_EXPORTER_SECRET, the ECH labels, the old "RSA" one) and new ones keep being added, which
// is why ParseKeyLog skips a well-formed line whose label it does not know instead of failing.
const (
	labelMasterSecret       = "CLIENT_RANDOM"
	labelClientEarlyTraffic = "CLIENT_EARLY_TRAFFIC_SECRET"
	labelClientHandshake    = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	labelServerHandshake    = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	labelClientTraffic0     = "CLIENT_TRAFFIC_SECRET_0"
	labelServerTraffic0     = "SERVER_TRAFFIC_SECRET_0"
)

const (
	clientRandomLen      = 32 // RFC 8446 §4.1.2, RFC 5246 §7.4.1.2
	tls12MasterSecretLen = 48 // RFC 5246 §8.1
	// maxLabelLen bounds what counts as a label; real ones are at most 31 bytes, and the
	// bound keeps a long line of junk from passing for one.
	maxLabelLen = 64
)

// field returns where a secret with this label goes, or nil for a label KeyLog does not keep.
func (k *KeyLog) field(label string) *[]byte {
	switch label {
	case labelMasterSecret:
		return &k.MasterSecret
	case labelClientEarlyTraffic:
		return &k.ClientEarlyTrafficSecret
	case labelClientHandshake:
		return &k.ClientHandshakeTrafficSecret
	case labelServerHandshake:
		return &k.ServerHandshakeTrafficSecret
	case labelClientTraffic0:
		return &k.ClientTrafficSecret0
	case labelServerTraffic0:
		return &k.ServerTrafficSecret0
	}
	return nil
}

// ParseKeyLog reads NSS key log text (comments and blank lines allowed) and groups it by client
// random. The map key is the client random in lower-case hex.
//
// Each line is "LABEL CLIENT_RANDOM_HEX SECRET_HEX"; lines starting with '#' and blank lines
// are ignored, and CRLF line ends are accepted. The rules for other lines are:
//
//   - A well-formed line (three fields, an upper-case label of letters, digits and '_', two
//     hex values) whose label KeyLog does not keep is skipped: the format grows new labels
//     and a newer writer must not break tlskit.
//   - Any other line is an error naming the line number, and so is a kept label with a client
//     random that is not 32 bytes or a secret of the wrong size (32 or 48 bytes for TLS 1.3
//     secrets, 48 for a TLS 1.2 master secret). A key log that is not in this format is
//     almost certainly the wrong file, and decrypting with a partial set of secrets would only
//     fail later with a vaguer error.
//   - The same secret logged twice is fine; two different values for the same label and client
//     random are an error, since there is no way to know which one is right.
//
// Errors never quote secret values, so they are safe to show.
func ParseKeyLog(data []byte) (map[string]*KeyLog, error) {
	logs := make(map[string]*KeyLog)
	for lineNo := 1; len(data) > 0; lineNo++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fields := bytes.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("keys: key log line %d: want \"LABEL CLIENT_RANDOM SECRET\", got %d fields", lineNo, len(fields))
		}
		if !isLabel(fields[0]) {
			return nil, fmt.Errorf("keys: key log line %d: label is not upper-case letters, digits and '_'", lineNo)
		}
		label := string(fields[0])
		random, err := hex.DecodeString(string(fields[1]))
		if err != nil {
			return nil, fmt.Errorf("keys: key log line %d (%s): client random is not hex", lineNo, label)
		}
		secret, err := hex.DecodeString(string(fields[2]))
		if err != nil {
			return nil, fmt.Errorf("keys: key log line %d (%s): secret is not hex", lineNo, label)
		}

		var probe KeyLog // only asks field whether the label is one KeyLog keeps
		if probe.field(label) == nil {
			continue
		}
		if len(random) != clientRandomLen {
			return nil, fmt.Errorf("keys: key log line %d (%s): client random is %d bytes, want %d", lineNo, label, len(random), clientRandomLen)
		}
		if err := checkSecretLen(label, secret); err != nil {
			return nil, fmt.Errorf("keys: key log line %d (%s): %v", lineNo, label, err)
		}

		key := hex.EncodeToString(random)
		entry := logs[key]
		if entry == nil {
			entry = &KeyLog{ClientRandom: random}
			logs[key] = entry
		}
		dst := entry.field(label)
		if *dst != nil && !bytes.Equal(*dst, secret) {
			return nil, fmt.Errorf("keys: key log line %d (%s): a different secret was already logged for this client random", lineNo, label)
		}
		*dst = secret
	}
	return logs, nil
}

// checkSecretLen rejects secrets that cannot be what the label says. TLS 1.3 secrets are
// Hash.length long (RFC 8446 §7.1), and the only hashes of TLS 1.3 suites are SHA-256 and
// SHA-384.
func checkSecretLen(label string, secret []byte) error {
	if label == labelMasterSecret {
		if len(secret) != tls12MasterSecretLen {
			return fmt.Errorf("master secret is %d bytes, want %d", len(secret), tls12MasterSecretLen)
		}
		return nil
	}
	if len(secret) != 32 && len(secret) != 48 {
		return fmt.Errorf("secret is %d bytes, want 32 (SHA-256 suites) or 48 (SHA-384)", len(secret))
	}
	return nil
}

// isLabel reports whether b looks like a key log label. Checking this keeps arbitrary text
// with three words on a line from being silently skipped as an "unknown label".
func isLabel(b []byte) bool {
	if len(b) == 0 || len(b) > maxLabelLen {
		return false
	}
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
