#!/usr/bin/env bash
# bench-handshake.sh: how long `tlskit handshake` takes against a local `openssl s_server`, next
# to `openssl s_client -brief` and to the floor (scripts/bench-handshake: one crypto/tls dial and
# verified handshake, nothing recorded), and how long 1000 targets take with --concurrency 64.
#
# Targets (from the issue): tlskit <= 0.8x openssl's median wall time and <= 1.3x the floor's;
# 1000 loopback targets with --concurrency 64 in under 3 s.
#
# It builds tlskit and the floor once, makes a CA and a localhost certificate with tlskit, starts
# `openssl s_server -www` on 127.0.0.1, then runs N rounds, each running tlskit, openssl and the
# floor once (the order rotating from round to round, so machine noise and server state hit all
# alike), after one untimed warm-up of each. Every run is timed on its own with EPOCHREALTIME and
# writes its output to /dev/null, as s_client's does: a file would charge tlskit alone for a
# filesystem write (0.5 ms here). It prints total and median wall time per tool, the ratios of the
# medians, and the medians of the timings tlskit reports itself (handshake_ms, total_ms), taken
# from one more, untimed, run per round; they show what happens inside the process as opposed to
# around it (start-up, exit).
#
# Then N rounds against a Go TLS server (the floor's serve -hold), which sends its ticket with its
# last flight, tlskit and the floor only: the other way tickets arrive (informational ratio).
#
# The bulk test pipes BULK lines (1000) to `tlskit handshake - -o json --concurrency 64` against:
#   1. the one s_server (s_server takes connections one at a time, so it queues them);
#   2. four s_server processes on four ports, the targets spread round-robin;
#   3. the floor program's `serve`, a Go server that handshakes many connections at once and
#      closes each one right after its handshake;
#   4. the same with -hold: it keeps each connection open until the client closes, as s_server
#      -www (waiting for a request) and real servers do.
# Each prints the wall time and how many of the JSON lines have no "error" key.
#
# It is a measurement, not a test: it exits 0 whatever the numbers, and non-zero only when it
# cannot measure (no openssl, a build, the CA or a server failing to start, a run that fails).
#
# Usage: scripts/bench-handshake.sh           # N=30 rounds, BULK=1000
#        N=100 scripts/bench-handshake.sh
#        SMOKE=1 scripts/bench-handshake.sh   # N=3, for CI
#        BULK=2000 CONCURRENCY=128 scripts/bench-handshake.sh
#        TLSKIT_BIN=/tmp/tlskit-candidate scripts/bench-handshake.sh   # measure another build
set -euo pipefail

n=${N:-30}
if [[ ${SMOKE:-} == 1 ]]; then
	n=3
fi
bulk=${BULK:-1000}
concurrency=${CONCURRENCY:-64}
for v in "N:$n" "BULK:$bulk" "CONCURRENCY:$concurrency"; do
	if ! [[ ${v#*:} =~ ^[1-9][0-9]*$ ]]; then
		echo "bench-handshake: ${v%%:*} must be a positive integer, not '${v#*:}'" >&2
		exit 2
	fi
done
openssl=$(command -v openssl) || {
	echo "bench-handshake: openssl not on PATH" >&2
	exit 1
}
jq=$(command -v jq || true)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_setup bench-handshake

echo "building tlskit and the floor..." >&2
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/bench-handshake" ./scripts/bench-handshake) || die "building the floor failed"
bench_tlskit "$repo" "$tmp"
floorbin=$tmp/bench-handshake

bench_certs "$tmp"
ca=$tmp/ca/ca.pem
cd "$tmp"

# now_us sets now to the time in microseconds. Bash 5's EPOCHREALTIME is read without starting a
# process; older shells fall back to date(1), whose start-up then adds the same to every tool.
if [[ -n ${EPOCHREALTIME:-} ]]; then
	now_us() { now=${EPOCHREALTIME//[.,]/}; now=$((10#$now)); }
else
	now_us() { now=$(($(date +%s%N) / 1000)); }
fi

# start_server NAME CMD... starts a server listening on 127.0.0.1:$PORT (CMD's arguments may say
# PORT; it is replaced), on a free port picked at random, and waits until a verified handshake
# with it succeeds. It sets port, and adds the server's pid to pids. A port taken meanwhile means
# the server exits, and another port is tried.
start_server() {
	local name=$1 try i pid args
	shift
	for ((try = 0; try < 8; try++)); do
		port=$((20000 + RANDOM % 40000))
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			continue # in use
		fi
		args=("${@//PORT/$port}")
		"${args[@]}" </dev/null >"$tmp/$name.$port.log" 2>&1 &
		pid=$!
		pids+=("$pid")
		for ((i = 0; i < 100; i++)); do
			if "$floorbin" floor -addr "127.0.0.1:$port" -ca "$ca" -servername localhost 2>/dev/null; then
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$pid" 2>/dev/null || true
	done
	echo "bench-handshake: $name did not start; its last log:" >&2
	cat "$tmp/$name.$port.log" >&2 || true
	exit 1
}

s_server=("$openssl" s_server -accept 127.0.0.1:PORT -cert "$tmp/leaf.pem" -key "$tmp/leaf-key.pem" -www -quiet)
start_server s_server "${s_server[@]}"
sport=$port

# Text output, like s_client -brief's; out of a terminal it is the stable key: value form, which
# also carries tlskit's own timings (report_tlskit, untimed).
run_tlskit() { "$tlskit" handshake "localhost:$sport" --ca "$ca" >/dev/null; }
# The report is read from -o json, the machine interface (the text is for people).
report_tlskit() { "$tlskit" handshake "localhost:$sport" --ca "$ca" -o json >"$tmp/tlskit.json"; }
run_openssl() {
	"$openssl" s_client -connect "127.0.0.1:$sport" -servername localhost -brief -CAfile "$ca" </dev/null >/dev/null 2>&1
}
run_floor() { "$floorbin" floor -addr "127.0.0.1:$sport" -ca "$ca" -servername localhost; }
run_startup() { "$tlskit" version >/dev/null; }

# time_one NAME FUNC appends one run's duration (µs) to $tmp/NAME.times.
time_one() {
	local start
	now_us
	start=$now
	"$2" || die "$1 failed against 127.0.0.1:$sport (exit $?)"
	now_us
	echo $((now - start)) >>"$tmp/$1.times"
}

# Warm-up, which also checks that each tool verifies the chain.
report_tlskit || die "tlskit handshake failed in the warm-up"
grep -q '"verified": true' "$tmp/tlskit.json" || die "tlskit did not verify in the warm-up"
"$openssl" s_client -connect "127.0.0.1:$sport" -servername localhost -brief -CAfile "$ca" -verify_return_error \
	</dev/null 2>&1 | grep -q 'Verification: OK' || die "openssl s_client did not verify in the warm-up"
run_floor || die "the floor failed in the warm-up"
run_startup || die "tlskit version failed"

tools=(tlskit openssl floor)
for ((i = 0; i < n; i++)); do
	for ((j = 0; j < 3; j++)); do
		t=${tools[(i + j) % 3]}
		time_one "$t" "run_$t"
	done
	time_one startup run_startup
	report_tlskit || die "tlskit handshake failed against 127.0.0.1:$sport"
	sed -n 's/^ *"handshake_ms": *\([0-9.]*\),*$/\1/p' "$tmp/tlskit.json" >>"$tmp/hs_ms"
	sed -n 's/^ *"total_ms": *\([0-9.]*\),*$/\1/p' "$tmp/tlskit.json" >>"$tmp/total_ms"
done

# stats FILE DIVISOR prints "total median min p90" of FILE's numbers divided by DIVISOR.
stats() {
	sort -n "$1" | awk -v d="$2" '{ v[NR] = $1 / d; sum += $1 / d }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p = int(NR * 0.9 + 0.999); if (p < 1) p = 1
			printf "%.1f %.2f %.2f %.2f\n", sum, m, v[1], v[p]
		}'
}
read -r tk_total tk_median tk_min tk_p90 < <(stats "$tmp/tlskit.times" 1000)
read -r os_total os_median os_min os_p90 < <(stats "$tmp/openssl.times" 1000)
read -r fl_total fl_median fl_min fl_p90 < <(stats "$tmp/floor.times" 1000)
read -r st_total st_median st_min st_p90 < <(stats "$tmp/startup.times" 1000)
read -r _ hs_median hs_min hs_p90 < <(stats "$tmp/hs_ms" 1)
read -r _ in_median in_min in_p90 < <(stats "$tmp/total_ms" 1)

echo "tlskit:  $("$tlskit" version -o json 2>/dev/null | awk -F'"' '/"version"/ { print $4 }') ($([[ -n ${TLSKIT_BIN:-} ]] && echo "$tlskit" || echo "built from $repo")), $(go version | awk '{ print $3 }')"
echo "openssl: $("$openssl" version)"
echo "server:  openssl s_server -www on 127.0.0.1:$sport (ECDSA P-256 leaf issued by a tlskit CA)"
echo "runs:    $n rounds of tlskit, openssl, floor (order rotating), after one warm-up each; $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs"
echo
printf '%-26s %11s %12s %9s %9s\n' "wall time per run" "total (ms)" "median (ms)" "min (ms)" "p90 (ms)"
printf '%-26s %11s %12s %9s %9s\n' "tlskit handshake" "$tk_total" "$tk_median" "$tk_min" "$tk_p90"
printf '%-26s %11s %12s %9s %9s\n' "openssl s_client -brief" "$os_total" "$os_median" "$os_min" "$os_p90"
printf '%-26s %11s %12s %9s %9s\n' "floor (crypto/tls dial)" "$fl_total" "$fl_median" "$fl_min" "$fl_p90"
printf '%-26s %11s %12s %9s %9s\n' "tlskit version (start-up)" "$st_total" "$st_median" "$st_min" "$st_p90"
printf '%-26s %11s %12s %9s %9s\n' "  tlskit's timing.handshake_ms" "" "$hs_median" "$hs_min" "$hs_p90"
printf '%-26s %11s %12s %9s %9s\n' "  tlskit's timing.total_ms" "" "$in_median" "$in_min" "$in_p90"
echo
awk -v t="$tk_median" -v o="$os_median" -v f="$fl_median" 'BEGIN {
	verdict = (t <= 0.8 * o) ? "meets" : "misses"
	printf "ratio tlskit/openssl (medians): %.2f  (target <= 0.80: %s)\n", t / o, verdict
	verdict = (t <= 1.3 * f) ? "meets" : "misses"
	printf "ratio tlskit/floor   (medians): %.2f  (target <= 1.30: %s)\n", t / f, verdict
}'

# The same against a Go TLS server, which sends its session ticket right behind its Finished
# (s_server sends its two after the client's): the other way tickets arrive, which tlskit must
# not wait out. The floor's serve -hold keeps each connection until the client closes.
start_server go-serve-hold "$floorbin" serve -hold -addr 127.0.0.1:PORT -cert "$tmp/leaf.pem" -key "$tmp/leaf-key.pem"
gport=$port
run_tlskit_go() { "$tlskit" handshake "localhost:$gport" --ca "$ca" >/dev/null; }
run_floor_go() { "$floorbin" floor -addr "127.0.0.1:$gport" -ca "$ca" -servername localhost; }
run_tlskit_go || die "tlskit handshake failed against the Go server"
go_tools=(tlskit_go floor_go)
for ((i = 0; i < n; i++)); do
	for ((j = 0; j < 2; j++)); do
		t=${go_tools[(i + j) % 2]}
		time_one "$t" "run_$t"
	done
done
read -r _ tg_median _ _ < <(stats "$tmp/tlskit_go.times" 1000)
read -r _ fg_median _ _ < <(stats "$tmp/floor_go.times" 1000)
echo
awk -v t="$tg_median" -v f="$fg_median" 'BEGIN {
	printf "against a Go server (ticket with its flight): tlskit %.2f ms, floor %.2f ms, ratio %.2f\n", t, f, t / f
}'

# bulk LABEL PORT... runs BULK targets spread round-robin over the ports and reports.
bulk() {
	local label=$1 rc start ok lines
	shift
	awk -v n="$bulk" -v ports="$*" 'BEGIN { k = split(ports, p, " "); for (i = 0; i < n; i++) print "localhost:" p[i % k + 1] }' >"$tmp/targets"
	now_us
	start=$now
	rc=0
	"$tlskit" handshake - --ca "$ca" -o json --concurrency "$concurrency" <"$tmp/targets" >"$tmp/out.jsonl" 2>"$tmp/bulk.err" || rc=$?
	now_us
	case $rc in
	0 | 1 | 3) ;;
	*)
		cat "$tmp/bulk.err" >&2
		die "tlskit handshake - exited $rc in the bulk test ($label)"
		;;
	esac
	lines=$(wc -l <"$tmp/out.jsonl")
	if [[ -n $jq ]]; then
		ok=$("$jq" -c 'select(has("error") | not)' "$tmp/out.jsonl" | wc -l)
	else
		# The top-level "error" is the last key of a line; a nested one (verification) is not.
		ok=$(grep -c -v ',"error":".*"}$' "$tmp/out.jsonl" || true)
	fi
	awk -v us=$((now - start)) -v ok="$ok" -v lines="$lines" -v n="$bulk" -v label="$label" -v rc="$rc" 'BEGIN {
		s = us / 1e6
		verdict = (n == 1000) ? ((s < 3 && ok == n) ? "meets" : "misses") : "n/a, BULK is not 1000"
		printf "%-44s %6.2f s  %4d/%d ok (%d lines, exit %d)  target < 3 s: %s\n", label, s, ok, n, lines, rc, verdict
	}'
	if [[ -n $jq ]]; then
		"$jq" -rs 'def med: sort | .[(length - 1) / 2 | floor]; [.[].timing] | select(length > 0) |
			"\(map(.handshake_ms) | med) \(map(.handshake_ms) | max) \(map(.total_ms) | med) \(map(.total_ms) | max)"' \
			"$tmp/out.jsonl" | awk '{ printf "%-44s per target: handshake_ms median %.1f, max %.1f; total_ms median %.1f, max %.1f\n", "", $1, $2, $3, $4 }' || true
	fi
	if [[ -n $jq && $ok -lt $bulk ]]; then
		"$jq" -r 'select(has("error")) | .error' "$tmp/out.jsonl" | sort | uniq -c | sort -rn | head -3 | sed 's/^/    error: /' || true
	fi
}

echo
echo "bulk: $bulk targets, tlskit handshake - -o json --concurrency $concurrency (wall time, lines with no \"error\" key)"
bulk "1 s_server (one port)" "$sport"
ports=("$sport")
for ((k = 1; k < 4; k++)); do
	start_server s_server "${s_server[@]}"
	ports+=("$port")
done
bulk "4 s_servers (4 ports, round-robin)" "${ports[@]}"
start_server go-serve "$floorbin" serve -addr 127.0.0.1:PORT -cert "$tmp/leaf.pem" -key "$tmp/leaf-key.pem"
bulk "Go server (closes after the handshake)" "$port"
bulk "Go server -hold (waits for the client)" "$gport"
exit 0
