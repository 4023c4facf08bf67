package fingerprint

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// This file holds two test-only tools that deliberately share nothing with the package or
// with wire's decoded fields:
//
//   - hello builds ClientHello bodies byte by byte, with the extensions in exactly the
//     order given, so published lists (JA4_ro, which keeps wire order) can be replayed;
//   - refFingerprints recomputes JA3 and JA4 straight from the raw body bytes, written the
//     simple way (string formatting, string sorting, hex-encoding the whole ALPN value)
//     so that a shared misreading of the spec would need to be made twice, differently.

// hello describes a ClientHello body to build. Extensions are emitted in exts order; the
// data of each comes from extData, filled from the fields below.
type hello struct {
	version      uint16
	ciphers      []uint16
	exts         []uint16
	sni          string
	alpn         [][]byte
	sigs         []uint16
	versions     []uint16 // supported_versions
	groups       []uint16
	pointFormats []byte
}

// body encodes h as a ClientHello body (no handshake header). exts == nil means a hello
// without an extensions block at all, as SSL 3.0-era clients send.
func (h hello) body() []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, h.version)
	b = append(b, make([]byte, 32)...) // random
	b = append(b, 32)                  // session ID, as TLS 1.3 middlebox-compatible clients send
	b = append(b, make([]byte, 32)...)
	b = binary.BigEndian.AppendUint16(b, uint16(2*len(h.ciphers)))
	for _, c := range h.ciphers {
		b = binary.BigEndian.AppendUint16(b, c)
	}
	b = append(b, 1, 0) // compression: null only
	if h.exts == nil {
		return b
	}
	var block []byte
	for _, t := range h.exts {
		d := h.extData(t)
		block = binary.BigEndian.AppendUint16(block, t)
		block = binary.BigEndian.AppendUint16(block, uint16(len(d)))
		block = append(block, d...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(block)))
	return append(b, block...)
}

func u16s(prefixLen int, l []uint16) []byte {
	var b []byte
	if prefixLen == 1 {
		b = append(b, byte(2*len(l)))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(2*len(l)))
	}
	for _, v := range l {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func protocolList(ps [][]byte) []byte {
	var l []byte
	for _, p := range ps {
		l = append(l, byte(len(p)))
		l = append(l, p...)
	}
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(l))), l...)
}

// extData returns well-formed data for extension type t, so wire's strict decoders accept
// the hello. Types not listed get empty data, which wire keeps as raw.
func (h hello) extData(t uint16) []byte {
	switch t {
	case 0x0000: // server_name
		name := h.sni
		if name == "" {
			name = "example.com"
		}
		entry := append([]byte{0}, binary.BigEndian.AppendUint16(nil, uint16(len(name)))...)
		entry = append(entry, name...)
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(entry))), entry...)
	case 0x0005: // status_request: OCSP, no responder IDs, no extensions
		return []byte{1, 0, 0, 0, 0}
	case 0x000a: // supported_groups
		g := h.groups
		if g == nil {
			g = []uint16{0x001d, 0x0017, 0x0018}
		}
		return u16s(2, g)
	case 0x000b: // ec_point_formats
		f := h.pointFormats
		if f == nil {
			f = []byte{0}
		}
		return append([]byte{byte(len(f))}, f...)
	case 0x000d: // signature_algorithms
		return u16s(2, h.sigs)
	case 0x0010: // ALPN
		return protocolList(h.alpn)
	case 0x0015: // padding
		return make([]byte, 17)
	case 0x001b: // compress_certificate: brotli
		return []byte{2, 0, 2}
	case 0x001c: // record_size_limit
		return []byte{0x40, 0x01}
	case 0x0022: // delegated_credential (not decoded by wire)
		return u16s(2, []uint16{0x0403, 0x0503})
	case 0x002b: // supported_versions
		v := h.versions
		if v == nil {
			v = []uint16{0x0304, 0x0303}
		}
		return u16s(1, v)
	case 0x002d: // psk_key_exchange_modes: psk_dhe_ke
		return []byte{1, 1}
	case 0x0033: // key_share: one X25519 share
		e := binary.BigEndian.AppendUint16(nil, 0x001d)
		e = binary.BigEndian.AppendUint16(e, 32)
		e = append(e, make([]byte, 32)...)
		return append(binary.BigEndian.AppendUint16(nil, uint16(len(e))), e...)
	case 0x0039: // quic_transport_parameters (opaque to TLS)
		return []byte{0x01, 0x02, 0x67, 0x10}
	case 0x4469, 0x44cd: // application_settings (ALPS), old and new code points
		return protocolList([][]byte{[]byte("h2")})
	case 0xfe0d: // encrypted_client_hello (GREASE ECH looks like this)
		return []byte{0, 0, 1, 0, 1, 0x42, 0, 0, 0, 1, 0xaa} // outer: suite, config id, no enc, a 1-byte payload
	case 0xff01: // renegotiation_info: empty renegotiated_connection
		return []byte{0}
	}
	return nil
}

// refFingerprints computes JA3 text, JA3 hash, JA4 and JA4_r from a ClientHello body the
// simple way. It assumes the body is well formed (wire accepted it) and returns ok=false
// when it is not, so a disagreement with wire shows up instead of a panic.
func refFingerprints(body []byte, quic bool) (ja3Text, ja3Hash, ja4, ja4r string, ok bool) {
	r := rawHello{b: body}
	version := r.u16()
	r.skip(32)
	r.skip(int(r.u8()))
	var ciphers []uint16
	cs := r.sub(int(r.u16()))
	for cs.left() > 0 {
		ciphers = append(ciphers, cs.u16())
	}
	r.skip(int(r.u8()))
	type ext struct {
		typ  uint16
		data rawHello
	}
	var exts []ext
	es := rawHello{}
	if r.left() > 0 {
		es = r.sub(int(r.u16()))
		for es.left() > 0 {
			t := es.u16()
			exts = append(exts, ext{t, es.sub(int(es.u16()))})
		}
	}
	if r.bad || cs.bad || es.bad {
		return "", "", "", "", false
	}

	grease := func(v uint16) bool { return v>>8 == v&0xff && v&0x0f == 0x0a }
	var extTypes, groups, sigs, versions []uint16
	var formats []byte
	var alpn []byte
	sni := false
	for _, e := range exts {
		d := e.data
		switch e.typ {
		case 0x0000:
			sni = true
		case 0x000a:
			groups = d.list16(int(d.u16()))
		case 0x000b:
			formats = d.bytes(int(d.u8()))
		case 0x000d:
			sigs = d.list16(int(d.u16()))
		case 0x0010:
			d.u16()
			alpn = d.bytes(int(d.u8()))
		case 0x002b:
			versions = d.list16(int(d.u8()))
		}
		if d.bad {
			return "", "", "", "", false
		}
		extTypes = append(extTypes, e.typ)
	}

	dec := func(l []uint16) string {
		var parts []string
		for _, v := range l {
			if !grease(v) {
				parts = append(parts, fmt.Sprint(v))
			}
		}
		return strings.Join(parts, "-")
	}
	var fparts []string
	for _, f := range formats {
		fparts = append(fparts, fmt.Sprint(f))
	}
	ja3Text = fmt.Sprintf("%d,%s,%s,%s,%s", version, dec(ciphers), dec(extTypes), dec(groups), strings.Join(fparts, "-"))
	ja3Hash = fmt.Sprintf("%x", md5.Sum([]byte(ja3Text)))

	hexes := func(l []uint16, drop ...uint16) []string {
		var out []string
	next:
		for _, v := range l {
			if grease(v) {
				continue
			}
			for _, d := range drop {
				if v == d {
					continue next
				}
			}
			out = append(out, fmt.Sprintf("%04x", v))
		}
		return out
	}
	offered := version
	if vs := hexes(versions); len(vs) > 0 {
		sort.Strings(vs)
		fmt.Sscanf(vs[len(vs)-1], "%x", &offered)
	}
	verName := map[uint16]string{0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10",
		0x0300: "s3", 0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}[offered]
	if verName == "" {
		verName = "00"
	}
	cipherHex, allExtHex := hexes(ciphers), hexes(extTypes)
	a := "t"
	if quic {
		a = "q"
	}
	a += verName
	if sni {
		a += "d"
	} else {
		a += "i"
	}
	a += fmt.Sprintf("%02d%02d", min(len(cipherHex), 99), min(len(allExtHex), 99))
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	switch {
	case len(alpn) == 0:
		a += "00"
	case strings.IndexByte(alnum, alpn[0]) >= 0 && strings.IndexByte(alnum, alpn[len(alpn)-1]) >= 0:
		a += string(alpn[0]) + string(alpn[len(alpn)-1])
	default:
		h := hex.EncodeToString(alpn)
		a += h[:1] + h[len(h)-1:]
	}

	sort.Strings(cipherHex)
	extHex := hexes(extTypes, 0x0000, 0x0010)
	sort.Strings(extHex)
	b := strings.Join(cipherHex, ",")
	c := strings.Join(extHex, ",")
	if s := hexes(sigs); len(s) > 0 {
		c += "_" + strings.Join(s, ",")
	}
	trunc := func(s string, empty bool) string {
		if empty {
			return "000000000000"
		}
		return fmt.Sprintf("%x", sha256.Sum256([]byte(s)))[:12]
	}
	ja4 = a + "_" + trunc(b, len(cipherHex) == 0) + "_" + trunc(c, len(extHex) == 0)
	ja4r = a + "_" + b + "_" + c
	return ja3Text, ja3Hash, ja4, ja4r, true
}

// rawHello is a tiny bounds-checked reader; after any overrun it reads zeros and sets bad.
type rawHello struct {
	b   []byte
	bad bool
}

func (r *rawHello) left() int { return len(r.b) }

func (r *rawHello) bytes(n int) []byte {
	if n > len(r.b) {
		r.bad = true
		r.b = nil
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *rawHello) skip(n int) { r.bytes(n) }

func (r *rawHello) u8() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *rawHello) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

// sub returns the next n bytes as their own reader; an overrun marks both bad.
func (r *rawHello) sub(n int) rawHello {
	b := r.bytes(n)
	return rawHello{b: b, bad: r.bad}
}

func (r *rawHello) list16(n int) []uint16 {
	s := r.sub(n)
	var out []uint16
	for s.left() >= 2 {
		out = append(out, s.u16())
	}
	r.bad = r.bad || s.bad
	return out
}

// countRaw counts the non-GREASE cipher suites and extensions in a ClientHello body by
// walking its bytes, for checking JA4's counts against a real client's hello.
func countRaw(t *testing.T, body []byte) (ciphers, exts int) {
	t.Helper()
	grease := func(v uint16) bool { return v>>8 == v&0xff && v&0x0f == 0x0a }
	r := rawHello{b: body}
	r.skip(34) // legacy_version, random
	r.skip(int(r.u8()))
	cs := r.sub(int(r.u16()))
	for cs.left() > 0 {
		if !grease(cs.u16()) {
			ciphers++
		}
	}
	r.skip(int(r.u8()))
	es := rawHello{}
	if r.left() > 0 {
		es = r.sub(int(r.u16()))
		for es.left() > 0 {
			typ := es.u16()
			es.skip(int(es.u16()))
			if !grease(typ) {
				exts++
			}
		}
	}
	if r.bad || cs.bad || es.bad {
		t.Fatal("reference walker overran the hello")
	}
	return ciphers, exts
}
