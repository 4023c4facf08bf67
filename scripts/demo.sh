#!/usr/bin/env bash
# Build tlskit and show its main job offline: make a local CA and a certificate for localhost,
# serve it on 127.0.0.1 with `tlskit serve`, and run `tlskit handshake` against it. Arguments
# go to `tlskit handshake` (e.g. -v or -o json).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill -INT "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/tlskit" .
tk="$work/tlskit"
"$tk" ca create --dir "$work/ca" -q >/dev/null
"$tk" cert issue localhost 127.0.0.1 --ca-dir "$work/ca" --out "$work/localhost.pem" --key-out "$work/localhost-key.pem" -q >/dev/null

"$tk" serve --addr 127.0.0.1:0 --cert "$work/localhost.pem" --key "$work/localhost-key.pem" >"$work/serve.log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do
  url=$(head -n 1 "$work/serve.log" 2>/dev/null || true)
  case $url in https://*) break ;; esac
  sleep 0.05
done
case $url in https://*) ;; *) echo "demo: tlskit serve did not start: $(cat "$work/serve.log")" >&2; exit 1 ;; esac
port=${url##*:}; port=${port%/}

"$tk" handshake "localhost:$port" --ca "$work/ca/ca.pem" "$@"
