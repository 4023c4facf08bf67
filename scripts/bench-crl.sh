#!/usr/bin/env bash
# bench-crl.sh: checking a certificate against a large CRL, tlskit beside OpenSSL on the same
# files. It makes a CA with tlskit, a CRL of N_ENTRIES (default 20 000) revoked serials with
# `openssl ca -gencrl` (about 1 MB, as a large CA's partition), and times, interleaved:
#   tlskit verify leaf.pem --ca ca.pem --crl big.crl        (parse, signature, scope, lookup)
#   openssl verify -crl_check -CRLfile big.crl -CAfile ca.pem leaf.pem
# printing the medians and the ratio tlskit/openssl, then runs the Go benchmark of the library
# alone (BenchmarkCRL20000: the issue's budget is 20 ms). A measurement, not a test: it exits 0
# whatever the figures, non-zero only when it cannot measure.
#
# Usage: scripts/bench-crl.sh              # N=20 rounds
#        N=50 N_ENTRIES=100000 scripts/bench-crl.sh
#        SMOKE=1 scripts/bench-crl.sh      # N=3, 2 000 entries, for CI
set -euo pipefail

n=${N:-20}
entries=${N_ENTRIES:-20000}
if [[ ${SMOKE:-} == 1 ]]; then
	n=3 entries=2000
fi
[[ $n =~ ^[1-9][0-9]*$ && $entries =~ ^[1-9][0-9]*$ ]] || {
	echo "bench-crl: N and N_ENTRIES must be positive integers" >&2
	exit 2
}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_setup bench-crl
openssl=$(command -v openssl) || die "openssl not on PATH"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"

echo "building tlskit..." >&2
bench_tlskit "$repo" "$tmp"
bench_certs "$tmp"
cd "$tmp"

# The CA database openssl ca reads: N revoked serials (20 bytes, as public CAs use), with reasons.
expiry=$(date -u -d '+30 days' +%y%m%d%H%M%SZ)
revoked=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
awk -v n="$entries" -v e="$expiry" -v r="$revoked" 'BEGIN {
	srand(1)
	split("keyCompromise superseded cessationOfOperation affiliationChanged unspecified", reasons, " ")
	for (i = 0; i < n; i++) {
		s = "4"
		for (j = 0; j < 39; j++) s = s sprintf("%X", int(rand() * 16))
		printf "R\t%s\t%s,%s\t%s\tunknown\t/CN=revoked%d\n", e, r, reasons[i % 5 + 1], s, i
	}
}' >index.txt
printf '01\n' >crlnumber
printf '[ca]\ndefault_ca=local\n[local]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' >ca.cnf
"$openssl" ca -config ca.cnf -gencrl -cert ca/ca.pem -keyfile ca/ca-key.pem -out big.crl 2>"$tmp/err" || {
	cat "$tmp/err" >&2
	die "openssl ca -gencrl failed"
}

echo "crl: $entries entries, $(wc -c <big.crl) bytes PEM"
echo "tlskit: $("$tlskit" version 2>/dev/null | head -n 1 || echo '?')"
echo "openssl: $("$openssl" version)"

run_tlskit() { "$tlskit" verify leaf.pem --ca ca/ca.pem --crl big.crl; }
run_openssl() { "$openssl" verify -crl_check -CRLfile big.crl -CAfile ca/ca.pem leaf.pem; }
bench_time warmup run_tlskit
bench_time warmup run_openssl
bench_versus "$n" "tlskit verify --crl" "openssl verify -crl_check"

echo "library alone (parse, check, look up; 20 000 entries, budget 20 ms):"
(cd "$repo" && go test -run XXX -bench 'CRL20000$' -benchtime "${n}x" ./inspect/revocation) | grep -E '^Benchmark' |
	awk '{ printf "  %s %.2f ms/op\n", $1, $3 / 1e6 }'
exit 0
