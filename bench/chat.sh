#!/usr/bin/env bash
# Chat benchmark: tcpchat-server under bench/chatload (one process, epoll).
#   1. 10,000 clients connected at once: the server's RSS and thread count.
#   2. One sender, 1,000 listeners: p50/p99 latency of a line reaching every
#      listener, and sustained deliveries/s - side by side with the same run
#      plus one client that never reads (interleaved rounds, medians). The
#      sender outruns any person, so this part runs with --flood off.
#   3. A flood: a quiet client's line latency to 100 listeners without and
#      with one client flooding the room (default flood limit, and --flood
#      off: backpressure alone), and how many readers were dropped (must be 0).
# Usage: bench/chat.sh [ROUNDS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
tmp=$(mktemp -d)
srv_pid=
cleanup() { [[ -n $srv_pid ]] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

start_server() {  # extra arguments go to the server
  build/bin/tcpchat-server -p 0 -4 -b 127.0.0.1 "$@" 2>"$tmp/srv.err" &
  srv_pid=$!
  for _ in $(seq 100); do grep -q 'listening on' "$tmp/srv.err" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/srv.err")
}
stop_server() { kill "$srv_pid"; wait "$srv_pid" || true; srv_pid=; }

# 1. 10,000 clients (the default cap is derived from this host: ask for them)
start_server --max-clients 10000
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
    start_server --flood off  # a fresh room each run
    out=$(build/bench/chatload -c 1000 -k "$stuck" -l 200 -i 20 -t 5 127.0.0.1 "$port")
    stop_server
    p50=$(sed -n 's/^latency: .* p50 \([0-9.]*\) ms.*/\1/p' <<<"$out")
    p99=$(sed -n 's/^latency: .* p99 \([0-9.]*\) ms.*/\1/p' <<<"$out")
    rate=$(sed -n 's/^throughput: .* = \([0-9]*\) deliveries\/s/\1/p' <<<"$out")
    printf "%5d  %5d  %6s  %6s  %12s\n" "$r" "$stuck" "$p50" "$p99" "$rate"
    add "p50_$stuck" "$p50"; add "p99_$stuck" "$p99"; add "rate_$stuck" "$rate"
  done
done
# 3. a quiet client during a flood: none, flood limit on (default), --flood off
field() { sed -n "s/$1/\\1/p" <<<"$out"; }
echo
echo "round  flood        p50_ms  p99_ms  flood_KiB/s  dropped"
for r in $(seq "$rounds"); do
  for mode in none limited off; do
    case $mode in
      none) start_server; args=() ;;
      limited) start_server; args=(-f) ;;
      off) start_server --flood off; args=(-f) ;;
    esac
    out=$(build/bench/chatload -c 100 -l 200 -i 20 -t 0 "${args[@]}" 127.0.0.1 "$port")
    stop_server
    p50=$(field '^latency: .* p50 \([0-9.]*\) ms.*')
    p99=$(field '^latency: .* p99 \([0-9.]*\) ms.*')
    rate=$(field '^flood: .* = \([0-9]*\) KiB\/s.*'); rate=${rate:-0}
    dropped=$(field '^dropped: \([0-9]*\) listeners')
    grep -q 'flooder dropped' <<<"$out" && dropped="$dropped+flooder"
    printf "%5d  %-11s  %6s  %6s  %11s  %7s\n" "$r" "$mode" "$p50" "$p99" "$rate" "$dropped"
    add "fp50_$mode" "$p50"; add "fp99_$mode" "$p99"; add "frate_$mode" "$rate"
    add "fdrop_$mode" "${dropped%+flooder}"
    if [[ $dropped == *flooder ]]; then add "fflooder_$mode" 1; else add "fflooder_$mode" 0; fi
  done
done

median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" ${runs[$1]}; }
total() { python3 -c "import sys; print(sum(map(int, sys.argv[1:])))" ${runs[$1]}; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
p99_0=$(median p99_0); p99_1=$(median p99_1)
cat <<TABLE

| measure (loopback, median of $rounds rounds) | 1,000 listeners | + 1 client that never reads | ratio | target |
|---|---|---|---|---|
| latency p50, one line to every listener | $(median p50_0) ms | $(median p50_1) ms | - | - |
| latency p99 | $p99_0 ms | $p99_1 ms | $(ratio "$p99_1" "$p99_0") | <= 50 ms, stuck <= 1.2x |
| sustained deliveries/s | $(median rate_0) | $(median rate_1) | - | >= 200,000 |
| server RSS, 10,000 clients connected ($threads threads) | $rss MiB | - | - | <= 512 MiB |

| quiet client, 100 listeners (median of $rounds rounds) | no flooder | + 1 flooder (default --flood) | + 1 flooder, --flood off | target |
|---|---|---|---|---|
| latency p50, one line to every listener | $(median fp50_none) ms | $(median fp50_limited) ms | $(median fp50_off) ms | - |
| latency p99 | $(median fp99_none) ms | $(median fp99_limited) ms | $(median fp99_off) ms | <= 100 ms |
| flooder's rate, as the server reads it | - | $(median frate_limited) KiB/s | $(median frate_off) KiB/s | slowed, never dropped |
| readers dropped (sum over rounds) | $(total fdrop_none) | $(total fdrop_limited) | $(total fdrop_off) | 0 |
| flooder dropped (rounds) | - | $(total fflooder_limited) | $(total fflooder_off) | 0 |
TABLE
