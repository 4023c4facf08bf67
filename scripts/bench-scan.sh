#!/usr/bin/env bash
# bench-scan.sh: time `tlskit scan` (its default checks) against sslscan on a local openssl
# s_server that accepts everything (-cipher ALL:@SECLEVEL=0), and check both find the same
# (version, suite) pairs; then once against testssl.sh's default run on the same server, and
# count the connections tlskit opens in its busiest second through a relay (scripts/lib/connrate.py).
# Usage: scripts/bench-scan.sh [ROUNDS]   (default 3; SMOKE=1 runs 1 round and no testssl).
# Always exits 0 once the benchmark has run: the ratios (targets <= 0.3 sslscan, <= 0.05 testssl)
# and the peak rate (at most --rate) are reported, not enforced.
set -uo pipefail

ROUNDS=${1:-3}
[[ "${SMOKE:-}" == 1 ]] && ROUNDS=1
root=$(cd "$(dirname "$0")/.." && pwd)

for tool in openssl sslscan go; do
	command -v "$tool" >/dev/null || { echo "bench-scan: $tool not found" >&2; exit 1; }
done

# shellcheck source=lib/bench.sh
. "$root/scripts/lib/bench.sh"
bench_setup bench-scan
bench_tlskit "$root" "$tmp" # the release build, or $TLSKIT_BIN
tk=$tlskit
cd "$tmp"
"$tk" ca create --dir ca >/dev/null 2>&1
"$tk" cert issue localhost 127.0.0.1 --ca-dir ca --key-type rsa-2048 --out rsa.pem --key-out rsa-key.pem >/dev/null 2>&1

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert rsa.pem -key rsa-key.pem -www -quiet -cipher 'ALL:@SECLEVEL=0' >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.05
done
target="127.0.0.1:$port"

now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# tlskit's JSON -> "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" lines
tk_pairs() {
	if command -v jq >/dev/null; then
		jq -r '.versions[] | select(.supported) | .version as $v | .suites[] | "\($v) \(.openssl_name)"' "$1" | sed 's/^TLS /TLSv/; s/^SSL 3.0/SSLv3/'
	else
		python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for v in r["versions"]:
    if v["supported"]:
        for s in v["suites"]:
            print(v["version"].replace("TLS ", "TLSv").replace("SSL 3.0", "SSLv3"), s["openssl_name"])' "$1"
	fi | sort -u
}
ss_pairs() { grep -o '<cipher [^>]*>' "$1" | sed -E 's/.*sslversion="([^"]*)".*cipher="([^"]*)".*/\1 \2/' | sort -u; }

# time_tk OUT ARGS...: runs tlskit scan, prints seconds
time_tk() {
	local out=$1; shift
	local t0; t0=$(now)
	"$tk" scan "$target" --sni localhost -o json --fail-on none "$@" >"$out" 2>/dev/null
	awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b-a}'
}

declare -a T_TK T_FAST T_SS SAME SAME_FAST
for r in $(seq "$ROUNDS"); do
	T_TK+=("$(time_tk "tk$r.json")")
	t0=$(now)
	sslscan --no-colour "$target" >"ss$r.txt" 2>&1
	T_SS+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b-a}')")
	T_FAST+=("$(time_tk "tkf$r.json" --rate 400 --parallel 16)")
	# the pairs from sslscan's XML (a separate, untimed run)
	sslscan --no-colour --xml=- "$target" >"ss$r.xml" 2>/dev/null
	ss_pairs "ss$r.xml" >"ss$r.pairs"
	tk_pairs "tk$r.json" >"tk$r.pairs"
	tk_pairs "tkf$r.json" >"tkf$r.pairs"
	if cmp -s "tk$r.pairs" "ss$r.pairs"; then SAME+=(yes); else SAME+=(NO); fi
	if cmp -s "tkf$r.pairs" "ss$r.pairs"; then SAME_FAST+=(yes); else SAME_FAST+=(NO); fi
	printf 'round %d: tlskit %ss (%d pairs), tlskit --rate 400 --parallel 16 %ss (%d pairs), sslscan %ss (%d pairs); identical: %s / %s\n' \
		"$r" "${T_TK[-1]}" "$(wc -l <"tk$r.pairs")" "${T_FAST[-1]}" "$(wc -l <"tkf$r.pairs")" "${T_SS[-1]}" "$(wc -l <"ss$r.pairs")" "${SAME[-1]}" "${SAME_FAST[-1]}"
	if [[ "${SAME[-1]}" == NO || "${SAME_FAST[-1]}" == NO ]]; then
		echo "  differences (< tlskit default, > sslscan):"; diff "tk$r.pairs" "ss$r.pairs" | grep '^[<>]' | sed 's/^/    /'
		[[ "${SAME_FAST[-1]}" == NO ]] && { echo "  (< tlskit fast, > sslscan):"; diff "tkf$r.pairs" "ss$r.pairs" | grep '^[<>]' | sed 's/^/    /'; }
	fi
done

m_tk=$(printf '%s\n' "${T_TK[@]}" | median)
m_fast=$(printf '%s\n' "${T_FAST[@]}" | median)
m_ss=$(printf '%s\n' "${T_SS[@]}" | median)
echo
echo "rounds: $ROUNDS"
echo "median tlskit scan:                          ${m_tk}s"
echo "median tlskit scan --rate 400 --parallel 16: ${m_fast}s"
echo "median sslscan:                              ${m_ss}s"
awk -v a="$m_tk" -v b="$m_ss" 'BEGIN {r=a/b; printf "ratio tlskit/sslscan (default):       %.3f (target <= 0.3: %s)\n", r, (r <= 0.3 ? "met" : "NOT met")}'
awk -v a="$m_fast" -v b="$m_ss" 'BEGIN {r=a/b; printf "ratio tlskit/sslscan (rate 400, p16): %.3f (target <= 0.3: %s)\n", r, (r <= 0.3 ? "met" : "NOT met")}'
echo "(version, suite) sets identical per round (default): ${SAME[*]}"
echo "(version, suite) sets identical per round (fast):    ${SAME_FAST[*]}"

# The busiest second of connections, through a relay that logs each accept, at --rate 100 (so
# the bound is visible well below what the relay and s_server can take).
rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$root/scripts/lib/connrate.py" "$rport" "$port" accepts.log &
pids+=($!)
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$rport") 2>/dev/null && break
	sleep 0.05
done
: >accepts.log # the readiness probe's connection is not tlskit's
"$tk" scan "127.0.0.1:$rport" --sni localhost -o json --fail-on none --rate 100 >rate.json 2>/dev/null
peak=$(awk '{t[NR]=$1} END {m=0; j=1; for (i=1; i<=NR; i++) {while (t[i]-t[j] >= 1) j++; if (i-j+1 > m) m=i-j+1}; print m}' accepts.log)
echo "connections: $(wc -l <accepts.log); busiest second at --rate 100: $peak (bound: 100)"

if [[ "${SMOKE:-}" != 1 ]] && command -v testssl >/dev/null; then
	t0=$(now)
	testssl --quiet --color 0 --warnings off --nodns none "$target" >testssl.txt 2>&1
	t_ts=$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f\n", b-a}')
	echo "testssl default run:                         ${t_ts}s"
	awk -v a="$m_tk" -v b="$t_ts" 'BEGIN {r=a/b; printf "ratio tlskit/testssl (default):      %.4f (target <= 0.05: %s)\n", r, (r <= 0.05 ? "met" : "NOT met")}'
fi
exit 0
