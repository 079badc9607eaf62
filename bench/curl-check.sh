#!/usr/bin/env bash
# A cross-check of the bulk rows with the tools a person uses instead of the bench's own client and
# sink: `curl` downloads 1 GiB over HTTP from a server that sends with sendfile(2) (python3), through
# `ssh -L` (aes256-gcm), a clawbridge TCP forward over a direct link and one over the relay; the three
# paths take turns, ROUNDS times (default 5), and the medians and ratios are printed. Everything runs
# on 127.0.0.1 in a temp dir; every process it starts is ended by its PID when it exits.
#
#   bash bench/curl-check.sh [ROUNDS]        (needs curl, python3, sshd, ssh, ssh-keygen; run `npm run build` first)
set -euo pipefail
ROUNDS=${1:-5}
REPO=$(cd "$(dirname "$0")/.." && pwd)
CLI="$REPO/bin/clawbridge.js"
BYTES=$((1024 * 1024 * 1024))
for tool in curl python3 ssh ssh-keygen; do
  command -v "$tool" > /dev/null || { echo "curl-check: $tool is missing" >&2; exit 2; }
done
SSHD=$(command -v sshd || ls /usr/sbin/sshd 2> /dev/null || true)
[ -n "$SSHD" ] || { echo "curl-check: sshd is missing" >&2; exit 2; }
[ -f "$REPO/dist/src-main/cli/main.js" ] || { echo "curl-check: run npm run build first" >&2; exit 2; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/cb-curl-check-XXXXXX")
# PIDs of what this script started, in a file: start_pair runs in a subshell.
started() { echo "$1" >> "$DIR/pids"; }
cleanup() {
  [ -f "$DIR/pids" ] && while read -r pid; do kill "$pid" 2> /dev/null || true; done < "$DIR/pids"
  wait 2> /dev/null || true
  sleep 0.5
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
    sleep 0.1
  done
  echo "curl-check: nothing listens on $1" >&2
  exit 1
}

# The server: HTTP/1.1, one sparse file of BYTES, sent with sendfile (next to no CPU of its own).
HTTP_PORT=$(free_port)
cat > "$DIR/serve.py" << 'EOF'
import os, socket, sys, threading
port, path, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with open(path, 'wb') as f: f.truncate(size)
srv = socket.create_server(('127.0.0.1', port))
def serve(c):
    with c:
        try:
            c.recv(65536)
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % size)
            with open(path, 'rb') as f: c.sendfile(f)
        except OSError: pass
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF
python3 "$DIR/serve.py" "$HTTP_PORT" "$DIR/big.bin" "$BYTES" & started $!
wait_port "$HTTP_PORT"

# ssh -L through a private sshd, as the bench does.
SSH_PORT=$(free_port)
SSH_FWD=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$DIR/id"
cp "$DIR/id.pub" "$DIR/authorized_keys"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
printf '%s\n' "Port $SSH_PORT" 'ListenAddress 127.0.0.1' "HostKey $DIR/host_key" \
  "AuthorizedKeysFile $DIR/authorized_keys" "PidFile $DIR/sshd.pid" 'UsePAM no' 'PermitRootLogin yes' \
  'StrictModes no' 'PasswordAuthentication no' 'AllowTcpForwarding yes' \
  'Ciphers aes256-gcm@openssh.com' 'LogLevel ERROR' > "$DIR/sshd_config"
"$SSHD" -f "$DIR/sshd_config" -D -e 2> "$DIR/sshd.log" & started $!
wait_port "$SSH_PORT"
ssh -N -L "127.0.0.1:$SSH_FWD:127.0.0.1:$HTTP_PORT" -c aes256-gcm@openssh.com -o StrictHostKeyChecking=no \
  -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -i "$DIR/id" -p "$SSH_PORT" \
  "$(id -un)@127.0.0.1" & started $!
wait_port "$SSH_FWD"

# Two agent pairs, one linked directly and one through a relay only, each with a forward to the server.
RELAY_PORT=$(free_port)
CLAWBRIDGE_LOG=warn node "$CLI" relay --no-tls --listen "127.0.0.1:$RELAY_PORT" > "$DIR/relay.log" 2>&1 & started $!
wait_port "$RELAY_PORT"
start_pair() { # NAME PATH-FLAGS… → prints the local port of a forward a → b → the server
  local name=$1 fa fb; shift
  for side in a b; do
    CLAWBRIDGE_LOG=warn node "$CLI" agent --home "$DIR/$name-$side" --name "$side" "$@" \
      > "$DIR/$name-$side.log" 2>&1 & started $!
  done
  for _ in $(seq 100); do
    grep -q fingerprint "$DIR/$name-a.log" && grep -q fingerprint "$DIR/$name-b.log" && break
    sleep 0.1
  done
  fa=$(grep -o 'fingerprint [0-9a-f]*' "$DIR/$name-a.log" | cut -d' ' -f2)
  fb=$(grep -o 'fingerprint [0-9a-f]*' "$DIR/$name-b.log" | cut -d' ' -f2)
  local hint_a=() hint_b=()
  if [ "$name" = direct ]; then
    hint_a=(--address "$(grep -o 'direct [0-9.:]*' "$DIR/$name-a.log" | cut -d' ' -f2)")
    hint_b=(--address "$(grep -o 'direct [0-9.:]*' "$DIR/$name-b.log" | cut -d' ' -f2)")
  fi
  node "$CLI" peers add "$fb" --name b "${hint_b[@]}" --home "$DIR/$name-a" > /dev/null
  node "$CLI" peers add "$fa" --name a "${hint_a[@]}" --home "$DIR/$name-b" > /dev/null
  local port
  port=$(free_port)
  node "$CLI" forward add --local "127.0.0.1:$port" --via b --remote "127.0.0.1:$HTTP_PORT" \
    --home "$DIR/$name-a" > /dev/null
  for _ in $(seq 150); do
    node "$CLI" peers --json --home "$DIR/$name-a" | grep -q "\"path\": \"$name\"" && break
    sleep 0.2
  done
  echo "$port"
}
DIRECT_FWD=$(start_pair direct --listen 127.0.0.1:0)
RELAY_FWD=$(start_pair relay --relay "ws://127.0.0.1:$RELAY_PORT" --no-direct)

download() { curl -s -o /dev/null --max-time 120 -w '%{speed_download}' "http://127.0.0.1:$1/" | awk '{printf "%.0f", $1 / 1e6}'; }
declare -A runs
NAMES=(ssh-L forward-direct forward-relay)
PORTS=("$SSH_FWD" "$DIRECT_FWD" "$RELAY_FWD")
for i in 0 1 2; do download "${PORTS[$i]}" > /dev/null; done # warm-up: JIT, windows
for round in $(seq "$ROUNDS"); do
  for i in 0 1 2; do runs[$i]="${runs[$i]:-} $(download "${PORTS[$i]}")"; done
  echo "round $round/$ROUNDS:$(for i in 0 1 2; do printf ' %s %s MB/s;' "${NAMES[$i]}" "${runs[$i]##* }"; done)" >&2
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
SSH_MED=$(echo "${runs[0]}" | median)
echo "1 GiB with curl from a sendfile server, $ROUNDS rounds in turns (MB/s: median, then each round)"
for i in 0 1 2; do
  med=$(echo "${runs[$i]}" | median)
  printf '%-15s %6s  %s x ssh-L   (%s)\n' "${NAMES[$i]}" "$med" "$(awk -v a="$med" -v b="$SSH_MED" 'BEGIN {printf "%.2f", a / b}')" "${runs[$i]# }"
done
