package scan

import (
	"math/big"
	"sync"
)

// The published finite-field groups a server's DHE prime is compared with. They are not
// stored as hex: each is defined by its RFC as a formula over the binary expansion of pi
// (RFC 2409 section 6, RFC 3526) or e (RFC 7919 appendix A),
//
//	p = 2^n - 2^(n-64) - 1 + 2^64 * ( floor(2^(n-130) * c) + k )
//
// with n the size, c pi or e, and k the RFC's offset, which makes p a safe prime; computing
// them avoids 40 KB of hex that one typo would silently break (the test compares each with
// OpenSSL's copy, and RFC 2409's 1024-bit group with its published digits).
type dhGroupDef struct {
	name string
	bits uint
	e    bool // the constant is e, not pi
	k    int64
}

var dhGroupDefs = []dhGroupDef{
	{"RFC 2409 group 1 (768-bit MODP)", 768, false, 149686},
	{"RFC 2409 group 2 (1024-bit MODP)", 1024, false, 129093},
	{"RFC 3526 group 5 (1536-bit MODP)", 1536, false, 741804},
	{"RFC 3526 group 14 (2048-bit MODP)", 2048, false, 124476},
	{"RFC 3526 group 15 (3072-bit MODP)", 3072, false, 1690314},
	{"RFC 3526 group 16 (4096-bit MODP)", 4096, false, 240904},
	{"RFC 3526 group 17 (6144-bit MODP)", 6144, false, 929484},
	{"RFC 3526 group 18 (8192-bit MODP)", 8192, false, 4743158},
	{"ffdhe2048 (RFC 7919)", 2048, true, 560316},
	{"ffdhe3072 (RFC 7919)", 3072, true, 2625351},
	{"ffdhe4096 (RFC 7919)", 4096, true, 5736041},
	{"ffdhe6144 (RFC 7919)", 6144, true, 15705020},
	{"ffdhe8192 (RFC 7919)", 8192, true, 10965728},
}

// knownDHPrimes maps each published prime (big-endian bytes, as a string) to its name.
var knownDHPrimes = sync.OnceValue(func() map[string]string {
	const precision = 8192 // bits after the point: enough for floor(2^(n-130) * c), n <= 8192
	pi, e := fixedPi(precision), fixedE(precision)
	m := map[string]string{}
	for _, d := range dhGroupDefs {
		c := pi
		if d.e {
			c = e
		}
		// floor(2^(n-130) * c), with c scaled by 2^precision.
		f := new(big.Int).Rsh(c, uint(precision)-(d.bits-130))
		f.Add(f, big.NewInt(d.k))
		p := new(big.Int).Lsh(f, 64)
		p.Add(p, new(big.Int).Lsh(big.NewInt(1), d.bits))
		p.Sub(p, new(big.Int).Lsh(big.NewInt(1), d.bits-64))
		p.Sub(p, big.NewInt(1))
		m[string(p.Bytes())] = d.name
	}
	return m
})

// DHPrimeName is the name of a published group whose prime is p (big-endian), or "".
func DHPrimeName(p []byte) string {
	for len(p) > 0 && p[0] == 0 {
		p = p[1:]
	}
	return knownDHPrimes()[string(p)]
}

// fixedPi is pi * 2^bits, truncated: Machin's formula, pi = 16 atan(1/5) - 4 atan(1/239),
// with guard bits for the truncation of each term.
func fixedPi(bits uint) *big.Int {
	const guard = 64
	one := new(big.Int).Lsh(big.NewInt(1), bits+guard)
	pi := new(big.Int).Mul(big.NewInt(16), atanInv(5, one))
	pi.Sub(pi, new(big.Int).Mul(big.NewInt(4), atanInv(239, one)))
	return pi.Rsh(pi, guard)
}

// atanInv is atan(1/x) * one: the series 1/x - 1/(3x^3) + 1/(5x^5) - ...
func atanInv(x int64, one *big.Int) *big.Int {
	sum := new(big.Int)
	x2 := big.NewInt(x * x)
	term := new(big.Int).Div(one, big.NewInt(x)) // one / x^(2i+1)
	for i := int64(0); term.Sign() != 0; i++ {
		t := new(big.Int).Div(term, big.NewInt(2*i+1))
		if i%2 == 0 {
			sum.Add(sum, t)
		} else {
			sum.Sub(sum, t)
		}
		term.Div(term, x2)
	}
	return sum
}

// fixedE is e * 2^bits, truncated: the sum of 1/k!.
func fixedE(bits uint) *big.Int {
	const guard = 64
	term := new(big.Int).Lsh(big.NewInt(1), bits+guard)
	sum := new(big.Int)
	for k := int64(1); term.Sign() != 0; k++ {
		sum.Add(sum, term)
		term.Div(term, big.NewInt(k))
	}
	return sum.Rsh(sum, guard)
}
