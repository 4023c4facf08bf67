package wire

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testECHConfig() ECHConfig {
	return ECHConfig{
		ConfigID: 9, KEM: HPKEKemX25519, PublicKey: bytes.Repeat([]byte{0x42}, 32),
		CipherSuites:      []HPKESuite{{HPKEKdfSHA256, HPKEAeadAES128GCM}, {HPKEKdfSHA256, HPKEAeadChaCha20}},
		MaximumNameLength: 64, PublicName: "public.example",
		Extensions: []ECHConfigExtension{{Type: 0x1234, Data: []byte{1, 2}}},
	}
}

func testECHConfigList(t *testing.T) []byte {
	t.Helper()
	c, err := MarshalECHConfig(testECHConfig())
	if err != nil {
		t.Fatal(err)
	}
	list, err := MarshalECHConfigList(c)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestECHConfigListRoundTrip(t *testing.T) {
	want := testECHConfig()
	one, err := MarshalECHConfig(want)
	if err != nil {
		t.Fatal(err)
	}
	// A config of a later version sits beside it: kept, undecoded.
	future := []byte{0xfe, 0x0e, 0, 3, 1, 2, 3}
	list, err := MarshalECHConfigList(future, one)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseECHConfigList(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Version != 0xfe0e || got[0].Supported() || !bytes.Equal(got[0].Raw, future) {
		t.Fatalf("future config: %+v", got)
	}
	c := got[1]
	if !bytes.Equal(c.Raw, one) || !c.Supported() {
		t.Errorf("raw %x, want %x", c.Raw, one)
	}
	c.Raw, c.Version = nil, 0
	if !reflect.DeepEqual(c, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", c, want)
	}
	js, err := json.Marshal(got[1].CipherSuites[1])
	if err != nil || string(js) != `{"kdf_id":1,"kdf":"HKDF-SHA256","aead_id":3,"aead":"ChaCha20Poly1305"}` {
		t.Errorf("suite JSON %s %v", js, err)
	}
	if HPKEKEMName(c.KEM) != "DHKEM(X25519, HKDF-SHA256)" || HPKEKEMName(0x7777) != "0x7777" {
		t.Error("KEM names")
	}
}

func TestParseECHConfigListMalformed(t *testing.T) {
	good, err := MarshalECHConfig(testECHConfig())
	if err != nil {
		t.Fatal(err)
	}
	// good's contents start after version(2) and length(2); the key config is id(1) kem(2)
	// key length(2) key(32), then the suites' length at offset 4+37.
	mutate := func(f func(b []byte) []byte) []byte {
		b := f(bytes.Clone(good))
		b[2], b[3] = byte((len(b)-4)>>8), byte(len(b)-4) // the contents' length, kept true
		list, _ := MarshalECHConfigList(b)
		return list
	}
	for _, tc := range []struct {
		name, in, want string
		list           []byte
	}{
		{name: "empty input", list: nil, want: "length exceeds"},
		{name: "empty list", list: []byte{0, 0}, want: "empty list"},
		{name: "list longer than input", list: []byte{0, 9, 1}, want: "length exceeds"},
		{name: "trailing", list: append(mutate(func(b []byte) []byte { return b }), 0), want: "trailing bytes after the list"},
		{name: "truncated config", list: []byte{0, 3, 0xfe, 0x0d, 0}, want: "config 0 truncated"},
		{name: "suites not a multiple of 4", list: mutate(func(b []byte) []byte {
			b[4+37+1] = 6 // claims 6 bytes of suites where 8 follow: the rest misparses
			return b
		}), want: "config 0"},
		{name: "empty public key", list: mutate(func(b []byte) []byte {
			return append(append(b[:4], 9, 0, 0x20, 0, 0), b[4+37:]...)
		}), want: "empty public key"},
		{name: "contents trailing", list: func() []byte {
			b := bytes.Clone(good)
			b = append(b, 0)
			b[3]++
			list, _ := MarshalECHConfigList(b)
			return list
		}(), want: "trailing bytes after the extensions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseECHConfigList(tc.list)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
	for _, bad := range []ECHConfig{
		{PublicName: "x", CipherSuites: []HPKESuite{{1, 1}}},
		{PublicName: "x", PublicKey: []byte{1}},
		{PublicKey: []byte{1}, CipherSuites: []HPKESuite{{1, 1}}},
		{PublicName: strings.Repeat("x", 256), PublicKey: []byte{1}, CipherSuites: []HPKESuite{{1, 1}}},
	} {
		if _, err := MarshalECHConfig(bad); err == nil {
			t.Errorf("MarshalECHConfig(%+v) succeeded", bad)
		}
	}
}

func TestParseECHClientHello(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want *ECHClientHello
		err  string
	}{
		{"inner", []byte{1}, &ECHClientHello{Type: "inner"}, ""},
		{"outer", []byte{0, 0, 1, 0, 1, 3, 0, 1, 0xee, 0, 2, 1, 2}, &ECHClientHello{Type: "outer", CipherSuite: HPKESuite{1, 1}, ConfigID: 3, EncLength: 1, PayloadLength: 2}, ""},
		{"empty", nil, nil, "empty"},
		{"inner with data", []byte{1, 0}, nil, "inner with 1 bytes"},
		{"unknown type", []byte{2}, nil, "unknown ECHClientHelloType 2"},
		{"truncated", []byte{0, 0, 1, 0}, nil, "truncated outer"},
		{"empty payload", []byte{0, 0, 1, 0, 1, 3, 0, 0, 0, 0}, nil, "empty payload"},
		{"trailing", []byte{0, 0, 1, 0, 1, 3, 0, 0, 0, 1, 9, 9}, nil, "1 trailing bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseECHClientHello(tc.data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

// TestECHConfigWithGo: a config built by this codec is one Go's crypto/tls accepts on both
// sides, and the outer ClientHello it sends decodes, public name and all.
func TestECHConfigWithGo(t *testing.T) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testECHConfig()
	cfg.PublicKey = priv.PublicKey().Bytes()
	cfg.Extensions = nil
	raw, err := MarshalECHConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := MarshalECHConfigList(raw)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := selfSigned(t, key, "ech") // for example.test, the name ECH hides
	inner := make(chan string, 1)
	srv := &tls.Config{
		Certificates:             []tls.Certificate{cert},
		EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: raw, PrivateKey: priv.Bytes()}},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			inner <- h.ServerName
			return nil, nil
		},
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	client, server := net.Pipe()
	defer client.Close()
	wireHello := make(chan []byte, 1)
	go func() {
		defer server.Close()
		tap := &firstRead{Conn: server, got: wireHello}
		s := tls.Server(tap, srv)
		_ = s.HandshakeContext(context.Background())
	}()
	c := tls.Client(client, &tls.Config{ServerName: "example.test", RootCAs: pool, EncryptedClientHelloConfigList: list, MinVersion: tls.VersionTLS13})
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if !c.ConnectionState().ECHAccepted {
		t.Fatal("ECH not accepted")
	}
	if got := <-inner; got != "example.test" {
		t.Errorf("server saw inner SNI %q", got)
	}
	recs, _, err := ParseRecords(<-wireHello)
	if err != nil || len(recs) == 0 {
		t.Fatalf("records: %v", err)
	}
	ch, err := ParseClientHello(recs[0].Payload[4:])
	if err != nil {
		t.Fatal(err)
	}
	if ch.ServerName != "public.example" || ch.ECH == nil || ch.ECH.Type != "outer" || ch.ECH.ConfigID != cfg.ConfigID {
		t.Errorf("outer hello: SNI %q, ECH %+v", ch.ServerName, ch.ECH)
	}
}

// firstRead hands over the client's first record, once the server has read all of it.
type firstRead struct {
	net.Conn
	got  chan []byte
	buf  []byte
	sent bool
}

func (f *firstRead) Read(b []byte) (int, error) {
	n, err := f.Conn.Read(b)
	if !f.sent {
		f.buf = append(f.buf, b[:n]...)
		if recs, _, perr := ParseRecords(f.buf); perr == nil && len(recs) > 0 {
			f.sent = true
			f.got <- f.buf
		}
	}
	return n, err
}
