#!/usr/bin/env bash
# bench-inspect.sh: how long `tlskit inspect BUNDLE -v` takes to show every certificate of the
# system CA bundle next to OpenSSL's way of printing every certificate of a bundle
# (`openssl crl2pkcs7 -nocrl -certfile BUNDLE | openssl pkcs7 -print_certs -text -noout`).
#
# It builds tlskit once (CGO_ENABLED=0) into a temporary directory, makes one untimed warm-up
# run of each, then times N rounds interleaved (tlskit, openssl, tlskit, openssl, ...) so that
# machine noise hits both alike, with bash's EPOCHREALTIME. It prints the median wall time of
# each and the ratio tlskit/openssl (target: <= 1.0). It is a measurement, not a test: it exits
# 0 whatever the ratio, and non-zero only when it cannot measure (no openssl, no bundle, a build
# or run failure).
#
# Usage: scripts/bench-inspect.sh            # N=20
#        N=100 scripts/bench-inspect.sh
#        BUNDLE=/path/to/bundle.pem scripts/bench-inspect.sh
#        SMOKE=1 scripts/bench-inspect.sh    # N=3, for CI
set -euo pipefail

n=${N:-20}
if [[ ${SMOKE:-} == 1 ]]; then
	n=3
fi
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
	echo "bench-inspect: N must be a positive integer, not '$n'" >&2
	exit 2
fi
bundle=${BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
if [[ ! -r $bundle ]]; then
	echo "bench-inspect: cannot read the CA bundle $bundle (set BUNDLE)" >&2
	exit 1
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_setup bench-inspect
openssl=$(command -v openssl) || die "openssl not on PATH"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"

echo "building tlskit..." >&2
bench_tlskit "$repo" "$tmp"

run_tlskit() { "$tlskit" inspect "$bundle" -v >/dev/null 2>"$tmp/err"; }
run_openssl() {
	"$openssl" crl2pkcs7 -nocrl -certfile "$bundle" 2>"$tmp/err" |
		"$openssl" pkcs7 -print_certs -text -noout >/dev/null 2>>"$tmp/err"
}

certs=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$bundle" || true)
echo "bundle: $bundle ($certs certificates, $(wc -c <"$bundle") bytes)"
echo "tlskit: $("$tlskit" version 2>/dev/null | head -n 1 || echo '?')"
echo "openssl: $("$openssl" version)"

# Warm-up (page cache, binaries), not timed.
run_tlskit || {
	echo "bench-inspect: tlskit inspect failed:" >&2
	cat "$tmp/err" >&2
	exit 1
}
run_openssl || {
	echo "bench-inspect: openssl failed:" >&2
	cat "$tmp/err" >&2
	exit 1
}

bench_versus "$n" "tlskit inspect -v" "openssl pkcs7 -text" "<= 1.00"
exit 0
