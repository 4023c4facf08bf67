#!/usr/bin/env bash
# bench-serve.sh: full TLS handshakes per second that one load client gets from `tlskit serve`,
# from `openssl s_server -www` and from a minimal Go net/http TLS server, all with the same
# certificate, in one run.
#
# Targets (from the issue), with tlskit's per-connection logging on: tlskit at least 1.2x
# openssl's rate, and at least 0.9x the minimal Go server's (the limit of the engine tlskit is
# built on, crypto/tls and net/http).
#
# It builds tlskit and scripts/bench-serve once (CGO_ENABLED=0, as released), makes a CA and a
# localhost ECDSA P-256 certificate with tlskit, and starts on 127.0.0.1:
#   tlskit   tlskit serve --addr 127.0.0.1:0 --cert --key, stdout (the URL, then one log line per
#            connection and one per request) to a file;
#   openssl  openssl s_server -accept 127.0.0.1:PORT -cert -key -www -quiet;
#   gohttp   bench-serve gohttp: http.Server.ServeTLS with a handler writing a short fixed body.
# Then `bench-serve load` runs against each: CONCURRENCY (8) goroutines, each in a loop opening a
# fresh TCP connection, doing a full, verified handshake (no session cache, so no resumption),
# one HTTP/1.1 GET / (all three servers answer it; HTTP=0 for handshakes only) and closing. After
# an untimed warm-up of each, ROUNDS (2) rounds run each server for DURATION (10) seconds, the
# order rotating from round to round so that machine noise hits all three alike. A server's rate
# is its handshakes over its seconds, summed over the rounds. For each run it also reads the CPU
# time the server process used (/proc/PID/stat) and the client's own, per handshake, which shows
# where the machine's CPUs went. At the end tlskit is stopped (SIGTERM: it drains its log) and its
# log lines are counted: one per connection, so they should equal the handshakes sent to it (its
# request lines, one per GET, are counted apart).
#
# Reading it: the load client and the servers share the machine's CPUs, so a server's rate also
# depends on how much CPU it leaves the client; "srv us/hs" (its CPU time per handshake) is the
# steadier measure of its own cost. openssl s_server handles one connection at a time, so it uses
# at most one CPU and waits on the client between flights. The Go client offers X25519MLKEM768
# and X25519; OpenSSL 3.0-3.4 picks X25519, the Go servers the hybrid (KEX=x25519 evens that out).
# With PIN=1 the client gets one CPU of its own and can become the limit (the Go servers' rates
# then converge on the client's), so it shows server CPU per handshake rather than capacity.
#
# It is a measurement, not a test: it exits 0 whatever the ratios, and non-zero only when it
# cannot measure (no openssl, a build, the certificates or a server failing to start, a load run
# with no successful connection).
#
# Usage: scripts/bench-serve.sh                    # ROUNDS=2 x DURATION=10 s per server
#        SMOKE=1 scripts/bench-serve.sh            # one round of 1 s, for CI
#        ROUNDS=3 DURATION=20 scripts/bench-serve.sh
#        HTTP=0 scripts/bench-serve.sh             # handshake, then close: no request
#        KEX=x25519 scripts/bench-serve.sh         # the client offers only these key exchange groups
#        PIN=1 scripts/bench-serve.sh              # client on CPU 0, servers on the other CPUs (taskset)
#        TLSKIT_BIN=/tmp/tlskit-candidate scripts/bench-serve.sh   # measure another build
set -euo pipefail

rounds=${ROUNDS:-2}
duration=${DURATION:-10}
warmup=${WARMUP:-2}
concurrency=${CONCURRENCY:-8}
if [[ ${SMOKE:-} == 1 ]]; then
	rounds=1 duration=1 warmup=1
fi
for v in "ROUNDS:$rounds" "DURATION:$duration" "WARMUP:$warmup" "CONCURRENCY:$concurrency"; do
	if ! [[ ${v#*:} =~ ^[1-9][0-9]*$ ]]; then
		echo "bench-serve: ${v%%:*} must be a positive integer, not '${v#*:}'" >&2
		exit 2
	fi
done
http_flag=(-http)
if [[ ${HTTP:-1} == 0 ]]; then
	http_flag=()
fi
groups_flag=()
if [[ -n ${KEX:-} ]]; then
	groups_flag=(-groups "$KEX")
fi
openssl=$(command -v openssl) || {
	echo "bench-serve: openssl not on PATH" >&2
	exit 1
}
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
client_pin=() server_pin=()
if [[ ${PIN:-} == 1 ]]; then
	command -v taskset >/dev/null || {
		echo "bench-serve: PIN=1 needs taskset" >&2
		exit 1
	}
	((ncpu >= 2)) || {
		echo "bench-serve: PIN=1 needs at least 2 CPUs" >&2
		exit 1
	}
	client_pin=(taskset -c 0)
	server_pin=(taskset -c "1-$((ncpu - 1))")
fi
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bench.sh
. "$repo/scripts/lib/bench.sh"
bench_setup bench-serve

echo "building tlskit and the load client..." >&2
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$tmp/bench-serve" ./scripts/bench-serve) || die "building scripts/bench-serve failed"
bench_tlskit "$repo" "$tmp"
bench=$tmp/bench-serve

bench_certs "$tmp" --key-type ecdsa-p256
ca=$tmp/ca/ca.pem
cd "$tmp"

# load URL SECONDS [FLAGS...] runs the load client and prints its result line.
load() {
	local u=$1 d=$2
	shift 2
	"${client_pin[@]}" "$bench" load -url "$u" -ca "$ca" -servername localhost -c "$concurrency" -d "${d}s" \
		"${http_flag[@]}" "${groups_flag[@]}" "$@"
}

# probe URL: one connection, as the load does it, succeeds.
probe() { load "$1" 10 -c 1 -n 1 >/dev/null 2>&1; }

# wait_url FILE PID waits for the first line of FILE (a server's URL) and prints it.
wait_url() {
	local i line
	for ((i = 0; i < 200; i++)); do
		if [[ -s $1 ]] && IFS= read -r line <"$1" && [[ $line == https://* ]]; then
			echo "$line"
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# wait_ready NAME URL PID waits until a probe succeeds.
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		probe "$2" && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

declare -A url pid
# Every connection the load client sends to tlskit, so its log lines can be checked.
tlskit_sent=0

"${server_pin[@]}" "$tlskit" serve --addr 127.0.0.1:0 --cert "$tmp/leaf.pem" --key "$tmp/leaf-key.pem" \
	</dev/null >"$tmp/tlskit.log" 2>"$tmp/tlskit.err" &
pid[tlskit]=$!
pids+=("${pid[tlskit]}")
url[tlskit]=$(wait_url "$tmp/tlskit.log" "${pid[tlskit]}") || {
	cat "$tmp/tlskit.err" >&2
	die "tlskit serve did not print its URL"
}
wait_ready tlskit "${url[tlskit]}" "${pid[tlskit]}" || {
	cat "$tmp/tlskit.err" >&2
	die "tlskit serve at ${url[tlskit]} did not answer"
}
# The probe that succeeded. Probes start only after the URL line, so the server listens by then.
tlskit_sent=$((tlskit_sent + 1))

"${server_pin[@]}" "$bench" gohttp -addr 127.0.0.1:0 -cert "$tmp/leaf.pem" -key "$tmp/leaf-key.pem" \
	</dev/null >"$tmp/gohttp.log" 2>&1 &
pid[gohttp]=$!
pids+=("${pid[gohttp]}")
url[gohttp]=$(wait_url "$tmp/gohttp.log" "${pid[gohttp]}") || {
	cat "$tmp/gohttp.log" >&2
	die "the gohttp server did not print its URL"
}
wait_ready gohttp "${url[gohttp]}" "${pid[gohttp]}" || die "the gohttp server at ${url[gohttp]} did not answer"

# s_server cannot pick its own port: try random free ones.
for ((try = 0; try < 8; try++)); do
	port=$((20000 + RANDOM % 40000))
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		continue # in use
	fi
	"${server_pin[@]}" "$openssl" s_server -accept "127.0.0.1:$port" -cert "$tmp/leaf.pem" -key "$tmp/leaf-key.pem" -www -quiet \
		</dev/null >"$tmp/openssl.$port.log" 2>&1 &
	pid[openssl]=$!
	pids+=("${pid[openssl]}")
	url[openssl]=https://127.0.0.1:$port/
	if wait_ready openssl "${url[openssl]}" "${pid[openssl]}"; then
		break
	fi
	kill "${pid[openssl]}" 2>/dev/null || true
	unset "url[openssl]"
done
[[ -n ${url[openssl]:-} ]] || die "openssl s_server did not start; its last log: $(cat "$tmp"/openssl.*.log 2>/dev/null | tail -5)"

# cpu_ticks PID prints the user+system CPU time of PID in clock ticks.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat") || {
		echo 0
		return
	}
	stat=${stat##*) } # fields after "(comm) "; utime and stime are the 12th and 13th of these
	awk '{ print $12 + $13 }' <<<"$stat"
}

# field LINE KEY prints KEY's value from a result line ("rate=123.4/s handshakes=..."); units
# (/s, ms) are stripped.
field() {
	awk -v k="$2" '{
		for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {
			v = substr($i, length(k) + 2); gsub(/"/, "", v); sub(/(\/s|ms)$/, "", v); print v; exit
		}
	}' <<<"$1"
}

# run NAME SECONDS TAG runs the load against NAME, appends its result to $tmp/NAME.runs (when TAG
# is "timed") and prints it.
run() {
	local name=$1 d=$2 tag=$3 before after line n
	before=$(cpu_ticks "${pid[$name]}")
	line=$(load "${url[$name]}" "$d") || die "the load against $name (${url[$name]}) failed: $line"
	after=$(cpu_ticks "${pid[$name]}")
	n=$(field "$line" handshakes)
	if [[ $name == tlskit ]]; then
		tlskit_sent=$((tlskit_sent + n + $(field "$line" errors)))
	fi
	if [[ $tag == timed ]]; then
		echo "$line server_cpu_ticks=$((after - before))" >>"$tmp/$name.runs"
	fi
	printf '  %-6s %-8s %s server_cpu_ms=%d\n' "$tag" "$name" "$line" $(((after - before) * 1000 / clk_tck)) >&2
}

servers=(tlskit openssl gohttp)
echo "warm-up (${warmup}s each), then $rounds round(s) of ${duration}s per server..." >&2
for s in "${servers[@]}"; do
	run "$s" "$warmup" warmup
done
for ((r = 0; r < rounds; r++)); do
	for ((j = 0; j < 3; j++)); do
		run "${servers[(r + j) % 3]}" "$duration" timed
	done
done

# Stop tlskit: SIGTERM makes it stop accepting and drain its log queue before it exits.
kill -TERM "${pid[tlskit]}" 2>/dev/null || true
for ((i = 0; i < 200; i++)); do
	kill -0 "${pid[tlskit]}" 2>/dev/null || break
	sleep 0.05
done
wait "${pid[tlskit]}" 2>/dev/null || true
log_requests=$(grep -c ' request=' "$tmp/tlskit.log" || true)
log_lines=$(($(wc -l <"$tmp/tlskit.log") - 1 - log_requests)) # less the URL line and the requests' lines
log_errors=$(grep -v ' request=' "$tmp/tlskit.log" | grep -c ' error=' || true)
dropped=$(grep -o '[0-9]* connection log lines were dropped' "$tmp/tlskit.err" | awk '{ print $1 }' || true)

# summary NAME prints "rate handshakes errors seconds p50 p99 server_us_per_hs client_us_per_hs
# group body_bytes min_rate max_rate" over NAME's timed runs.
summary() {
	local line hs=0 errs=0 secs=0 p50s=() p99s=() sticks=0 cms=0 group body rates=()
	while IFS= read -r line; do
		hs=$((hs + $(field "$line" handshakes)))
		errs=$((errs + $(field "$line" errors)))
		secs=$(awk -v a="$secs" -v b="$(field "$line" seconds)" 'BEGIN { print a + b }')
		p50s+=("$(field "$line" p50)")
		p99s+=("$(field "$line" p99)")
		rates+=("$(field "$line" rate)")
		sticks=$((sticks + $(field "$line" server_cpu_ticks)))
		cms=$(awk -v a="$cms" -v b="$(field "$line" client_cpu_ms)" 'BEGIN { print a + b }')
		group=$(field "$line" group)
		body=$(field "$line" body_bytes)
	done <"$tmp/$1.runs"
	awk -v hs="$hs" -v errs="$errs" -v secs="$secs" -v sticks="$sticks" -v tck="$clk_tck" -v cms="$cms" \
		-v p50s="${p50s[*]}" -v p99s="${p99s[*]}" -v rates="${rates[*]}" -v group="${group:--}" -v body="${body:-0}" 'BEGIN {
		n = split(p50s, a, " "); split(p99s, b, " "); m = split(rates, r, " ")
		p50 = 0; p99 = 0; for (i = 1; i <= n; i++) { p50 += a[i] / n; if (b[i] > p99) p99 = b[i] }
		lo = r[1]; hi = r[1]; for (i = 2; i <= m; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
		printf "%.1f %d %d %.1f %.2f %.2f %.0f %.0f %s %s %.1f %.1f\n", hs / secs, hs, errs, secs, p50, p99,
			hs ? sticks / tck * 1e6 / hs : 0, hs ? cms * 1000 / hs : 0, group, body, lo, hi
	}'
}
declare -A rate
echo
echo "tlskit:  $("$tlskit" version -o json 2>/dev/null | awk -F'"' '/"version"/ { print $4; exit }') ($([[ -n ${TLSKIT_BIN:-} ]] && echo "$tlskit" || echo "built from $repo")), $(go version | awk '{ print $3 }')"
echo "openssl: $("$openssl" version)"
echo "cert:    ECDSA P-256 leaf for localhost issued by a tlskit CA, the same file for all three servers"
echo "load:    $concurrency concurrent, fresh TCP + full verified TLS handshake (no session cache)$([[ ${#http_flag[@]} -gt 0 ]] && echo ' + one HTTP/1.1 GET /' || echo ', then close (no request)'), client groups: ${KEX:-Go default}"
echo "runs:    $rounds round(s) x ${duration}s per server, order rotating, after a ${warmup}s warm-up each; $ncpu CPUs$([[ ${PIN:-} == 1 ]] && echo ', client pinned to CPU 0, servers to the rest')"
echo
printf '%-8s %10s %10s %7s %9s %9s %11s %11s %15s %6s %17s\n' server "hs/s" handshakes errors "p50 ms" "p99 ms" "srv us/hs" "cli us/hs" group body "rounds min-max"
for s in "${servers[@]}"; do
	read -r rt hs errs secs p50 p99 sus cus group body lo hi < <(summary "$s")
	rate[$s]=$rt
	printf '%-8s %10s %10s %7s %9s %9s %11s %11s %15s %6s %17s\n' "$s" "$rt" "$hs" "$errs" "$p50" "$p99" "$sus" "$cus" "$group" "$body" "$lo-$hi"
done
echo
echo "(srv us/hs: the server process's CPU time per handshake; cli us/hs: the load client's; p50 is"
echo " the mean of the rounds' medians, p99 the worst round's; one iteration = connect to close)"
echo

# verdict NAME RATIO TARGET
verdict() { awk -v r="$2" -v t="$3" -v n="$1" 'BEGIN { printf "%-18s %6.2fx   target >= %.1fx   %s\n", n, r, t, (r >= t ? "MEETS" : "MISSES") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
verdict "tlskit / openssl" "$(ratio "${rate[tlskit]}" "${rate[openssl]}")" 1.2
verdict "tlskit / gohttp" "$(ratio "${rate[tlskit]}" "${rate[gohttp]}")" 0.9
echo
echo "tlskit log: $log_lines connection lines ($log_errors with error=) for $tlskit_sent connections sent to it (probe, warm-up and timed runs)$([[ $log_lines -eq $tlskit_sent ]] && echo ': one per connection' || echo ': MISMATCH'); $log_requests request lines"
if [[ -n $dropped ]]; then
	echo "tlskit said: $dropped connection log lines were dropped because output could not keep up"
fi
exit 0
