#!/usr/bin/env bash
# Build tlskit and show its main job offline: make a local CA and a certificate for localhost,
# serve it on 127.0.0.1 with openssl s_server, and run `tlskit handshake` against it.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/tlskit" .
tk="$work/tlskit"
"$tk" ca create --dir "$work/ca" -q >/dev/null
"$tk" cert issue localhost 127.0.0.1 --ca-dir "$work/ca" --out "$work/localhost.pem" --key-out "$work/localhost-key.pem" -q >/dev/null

if ! command -v openssl >/dev/null; then
  echo "demo: openssl is needed for the demo server (apt-get install openssl)" >&2
  exit 1
fi
port=$(( 20000 + RANDOM % 20000 ))
openssl s_server -accept "127.0.0.1:$port" -cert "$work/localhost.pem" -key "$work/localhost-key.pem" -www -quiet >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

"$tk" handshake "localhost:$port" --ca "$work/ca/ca.pem" "$@"
