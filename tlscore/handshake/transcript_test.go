package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// ttRecord runs one handshake with a Go server at the given maximum version (which sends a
// session ticket in TLS 1.3). When the client asks, after its Finished, the server sends an
// application data record and a close_notify alert, so the recording holds post-handshake
// records, protected under the application keys, as a real run's does. It returns the
// recording, the key log, and the index of the first chunk recorded after the handshake.
func ttRecord(t testing.TB, maxVersion uint16) (chunks []Chunk, keylog []byte, afterHandshake int) {
	t.Helper()
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, peertest.ServerConfig(t))
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		if _, err := io.ReadFull(tc, make([]byte, 1)); err != nil {
			return
		}
		tc.Write([]byte("hello after the handshake"))
		tc.CloseWrite()
		io.Copy(io.Discard, tc)
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rec := NewRecordingConn(conn, time.Now(), 0)
	var klog bytes.Buffer
	tc := tls.Client(rec, &tls.Config{
		ServerName: "localhost", RootCAs: peertest.Roots(t), MaxVersion: maxVersion,
		KeyLogWriter: &klog, ClientSessionCache: tls.NewLRUClientSessionCache(1),
	})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	afterHandshake = len(rec.Chunks())
	if _, err := tc.Write([]byte("?")); err != nil {
		t.Fatalf("asking for the post-handshake records: %v", err)
	}
	if got, err := io.ReadAll(tc); err != nil || string(got) != "hello after the handshake" {
		t.Fatalf("reading what the server sent after the handshake: %q, %v", got, err)
	}
	return rec.Chunks(), klog.Bytes(), afterHandshake
}

// ttVerbose asks for the verbose lines too, so they are compared as well.
var ttVerbose = decodeOptions{verbose: true}

// ttDecodeAll is the single pass: everything recorded, decoded at once.
func ttDecodeAll(chunks []Chunk, keylog []byte) *Result {
	res := &Result{}
	newTranscriptDecoder(chunks, keylog, ttVerbose).finish(res, nil)
	return res
}

// TestTranscriptDecoderIncremental checks that decoding a recording in two goes, as Handshake
// does (what was there when the handshake ended, then the rest once the tickets are in), gives
// exactly the timeline of one pass, wherever the recording is split.
func TestTranscriptDecoderIncremental(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		maxVersion uint16
	}{
		{"TLS 1.3", tls.VersionTLS13},
		{"TLS 1.2", tls.VersionTLS12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			chunks, keylog, _ := ttRecord(t, tc.maxVersion)
			want := ttDecodeAll(chunks, keylog)
			if len(want.Steps) < 6 {
				t.Fatalf("the single pass found only %d steps: %+v", len(want.Steps), want.Steps)
			}
			if tc.maxVersion == tls.VersionTLS13 {
				if want.Resumption == nil || !want.Resumption.TicketOffered {
					t.Fatalf("the single pass found no session ticket: %+v", want.Steps)
				}
				for _, s := range want.Steps {
					if s.Message == "EncryptedRecord" {
						t.Fatalf("a record was not decrypted: %+v", s)
					}
				}
			}
			if last := want.Steps[len(want.Steps)-1]; last.Message != "Alert" || last.Direction != Received {
				t.Fatalf("the single pass did not end with the server's close_notify: %s", ttNames(want.Steps))
			}
			for k := 0; k <= len(chunks); k++ {
				// Once the ServerHello is in, the second feed must only append, never start over.
				d := newTranscriptDecoder(chunks[:k], keylog, ttVerbose)
				d.feed(chunks)
				if d.haveServerHello && (d.outOfOrder || !reflect.DeepEqual(d.steps, want.Steps)) {
					t.Errorf("split after %d of %d chunks: feeding the rest did not append to what was decoded (out of order: %v)\n got: %s\nwant: %s",
						k, len(chunks), d.outOfOrder, ttNames(d.steps), ttNames(want.Steps))
				}
				got := &Result{}
				newTranscriptDecoder(chunks[:k], keylog, ttVerbose).finish(got, chunks)
				if !reflect.DeepEqual(got.Steps, want.Steps) {
					t.Errorf("split after %d of %d chunks: steps differ from the single pass\n got: %s\nwant: %s",
						k, len(chunks), ttNames(got.Steps), ttNames(want.Steps))
				}
				if !reflect.DeepEqual(got.Resumption, want.Resumption) || got.notTLS != want.notTLS {
					t.Errorf("split after %d: resumption %+v notTLS %q, want %+v %q", k, got.Resumption, got.notTLS, want.Resumption, want.notTLS)
				}
			}
		})
	}
}

// TestTranscriptDecoderOutOfOrder feeds records whose times go back before what was already
// decoded, which appending cannot represent: the result must still be the single pass's.
func TestTranscriptDecoderOutOfOrder(t *testing.T) {
	t.Parallel()
	chunks, keylog, after := ttRecord(t, tls.VersionTLS13)
	shifted := append([]Chunk(nil), chunks...)
	// The chunks after the handshake claim to be from before the first one.
	for i := after; i < len(shifted); i++ {
		shifted[i].At = shifted[0].At - time.Duration(len(shifted)-i)*time.Microsecond
	}
	want := ttDecodeAll(shifted, keylog)
	got := &Result{}
	newTranscriptDecoder(shifted[:after], keylog, ttVerbose).finish(got, shifted)
	if !reflect.DeepEqual(got.Steps, want.Steps) {
		t.Errorf("steps differ from the single pass\n got: %s\nwant: %s", ttNames(got.Steps), ttNames(want.Steps))
	}
	if len(want.Steps) == 0 || want.Steps[0].Direction != Received {
		t.Errorf("the shifted records should come first in the single pass: %s", ttNames(want.Steps))
	}
}

func ttNames(steps []Step) string {
	var b bytes.Buffer
	for _, s := range steps {
		b.WriteString(string(s.Direction)[:4] + ":" + s.Message + "@" + time.Duration(s.AtMs*1e6).String() + " ")
	}
	return b.String()
}

// TestTranscriptDetailOnlyWhenVerbose checks that the verbose lines are worked out only when
// asked for, and then for the messages that have them.
func TestTranscriptDetailOnlyWhenVerbose(t *testing.T) {
	t.Parallel()
	chunks, keylog, _ := ttRecord(t, tls.VersionTLS13)
	quiet := &Result{}
	newTranscriptDecoder(chunks, keylog, decodeOptions{}).finish(quiet, nil)
	for _, s := range quiet.Steps {
		if s.Detail != nil {
			t.Errorf("%s %s has detail lines without verbose: %q", s.Direction, s.Message, s.Detail)
		}
	}
	verbose := ttDecodeAll(chunks, keylog)
	var withDetail []string
	for _, s := range verbose.Steps {
		if len(s.Detail) > 0 {
			withDetail = append(withDetail, string(s.Direction)+" "+s.Message)
		}
	}
	for _, want := range []string{"sent ClientHello", "received ServerHello", "received Certificate"} {
		if !slices.Contains(withDetail, want) {
			t.Errorf("verbose: %s has no detail lines (those with: %v)", want, withDetail)
		}
	}
}

// FuzzTranscriptIncremental feeds the decoder recordings whose received bytes are arbitrary,
// cut into chunks at arbitrary places, and checks the property Handshake relies on: decoding
// the first part and then the rest gives what one pass over everything gives. Seeds are a
// real TLS 1.3 and TLS 1.2 recording.
func FuzzTranscriptIncremental(f *testing.F) {
	type recording struct {
		sent, received []byte
		keylog         []byte
	}
	var seeds []recording
	for _, v := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		chunks, keylog, _ := ttRecord(f, v)
		var r recording
		for _, c := range chunks {
			if c.Dir == Sent {
				r.sent = append(r.sent, c.Data...)
			} else {
				r.received = append(r.received, c.Data...)
			}
		}
		r.keylog = keylog
		seeds = append(seeds, r)
	}
	for i, r := range seeds {
		f.Add(uint8(i), r.received, uint16(len(r.received)/3), uint16(len(r.received)/2), uint16(len(r.received)))
		f.Add(uint8(i), r.received[:len(r.received)/2], uint16(7), uint16(300), uint16(301))
	}
	f.Fuzz(func(t *testing.T, which uint8, received []byte, a, b, split uint16) {
		r := seeds[int(which)%len(seeds)]
		// The client's bytes first, then the server's in up to three chunks, in time order.
		cuts := []int{int(a) % (len(received) + 1), int(b) % (len(received) + 1)}
		if cuts[0] > cuts[1] {
			cuts[0], cuts[1] = cuts[1], cuts[0]
		}
		chunks := []Chunk{{Dir: Sent, At: time.Microsecond, Data: r.sent}}
		prev := 0
		for i, c := range append(cuts, len(received)) {
			if c > prev {
				chunks = append(chunks, Chunk{Dir: Received, At: time.Duration(i+2) * time.Millisecond, Data: received[prev:c]})
			}
			prev = c
		}
		k := int(split) % (len(chunks) + 1)
		want := &Result{}
		newTranscriptDecoder(chunks, r.keylog, ttVerbose).finish(want, nil)
		got := &Result{}
		newTranscriptDecoder(chunks[:k], r.keylog, ttVerbose).finish(got, chunks)
		if !reflect.DeepEqual(got.Steps, want.Steps) || got.notTLS != want.notTLS || !reflect.DeepEqual(got.Resumption, want.Resumption) {
			t.Fatalf("split after %d of %d chunks differs from one pass\n got: %s (notTLS %q)\nwant: %s (notTLS %q)",
				k, len(chunks), ttNames(got.Steps), got.notTLS, ttNames(want.Steps), want.notTLS)
		}
	})
}
