package scan

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// robotVariant is one way of padding the premaster secret for RSA key transport, as the ROBOT
// paper (Böck, Somorovsky, Young, 2017) lists them: a server whose answers tell any of them
// apart from the others is a Bleichenbacher oracle.
type robotVariant struct {
	name string
	// pad builds the k-byte encryption block for a 48-byte premaster secret of the version.
	pad func(k int, version uint16) []byte
}

// nonzero fills n bytes with random non-zero bytes, as PKCS#1 v1.5 padding is.
func nonzero(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		for b[i] == 0 {
			_, _ = rand.Read(b[i : i+1])
		}
	}
	return b
}

// pkcs1Block is 00 02 PADDING 00 MESSAGE for a k-byte modulus.
func pkcs1Block(k int, msg []byte) []byte {
	block := append([]byte{0, 2}, nonzero(k-3-len(msg))...)
	return append(append(block, 0), msg...)
}

func premaster(version uint16) []byte {
	pms := make([]byte, 48)
	_, _ = rand.Read(pms)
	pms[0], pms[1] = byte(version>>8), byte(version)
	return pms
}

var robotVariants = []robotVariant{
	{"well-formed", func(k int, v uint16) []byte { return pkcs1Block(k, premaster(v)) }},
	{"wrong first bytes (0x41 0x17)", func(k int, v uint16) []byte {
		b := pkcs1Block(k, premaster(v))
		b[0], b[1] = 0x41, 0x17
		return b
	}},
	{"0x00 in the wrong place", func(k int, v uint16) []byte {
		// The separator 11 bytes early: the message that follows is 59 bytes, not 48.
		b := pkcs1Block(k, premaster(v))
		b[k-49], b[k-60] = nonzero(1)[0], 0
		return b
	}},
	{"no 0x00 separator", func(k int, v uint16) []byte {
		b := pkcs1Block(k, premaster(v))
		b[k-49] = nonzero(1)[0]
		return b
	}},
	{"wrong version in the premaster secret", func(k int, v uint16) []byte { return pkcs1Block(k, premaster(0x0202)) }},
}

// robot sends, on one connection each, a ClientKeyExchange of every robotVariant, then
// ChangeCipherSpec and a Finished that cannot be right, and compares how the server ends each
// connection. A fixed server ends them all alike (it rejects a bad padding implicitly, with a
// random premaster secret, and fails on the Finished); one whose answers differ is an oracle
// that lets an attacker decrypt or sign with its key (ROBOT, CVE-2017-13099 and its siblings).
// When the full flow shows no difference, the paper's shortened flow (the ClientKeyExchange
// alone) is tried too: some oracles answered a bad padding at once and a good one not at all.
func (s *scanner) robot(ctx context.Context, found map[uint16][]uint16) Check {
	c := Check{ID: "robot"}
	v, rsaSuites := robotSuites(found)
	if len(rsaSuites) == 0 {
		c.Verdict, c.Sent, c.Received = NotApplicable, "nothing", "no RSA key transport suite is accepted"
		return c
	}
	c.Sent = fmt.Sprintf("%d %s ClientKeyExchanges of RSA key transport, one a connection: %s", len(robotVariants), wire.VersionName(v), variantNames(robotVariants))
	full := s.robotFlow(ctx, v, rsaSuites, robotVariants, true, s.opts.Timeout)
	if full.verdict != NotVulnerable {
		c.Verdict, c.Received = full.verdict, "with ChangeCipherSpec and Finished, "+full.evidence
		return c
	}
	// The shortened flow leaves a fixed server waiting for the rest, so how long to wait for an
	// early answer is bounded by how long the full flow's answers took (an oracle answers a bad
	// padding as fast as it answers a bad Finished), not by the probe timeout; then the rest is
	// sent.
	wait := min(s.opts.Timeout, max(robotShortWait, 3*full.slowest))
	c.Sent += "; then " + variantNames(robotShortVariants) + " without ChangeCipherSpec and Finished until an answer or a wait"
	short := s.robotFlow(ctx, v, rsaSuites, robotShortVariants, false, wait)
	switch short.verdict {
	case NotVulnerable:
		c.Verdict, c.Received = NotVulnerable, "the same answer to every padding: "+full.same+"; without ChangeCipherSpec and Finished, "+short.same
	default:
		c.Verdict, c.Received = short.verdict, "without ChangeCipherSpec and Finished, "+short.evidence
	}
	return c
}

// robotShortVariants are the paddings the shortened flow compares: the well-formed one with the
// two malformations the oracles of the paper's shortened flow told apart (the first bytes, the
// separator). Each connection holds a server that serves one at a time for its wait, so the
// flow keeps to three.
var robotShortVariants = []robotVariant{robotVariants[0], robotVariants[1], robotVariants[3]}

// robotShortWait is the least a shortened-flow connection waits for an early answer.
const robotShortWait = 30 * time.Millisecond

// robotSuites picks the highest legacy version that accepts an RSA key transport suite, with
// those suites: a server may keep RSA key transport in TLS 1.0 only.
func robotSuites(found map[uint16][]uint16) (uint16, []uint16) {
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
		var rsaSuites []uint16
		for _, id := range found[v] {
			if cs, ok := wire.CipherSuiteByID(id); ok && cs.KeyExchange == "RSA" && !cs.Export {
				rsaSuites = append(rsaSuites, id)
			}
		}
		if len(rsaSuites) > 0 {
			return v, rsaSuites
		}
	}
	return 0, nil
}

// robotResult is what one flow of the ROBOT check showed.
type robotResult struct {
	verdict  Verdict
	evidence string
	// same is the one answer every padding got, when they all got one.
	same string
	// slowest is the longest any connection waited for its answer.
	slowest time.Duration
}

// robotFlow sends every variant once (twice when the answers differ, since a difference from a
// dropped connection is no oracle). An answer that proves nothing in either round makes the
// flow inconclusive: it cannot be compared.
func (s *scanner) robotFlow(ctx context.Context, v uint16, suites []uint16, variants []robotVariant, finish bool, wait time.Duration) robotResult {
	round := func() ([]string, time.Duration) {
		answers := make([]string, len(variants))
		took := make([]time.Duration, len(variants))
		var wg sync.WaitGroup
		for i, rv := range variants {
			wg.Go(func() { answers[i], took[i] = s.robotTry(ctx, v, suites, rv, finish, wait) })
		}
		wg.Wait()
		return answers, slices.Max(took)
	}
	answers, slowest := round()
	if unusable(answers) {
		return robotResult{verdict: Inconclusive, evidence: robotSummary(variants, answers)}
	}
	if !differs(answers) {
		return robotResult{verdict: NotVulnerable, evidence: "the same answer to every padding: " + answers[0], same: answers[0], slowest: slowest}
	}
	again, _ := round()
	if unusable(again) || !slices.Equal(answers, again) {
		return robotResult{verdict: Inconclusive, evidence: "the answers changed between two rounds: " + robotSummary(variants, answers) + " / " + robotSummary(variants, again)}
	}
	return robotResult{verdict: Vulnerable, evidence: "the server tells the paddings apart: " + robotSummary(variants, answers)}
}

// unusable says whether any answer proves nothing (starts with "?").
func unusable(answers []string) bool {
	return slices.ContainsFunc(answers, func(a string) bool { return strings.HasPrefix(a, "?") })
}

func variantNames(variants []robotVariant) string {
	var names []string
	for _, v := range variants {
		names = append(names, v.name)
	}
	return strings.Join(names, ", ")
}

func differs(answers []string) bool {
	for _, a := range answers[1:] {
		if a != answers[0] {
			return true
		}
	}
	return false
}

func robotSummary(variants []robotVariant, answers []string) string {
	var parts []string
	for i, a := range answers {
		parts = append(parts, variants[i].name+": "+strings.TrimPrefix(a, "?"))
	}
	return strings.Join(parts, "; ")
}

// robotTry runs one connection of the ROBOT check and says how the server ended it ("fatal
// bad_record_mac alert", "the connection closed", "no answer"); an answer that proves nothing
// starts with "?".
func (s *scanner) robotTry(ctx context.Context, v uint16, suites []uint16, rv robotVariant, finish bool, wait time.Duration) (string, time.Duration) {
	var said string
	var took time.Duration
	probe := Check{}
	s.firstFlightThen(ctx, &probe, s.helloSpec(v, suites), func(conn net.Conn, r *flightReader, ff firstFlight) {
		if len(ff.certs) == 0 {
			said = "?no certificate in the server's first flight"
			return
		}
		cert, err := x509.ParseCertificate(ff.certs[0])
		if err != nil {
			said = "?the server's certificate does not parse: " + err.Error()
			return
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			said = "?the server's certificate has no RSA key"
			return
		}
		if pub.N.BitLen() < robotMinBits {
			// The variants need room for 11 bytes of padding before a misplaced separator.
			said = fmt.Sprintf("?the server's RSA key has %d bits, too few to pad", pub.N.BitLen())
			return
		}
		k := (pub.N.BitLen() + 7) / 8
		m := new(big.Int).SetBytes(rv.pad(k, v))
		enc := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
		var b cryptobyte.Builder
		b.AddUint8(wire.TypeClientKeyExchange)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			if v == wire.VersionSSL30 {
				b.AddBytes(enc) // SSL 3.0 sends the bare ciphertext
				return
			}
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(enc) })
		})
		cke := b.BytesOrPanic()
		ccsFinished := wire.WrapRecords(wire.ContentChangeCipherSpec, v, []byte{1})
		// A Finished under keys the server cannot share: 64 random bytes, long enough for any
		// suite's record protection, so it fails on its MAC, never on its length.
		ccsFinished = append(ccsFinished, wire.WrapRecords(wire.ContentHandshake, v, randomBytes(64))...)
		flight := wire.WrapRecords(wire.ContentHandshake, v, cke)
		if finish {
			flight = append(flight, ccsFinished...)
		}
		if _, err := conn.Write(flight); err != nil {
			said = "?" + err.Error()
			return
		}
		start := time.Now()
		a := readAnswer(conn, r, wait)
		took = time.Since(start)
		if finish || !a.timeout {
			said = robotAnswer(a)
			if !finish {
				said = "before ChangeCipherSpec: " + said
			}
			return
		}
		// Nothing early: complete the flow, so a server that takes one connection at a time
		// (s_server) is not held for the probe timeout, and so the late answer is seen too.
		if _, err := conn.Write(ccsFinished); err != nil {
			said = "?" + err.Error()
			return
		}
		said = "nothing before ChangeCipherSpec and Finished, then " + robotAnswer(readAnswer(conn, r, s.opts.Timeout))
		if strings.Contains(said, "?") {
			said = "?" + strings.ReplaceAll(said, "?", "")
		}
	})
	if said == "" {
		said = "?" + probe.Received
	}
	return said, took
}

// robotAnswer says how the server ended a ROBOT connection ("fatal bad_record_mac alert", "the
// connection closed", "no answer", "a TCP reset"); an answer that proves nothing starts with "?".
func robotAnswer(a answer) string {
	switch {
	case a.alert != nil, a.closed, a.timeout:
		return a.says()
	case errors.Is(a.err, syscall.ECONNRESET):
		// A reset is an answer too: servers differ in it (the paper's "TCP reset").
		return "a TCP reset"
	case a.err != nil:
		return "?no usable answer"
	default:
		return "?" + a.says()
	}
}

// robotMinBits is the smallest modulus the variants fit in: 64 bytes.
const robotMinBits = 512
