#!/usr/bin/env bash
# Chat benchmark: tcpchat-server under bench/chatload (one process, epoll).
#   1. 10,000 clients connected at once: the server's RSS and thread count.
#   2. One sender, 1,000 listeners: p50/p99 latency of a line reaching every
#      listener, and sustained deliveries/s - side by side with the same run
#      plus one client that never reads (interleaved rounds, medians).
# Usage: bench/chat.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
tmp=$(mktemp -d)
srv_pid=
cleanup() { [[ -n $srv_pid ]] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

start_server() {
  build/bin/tcpchat-server -p 0 -4 -b 127.0.0.1 2>"$tmp/srv.err" &
  srv_pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/srv.err" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/srv.err")
}
stop_server() { kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=; }

# 1. 10,000 clients
start_server
build/bench/chatload -c 10000 -H 5 127.0.0.1 "$port" >"$tmp/hold.out" &
load=$!
for _ in $(seq 600); do grep -q holding "$tmp/hold.out" && break; sleep 0.1; done
rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$srv_pid/status)
threads=$(awk '/Threads/ {print $2}' /proc/$srv_pid/status)
wait $load
cat "$tmp/hold.out"
stop_server

# 2. fan-out, without and with a stuck client
declare -A runs
add() { runs[$1]="${runs[$1]:-} $2"; }
echo "round  stuck  p50_ms  p99_ms  deliveries/s"
for r in $(seq "$rounds"); do
  for stuck in 0 1; do
    start_server  # a fresh room each run
    out=$(build/bench/chatload -c 1000 -k "$stuck" -l 200 -i 20 -t 5 127.0.0.1 "$port")
    stop_server
    p50=$(sed -n 's/^latency: .* p50 \([0-9.]*\) ms.*/\1/p' <<<"$out")
    p99=$(sed -n 's/^latency: .* p99 \([0-9.]*\) ms.*/\1/p' <<<"$out")
    rate=$(sed -n 's/^throughput: .* = \([0-9]*\) deliveries\/s/\1/p' <<<"$out")
    printf "%5d  %5d  %6s  %6s  %12s\n" "$r" "$stuck" "$p50" "$p99" "$rate"
    add "p50_$stuck" "$p50"; add "p99_$stuck" "$p99"; add "rate_$stuck" "$rate"
  done
done
median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" ${runs[$1]}; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
p99_0=$(median p99_0); p99_1=$(median p99_1)
cat <<TABLE

| measure (loopback, median of $rounds rounds) | 1,000 listeners | + 1 client that never reads | ratio | target |
|---|---|---|---|---|
| latency p50, one line to every listener | $(median p50_0) ms | $(median p50_1) ms | - | - |
| latency p99 | $p99_0 ms | $p99_1 ms | $(ratio "$p99_1" "$p99_0") | <= 50 ms, stuck <= 1.2x |
| sustained deliveries/s | $(median rate_0) | $(median rate_1) | - | >= 200,000 |
| server RSS, 10,000 clients connected ($threads threads) | $rss MiB | - | - | <= 512 MiB |
TABLE
