#!/usr/bin/env bash
# Echo benchmark, side by side in one run:
#   tcpecho-client --bench against tcpecho-server,
#   the same client against socat TCP-LISTEN:P,fork,reuseaddr PIPE,
#   sockperf ping-pong against sockperf server (reference for 1 connection),
# and 10,000 idle connections held against tcpecho-server (its RSS).
# One-connection ping-pong sits at the cross-CPU wake-up ceiling for every
# server, so the rate does not rank them: each run also reports the server's
# CPU time per round trip (utime+stime from /proc/PID/stat; for socat, whose
# forked children serve the connections, the reaped children's too).
# Usage: bench/echo.sh [ROUNDS]   (default 5 interleaved rounds; needs socat, sockperf)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
n1=${N1:-40000}       # round trips, 1 connection
n100=${N100:-2000}    # round trips per connection, 100 connections
idle=${IDLE:-10000}

for cmd in socat sockperf; do
  command -v $cmd >/dev/null || { echo "bench/echo.sh: $cmd not installed (apt-get install $cmd)" >&2; exit 1; }
done
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
bin=build/bin
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; return 1; }

"$bin/tcpecho-server" -p 0 -4 -b 127.0.0.1 2>"$tmp/srv.err" & pids+=($!); srv_pid=$!
for _ in $(seq 100); do grep -q 'listening on' "$tmp/srv.err" && break; sleep 0.05; done
srv_port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/srv.err")
socat_port=$(free_port)
socat TCP-LISTEN:$socat_port,bind=127.0.0.1,fork,reuseaddr,backlog=1024 PIPE & pids+=($!)
socat_pid=$!
sp_port=$(free_port)
sockperf server --tcp -i 127.0.0.1 -p "$sp_port" >/dev/null 2>&1 & pids+=($!)
sp_pid=$!
wait_port "$socat_port"; wait_port "$sp_port"

rate() { sed -n 's/^round trips\/s: *//p'; }
trips() { sed -n 's/^round trips: *\([0-9]*\).*/\1/p'; }
tck=$(getconf CLK_TCK)
# CPU seconds*1e6 used so far by PID (with WITH_CHILDREN=1: its reaped children too).
cpu_us() {
  awk -v tck="$tck" -v kids="${2:-0}" '{ sub(/.*\) /, ""); t = $12 + $13; if (kids) t += $14 + $15;
    printf "%d", t * 1e6 / tck }' "/proc/$1/stat"
}
# Runs "$@" (a client run printing "round trips/s: R") against server PID and
# prints "R CPU_US_PER_ROUND_TRIP". Round trips come from the client's count.
measured() {
  local pid=$1 kids=$2; shift 2
  local before after out n
  before=$(cpu_us "$pid" "$kids")
  out=$("$@")
  sleep 0.3  # socat reaps its child on SIGCHLD: let the times reach the parent
  after=$(cpu_us "$pid" "$kids")
  n=$(trips <<<"$out")
  printf "%s %s\n" "$(rate <<<"$out")" "$(python3 -c "print(f'{($after - $before) / max($n, 1):.1f}')")"
}
p99() { sed -n 's/^latency: .*p99 \([0-9.]*\) us.*/\1/p'; }

# Each figure is the median of the rounds: one-connection ping-pong on two
# cores swings with the scheduler, and the median shrugs off a bad round.
declare -A runs
add() { runs[$1]="${runs[$1]:-} $2"; }
echo "round  ours-1c  (us/rt)  socat-1c  (us/rt)  sockperf-1c  (us/rt)  ours-100c  (us/rt)  socat-100c  (us/rt)"
for r in $(seq "$rounds"); do
  read -r a acpu < <(measured "$srv_pid" 0 "$bin/tcpecho-client" --bench -p "$srv_port" -n "$n1" 127.0.0.1)
  read -r b bcpu < <(measured "$socat_pid" 1 "$bin/tcpecho-client" --bench -p "$socat_port" -n "$n1" 127.0.0.1)
  before=$(cpu_us "$sp_pid")
  sp_out=$(sockperf ping-pong --tcp -i 127.0.0.1 -p "$sp_port" -m 64 -t 3 2>&1 | grep 'Valid Duration' |
      sed -n 's/.*RunTime=\([0-9.]*\) sec.*ReceivedMessages=\([0-9]*\).*/\2 \1/p')
  after=$(cpu_us "$sp_pid")
  c=$(awk '{printf "%.0f", $1/$2}' <<<"$sp_out")
  ccpu=$(awk -v d=$((after - before)) '{printf "%.1f", d / ($1 > 0 ? $1 : 1)}' <<<"$sp_out")
  read -r d dcpu < <(measured "$srv_pid" 0 "$bin/tcpecho-client" --bench -p "$srv_port" -c 100 -n "$n100" 127.0.0.1)
  read -r e ecpu < <(measured "$socat_pid" 1 "$bin/tcpecho-client" --bench -p "$socat_port" -c 100 -n "$n100" 127.0.0.1)
  printf "%5d  %7s  %7s  %8s  %7s  %11s  %7s  %9s  %7s  %10s  %7s\n" "$r" "$a" "$acpu" "$b" "$bcpu" \
    "$c" "$ccpu" "$d" "$dcpu" "$e" "$ecpu"
  add ours1 "$a"; add socat1 "$b"; add sp1 "$c"; add ours100 "$d"; add socat100 "$e"
  add ours1cpu "$acpu"; add socat1cpu "$bcpu"; add sp1cpu "$ccpu"; add ours100cpu "$dcpu"; add socat100cpu "$ecpu"
done

median() { python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:]))))" ${runs[$1]}; }
median1() { python3 -c "import statistics, sys; print(round(statistics.median(map(float, sys.argv[1:])), 1))" ${runs[$1]}; }
o1=$(median ours1); s1=$(median socat1); p1=$(median sp1); o100=$(median ours100); s100=$(median socat100)

# 10,000 idle connections from a separate process; the server's RSS while held.
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$srv_pid/status)
"$bin/tcpecho-client" --bench --idle "$idle" --hold 3 -p "$srv_port" 127.0.0.1 >"$tmp/idle.out" &
idle_pid=$!
for _ in $(seq 600); do grep -q 'idle connections' "$tmp/idle.out" && break; sleep 0.05; done
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$srv_pid/status)
threads=$(awk '/Threads/ {print $2}' /proc/$srv_pid/status)
wait $idle_pid
cat "$tmp/idle.out"

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
cat <<TABLE

| measure (loopback, median of $rounds interleaved rounds) | tcpecho | socat fork PIPE | sockperf | ours/socat | ours/sockperf |
|---|---|---|---|---|---|
| 1 connection, 64 B round trips/s | $o1 | $s1 | $p1 | $(ratio $o1 $s1) | $(ratio $o1 $p1) |
| 100 connections, 64 B round trips/s (aggregate) | $o100 | $s100 | - | $(ratio $o100 $s100) | - |
| server CPU per round trip, 1 connection (us) | $(median1 ours1cpu) | $(median1 socat1cpu) | $(median1 sp1cpu) | $(ratio $(median1 ours1cpu) $(median1 socat1cpu)) | $(ratio $(median1 ours1cpu) $(median1 sp1cpu)) |
| server CPU per round trip, 100 connections (us) | $(median1 ours100cpu) | $(median1 socat100cpu) | - | $(ratio $(median1 ours100cpu) $(median1 socat100cpu)) | - |
| server RSS, $idle idle connections ($threads threads) | $((rss_idle / 1024)) MiB (idle server: $((rss_before / 1024)) MiB) | - | - | - | - |
TABLE
