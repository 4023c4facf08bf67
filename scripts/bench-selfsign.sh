#!/usr/bin/env bash
# bench-selfsign.sh: how long `tlskit cert selfsign localhost` takes next to the equivalent
# `openssl req -x509` (both make an ECDSA P-256 key and a self-signed certificate).
#
# It builds tlskit once, then runs N iterations of each tool, interleaved (tlskit, openssl,
# tlskit, openssl, ...) so that machine noise hits both alike, after one untimed warm-up run of
# each. Each run is timed on its own; the script prints the median wall time per tool and the
# ratio of the medians (scripts/lib/bench.sh). It is a measurement, not a test: it exits 0 whatever the ratio, and
# non-zero only when it cannot measure (build failure, a run that fails, no openssl).
#
# Usage: scripts/bench-selfsign.sh          # N=50
#        N=200 scripts/bench-selfsign.sh
#        SMOKE=1 scripts/bench-selfsign.sh  # N=5, for CI
set -euo pipefail

n=${N:-50}
if [[ ${SMOKE:-} == 1 ]]; then
	n=5
fi
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
	echo "bench-selfsign: N must be a positive integer, not '$n'" >&2
	exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_setup bench-selfsign
openssl=$(command -v openssl) || die "openssl not on PATH"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"

echo "building tlskit..." >&2
bench_tlskit "$repo" "$tmp"
mkdir "$tmp/work"
cd "$tmp/work"

run_tlskit() { "$tlskit" cert selfsign localhost --force; }
run_openssl() {
	"$openssl" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=localhost -keyout k.pem -out c.pem
}

run_tlskit >/dev/null 2>&1 && run_openssl >/dev/null 2>&1 || die "warm-up run failed"
echo "tlskit:  $("$tlskit" version -o json 2>/dev/null | awk -F'"' '/"version"/ { print $4 }') (built from $repo)"
echo "openssl: $("$openssl" version)"
echo "CPUs:    $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?'), one warm-up run of each"
bench_versus "$n" "tlskit cert selfsign" "openssl req -x509" "<= 1.00"
exit 0
