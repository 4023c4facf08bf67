# Shared by the scripts/bench-*.sh benchmarks (sourced, not run). bench_setup gives a script its
# die(), work directory and server bookkeeping; the others use die().

# bench_setup NAME makes a work directory in $tmp, an empty $pids for the servers the script
# starts, and die(), which prints "NAME: ..." and exits 1. On exit the servers are killed and
# waited for and the directory removed; Ctrl-C exits 130 through the same cleanup.
bench_setup() {
	bench_name=$1
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlskit-$1.XXXXXX")
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}

die() {
	echo "${bench_name:-bench}: $*" >&2
	exit 1
}

# bench_tlskit REPO DIR sets $tlskit: $TLSKIT_BIN when given (to measure another build), else a
# static, stripped build in DIR, as released (.goreleaser.yaml) — a cgo build pays ~0.8 ms per start for
# the dynamic loader, which is not what users run.
bench_tlskit() {
	if [[ -n ${TLSKIT_BIN:-} ]]; then
		[[ -x $TLSKIT_BIN ]] || die "TLSKIT_BIN=$TLSKIT_BIN is not an executable"
		tlskit=$(cd "$(dirname "$TLSKIT_BIN")" && pwd)/$(basename "$TLSKIT_BIN")
		return
	fi
	(cd "$1" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$2/tlskit" .) || die "building tlskit failed"
	tlskit=$2/tlskit
}

# bench_certs DIR [ISSUE-FLAGS...] makes a CA in DIR/ca and a localhost certificate from it in
# DIR/leaf.pem and DIR/leaf-key.pem, with $tlskit.
bench_certs() {
	local dir=$1
	shift
	"$tlskit" ca create --dir "$dir/ca" >/dev/null 2>&1 || die "tlskit ca create failed"
	"$tlskit" cert issue localhost 127.0.0.1 --ca-dir "$dir/ca" "$@" \
		--out "$dir/leaf.pem" --key-out "$dir/leaf-key.pem" >/dev/null 2>&1 || die "tlskit cert issue failed"
}

# bench_now sets now to the time in microseconds, without starting a process.
bench_now() {
	now=${EPOCHREALTIME//[.,]/}
	now=$((10#$now))
}

# bench_time NAME CMD... runs CMD once (stdout to /dev/null, stderr to $tmp/err) and appends its
# wall time in microseconds to $tmp/NAME.times; a failing run is fatal. A CMD expected to exit
# non-zero is wrapped by the caller.
bench_time() {
	local name=$1 start
	shift
	bench_now
	start=$now
	if ! "$@" >/dev/null 2>"$tmp/err"; then
		echo "${bench_name:-bench}: $name failed:" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
	bench_now
	echo $((now - start)) >>"$tmp/$name.times"
}

# bench_median NAME prints the median of $tmp/NAME.times in microseconds.
bench_median() {
	sort -n "$tmp/$1.times" | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_versus N TLSKIT_LABEL OPENSSL_LABEL [TARGET] runs the caller's run_tlskit and run_openssl
# N times, interleaved so that machine noise hits both alike, and prints each median and the
# ratio tlskit/openssl (with TARGET, e.g. "<= 1.00", after it).
bench_versus() {
	local n=$1 i t o
	for ((i = 0; i < n; i++)); do
		bench_time tlskit run_tlskit
		bench_time openssl run_openssl
	done
	t=$(bench_median tlskit)
	o=$(bench_median openssl)
	echo "rounds: $n (interleaved)"
	awk -v t="$t" -v o="$o" -v tl="$2" -v ol="$3" -v target="${4:-}" 'BEGIN {
		printf "%-26s median %8.2f ms\n", tl, t / 1000
		printf "%-26s median %8.2f ms\n", ol, o / 1000
		if (o > 0) printf "ratio tlskit/openssl: %.2f%s\n", t / o, target == "" ? "" : " (target " target ")"
	}'
}
