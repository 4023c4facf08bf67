#!/usr/bin/env bash
# bench-selfsign.sh: how long `tlskit cert selfsign localhost` takes next to the equivalent
# `openssl req -x509` (both make an ECDSA P-256 key and a self-signed certificate).
#
# It builds tlskit once, then runs N iterations of each tool, interleaved (tlskit, openssl,
# tlskit, openssl, ...) so that machine noise hits both alike, after one untimed warm-up run of
# each. Each run is timed on its own; the script prints total and median wall time per tool and
# the ratio of the medians. It is a measurement, not a test: it exits 0 whatever the ratio, and
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
openssl=$(command -v openssl) || {
	echo "bench-selfsign: openssl not on PATH" >&2
	exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "building tlskit..." >&2
die() {
	echo "bench-selfsign: $*" >&2
	exit 1
}
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_tlskit "$repo" "$tmp"
mkdir "$tmp/work"
cd "$tmp/work"

# now_us sets now to the time in microseconds. Bash 5's EPOCHREALTIME is read without starting a
# process or subshell; older shells fall back to date(1), whose start-up then adds the same
# overhead to both tools.
if [[ -n ${EPOCHREALTIME:-} ]]; then
	now_us() { now=${EPOCHREALTIME//[.,]/}; now=$((10#$now)); }
else
	now_us() { now=$(($(date +%s%N) / 1000)); }
fi

run_tlskit() { "$tlskit" cert selfsign localhost --force >/dev/null 2>&1; }
run_openssl() {
	"$openssl" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=localhost -keyout k.pem -out c.pem >/dev/null 2>&1
}

# time_one NAME FUNC appends one run's duration (µs) to $tmp/NAME.times.
time_one() {
	local start
	now_us
	start=$now
	if ! "$2"; then
		echo "bench-selfsign: $1 failed; run it by hand in $tmp/work to see why" >&2
		trap - EXIT
		exit 1
	fi
	now_us
	echo $((now - start)) >>"$tmp/$1.times"
}

run_tlskit && run_openssl || {
	echo "bench-selfsign: warm-up run failed" >&2
	exit 1
}
for ((i = 0; i < n; i++)); do
	time_one tlskit run_tlskit
	time_one openssl run_openssl
done

# stats FILE prints "total_ms median_ms".
stats() {
	sort -n "$1" | awk '{ v[NR] = $1; sum += $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.1f %.2f\n", sum / 1000, m / 1000
		}'
}
read -r tk_total tk_median < <(stats "$tmp/tlskit.times")
read -r os_total os_median < <(stats "$tmp/openssl.times")

echo "tlskit:  $("$tlskit" version -o json 2>/dev/null | awk -F'"' '/"version"/ { print $4 }') (built from $repo)"
echo "openssl: $("$openssl" version)"
echo "runs:    $n per tool, interleaved, after one warm-up each; $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
printf '%-8s %12s %12s\n' tool "total (ms)" "median (ms)"
printf '%-8s %12s %12s\n' tlskit "$tk_total" "$tk_median"
printf '%-8s %12s %12s\n' openssl "$os_total" "$os_median"
awk -v a="$tk_median" -v b="$os_median" 'BEGIN {
	if (b > 0) printf "ratio (tlskit/openssl, median): %.2f\n", a / b
	else print "ratio (tlskit/openssl, median): n/a"
}'
exit 0
