package wire

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// errExt carries an extension-level reason; parseExtensions' callers prefix the extension
// name and wrap it in a DecodeError for the message.
type errExt string

func (e errExt) Error() string { return string(e) }

func extErr(format string, args ...any) error { return errExt(fmt.Sprintf(format, args...)) }

// readExtensions reads an extensions block (uint16 length, then type/length/data entries)
// from s. Duplicate types are rejected (RFC 8446 section 4.2) because which copy a peer
// honours is undefined, so showing either would mislead.
func readExtensions(s *cryptobyte.String, msg string) ([]Extension, error) {
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) {
		return nil, malformed(msg, "extensions: length exceeds message")
	}
	exts := []Extension{}
	seen := make(map[uint16]bool)
	for !block.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&data) {
			return nil, malformed(msg, "extensions: truncated extension after %d complete ones", len(exts))
		}
		if seen[typ] {
			return nil, malformed(msg, "extensions: duplicate %s extension", ExtensionName(typ))
		}
		seen[typ] = true
		exts = append(exts, Extension{Type: typ, Name: ExtensionName(typ), Length: len(data), Data: data})
	}
	return exts, nil
}

// wrapExtErr turns an extension decoder's failure into a DecodeError for msg.
func wrapExtErr(msg string, typ uint16, err error) error {
	return malformed(msg, "%s extension: %v", ExtensionName(typ), err)
}

// done fails unless the extension data was consumed exactly.
func done(s cryptobyte.String) error {
	if !s.Empty() {
		return extErr("%d trailing bytes", len(s))
	}
	return nil
}

func requireEmpty(data []byte) error {
	if len(data) != 0 {
		return extErr("must be empty, has %d bytes", len(data))
	}
	return nil
}

// readUint16List reads a uint16 list whose byte length is prefixed by lenBytes (1 or 2) bytes.
// minItems enforces the RFC lower bound (most lists must be non-empty).
func readUint16List(s *cryptobyte.String, lenBytes int, minItems int, what string) ([]uint16, error) {
	var body cryptobyte.String
	ok := false
	if lenBytes == 1 {
		ok = s.ReadUint8LengthPrefixed(&body)
	} else {
		ok = s.ReadUint16LengthPrefixed(&body)
	}
	if !ok {
		return nil, extErr("%s: length exceeds data", what)
	}
	if len(body)%2 != 0 {
		return nil, extErr("%s: odd length %d", what, len(body))
	}
	out := make([]uint16, 0, len(body)/2)
	for !body.Empty() {
		var v uint16
		body.ReadUint16(&v)
		out = append(out, v)
	}
	if len(out) < minItems {
		return nil, extErr("%s: empty list", what)
	}
	return out, nil
}

func uint16ListExt(data []byte, lenBytes int, what string) ([]uint16, error) {
	s := cryptobyte.String(data)
	l, err := readUint16List(&s, lenBytes, 1, what)
	if err != nil {
		return nil, err
	}
	return l, done(s)
}

func uint8ListExt(data []byte, what string) (Uint8List, error) {
	s := cryptobyte.String(data)
	var body cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&body) {
		return nil, extErr("%s: length exceeds data", what)
	}
	if len(body) == 0 {
		return nil, extErr("%s: empty list", what)
	}
	return Uint8List(body), done(s)
}

// alpnList decodes a ProtocolNameList (RFC 7301), also used by ALPS.
func alpnList(data []byte) ([]string, error) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) {
		return nil, extErr("protocol list length exceeds data")
	}
	if err := done(s); err != nil {
		return nil, err
	}
	var out []string
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) {
			return nil, extErr("truncated protocol name")
		}
		if len(p) == 0 {
			return nil, extErr("empty protocol name")
		}
		out = append(out, string(p))
	}
	if len(out) == 0 {
		return nil, extErr("empty protocol list")
	}
	return out, nil
}

// serverNameList decodes a ClientHello server_name extension (RFC 6066 section 3) and returns
// the host_name entry.
func serverNameList(data []byte) (string, error) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return "", extErr("server name list missing or empty")
	}
	if err := done(s); err != nil {
		return "", err
	}
	host := ""
	seenHost := false
	for !list.Empty() {
		var nameType uint8
		var name cryptobyte.String
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&name) {
			return "", extErr("truncated server name entry")
		}
		if nameType != 0 {
			continue // other name types were never defined; skip rather than fail
		}
		if seenHost {
			return "", extErr("more than one host_name")
		}
		if len(name) == 0 {
			return "", extErr("empty host_name")
		}
		seenHost = true
		host = string(name)
	}
	return host, nil
}

func recordSizeLimitExt(data []byte) (*uint16, error) {
	s := cryptobyte.String(data)
	var v uint16
	if !s.ReadUint16(&v) {
		return nil, extErr("truncated")
	}
	if err := done(s); err != nil {
		return nil, err
	}
	return &v, nil
}

// KeyShare is one key_share entry. Only the length is shown; the key itself is kept for
// callers that complete the exchange.
type KeyShare struct {
	Group     uint16 `json:"group"`
	GroupName string `json:"group_name"`
	Length    int    `json:"length"`
	PublicKey []byte `json:"-"`
}

func readKeyShareEntry(s *cryptobyte.String) (KeyShare, error) {
	var group uint16
	var key cryptobyte.String
	if !s.ReadUint16(&group) || !s.ReadUint16LengthPrefixed(&key) {
		return KeyShare{}, extErr("truncated key share entry")
	}
	if len(key) == 0 {
		return KeyShare{}, extErr("empty key_exchange for %s", GroupName(group))
	}
	return KeyShare{Group: group, GroupName: GroupName(group), Length: len(key), PublicKey: key}, nil
}

// clientKeyShares decodes KeyShareClientHello. Duplicate groups are illegal (RFC 8446 section
// 4.2.8) and a sign of a broken or hostile client.
func clientKeyShares(data []byte) ([]KeyShare, error) {
	s := cryptobyte.String(data)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) {
		return nil, extErr("client_shares length exceeds data")
	}
	if err := done(s); err != nil {
		return nil, err
	}
	out := []KeyShare{}
	seen := map[uint16]bool{}
	for !list.Empty() {
		ks, err := readKeyShareEntry(&list)
		if err != nil {
			return nil, err
		}
		if seen[ks.Group] {
			return nil, extErr("duplicate key share for %s", ks.GroupName)
		}
		seen[ks.Group] = true
		out = append(out, ks)
	}
	return out, nil
}

// distinguishedNames decodes a certificate_authorities list: DistinguishedName
// authorities<3..2^16-1>, each DER bytes with a uint16 length.
func distinguishedNames(s *cryptobyte.String, allowEmpty bool) ([][]byte, error) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) {
		return nil, extErr("authorities length exceeds data")
	}
	if list.Empty() && !allowEmpty {
		return nil, extErr("empty authorities list")
	}
	var out [][]byte
	for !list.Empty() {
		var dn cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&dn) || dn.Empty() {
			return nil, extErr("truncated or empty distinguished name")
		}
		out = append(out, dn)
	}
	return out, nil
}
