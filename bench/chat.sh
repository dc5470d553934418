#!/usr/bin/env bash
# Chat benchmark: tcpchat-server under bench/chatload (one process, epoll),
# side by side with `ncat --chat` and ngircd (both from Debian).
#   1. 10,000 clients connected at once: the server's RSS and thread count.
#   2. Against the peers, interleaved rounds on fresh servers: one line to 500
#      listeners, ours and ncat (100 lines 20 ms apart); one line to 1,000
#      listeners, ours and ngircd (8 lines 1 s apart: ngircd's flood penalty
#      would otherwise be what is measured). p50/p99 over every delivery.
#   3. One sender, 1,000 listeners: latency and sustained deliveries/s, without
#      and with one client that never reads (--flood off: the sender outruns
#      any person).
#   4. A flood: a quiet client's latency to 100 listeners without and with one
#      client flooding (default flood limit, and --flood off), readers dropped.
#   5. Latency against the number of listeners (1 ... 10,000; ncat to 500,
#      ngircd to 1,000), one run each (part 2's medians at 500 and 1,000),
#      drawn by gnuplot into
#      docs/chat-latency.svg.
# Usage: bench/chat.sh [ROUNDS]   (default 3; the sweep is one round)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}

need=()
command -v ncat >/dev/null || need+=(ncat)
command -v ngircd >/dev/null || [ -x /usr/sbin/ngircd ] || need+=(ngircd)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench/chat.sh: installing ${need[*]} (benchmark-only)" >&2
  apt-get install -y "${need[@]}" >/dev/null
fi
ngircd=$(command -v ngircd || echo /usr/sbin/ngircd)
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
load=build/bench/chatload
tmp=$(mktemp -d)
srv_pid=
cleanup() { [[ -n $srv_pid ]] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
await_listen() { for _ in $(seq 200); do ss -Hltn "sport = :$port" | grep -q . && return; sleep 0.05; done; echo "no listener on $port" >&2; exit 1; }
start_server() {  # ours; extra arguments go to the server
  # Gone before the start: the server's shell truncates it only once it
  # runs, and the last server's "listening on" would name a closed port.
  rm -f "$tmp/srv.err"
  build/bin/tcpchat-server -p 0 -4 -b 127.0.0.1 "$@" 2>"$tmp/srv.err" &
  srv_pid=$!
  for _ in $(seq 100); do grep -qs 'listening on' "$tmp/srv.err" && break; sleep 0.05; done
  port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$tmp/srv.err")
}
start_ncat() {
  port=$(free_port)
  ncat -n --chat --max-conns 1000 -l 127.0.0.1 "$port" >/dev/null 2>&1 &
  srv_pid=$!
  await_listen
}
start_ngircd() {  # its own config in the temp dir, no daemon, no DNS/ident
  port=$(free_port)
  cat >"$tmp/ngircd.conf" <<CONF
[Global]
Name = irc.lab.test
Info = socklab bench
Listen = 127.0.0.1
Ports = $port
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
PingTimeout = 600
PongTimeout = 600
[Options]
DNS = no
Ident = no
PAM = no
CONF
  "$ngircd" -n -f "$tmp/ngircd.conf" >"$tmp/ngircd.log" 2>&1 &
  srv_pid=$!
  await_listen
}
stop_server() { kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; srv_pid=; }

declare -A runs
median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" ${runs[$1]}; }
add() { runs[$1]="${runs[$1]:-} $2"; }
field() { sed -n "s/$1/\\1/p" <<<"$out"; }
p50() { field '^latency: .* p50 \([0-9.]*\) ms.*'; }
p99() { field '^latency: .* p99 \([0-9.]*\) ms.*'; }

# 1. 10,000 clients: 9,999 listeners and the sender (the default cap is derived
# from this host: ask for them)
start_server --max-clients 10000
$load -c 9999 -H 5 127.0.0.1 "$port" >"$tmp/hold.out" &
hold=$!
for _ in $(seq 600); do grep -q holding "$tmp/hold.out" && break; sleep 0.1; done
rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$srv_pid/status)
threads=$(awk '/Threads/ {print $2}' /proc/$srv_pid/status)
wait $hold
cat "$tmp/hold.out"
echo "server: $rss MiB RSS, $threads threads"
stop_server

# 2. against ncat (500 listeners) and ngircd (1,000), interleaved
run_peer() {  # NAME LISTENERS LINES INTERVAL_MS
  local name=$1 n=$2 lines=$3 ms=$4 mode=chat
  case $name in
    ours) start_server --flood off --max-clients 11000 ;;
    ncat) start_ncat; mode=ncat ;;
    ngircd) start_ngircd; mode=irc ;;
  esac
  out=$($load -m "$mode" -c "$n" -l "$lines" -i "$ms" -t 0 127.0.0.1 "$port")
  stop_server
}
echo
echo "round  server  listeners  p50_ms  p99_ms"
for r in $(seq "$rounds"); do
  for case in ours:500 ncat:500 ours:1000 ngircd:1000; do
    name=${case%:*} n=${case#*:}
    if [[ $n == 500 ]]; then run_peer "$name" 500 100 20; else run_peer "$name" 1000 8 1000; fi
    printf "%5d  %-6s  %9d  %6s  %6s\n" "$r" "$name" "$n" "$(p50)" "$(p99)"
    add "c50_${name}_$n" "$(p50)"; add "c99_${name}_$n" "$(p99)"
  done
done

# 3. fan-out and throughput, without and with a stuck client
echo
echo "round  stuck  p50_ms  p99_ms  deliveries/s"
for r in $(seq "$rounds"); do
  for stuck in 0 1; do
    start_server --flood off  # a fresh room each run
    out=$($load -c 1000 -k "$stuck" -l 200 -i 20 -t 5 127.0.0.1 "$port")
    stop_server
    rate=$(field '^throughput: .* = \([0-9]*\) deliveries\/s')
    printf "%5d  %5d  %6s  %6s  %12s\n" "$r" "$stuck" "$(p50)" "$(p99)" "$rate"
    add "p50_$stuck" "$(p50)"; add "p99_$stuck" "$(p99)"; add "rate_$stuck" "$rate"
  done
done

# 4. a quiet client during a flood: none, flood limit on (default), --flood off
echo
echo "round  flood        p50_ms  p99_ms  flood_KiB/s  dropped"
for r in $(seq "$rounds"); do
  for mode in none limited off; do
    case $mode in
      none) start_server; args=() ;;
      limited) start_server; args=(-f) ;;
      off) start_server --flood off; args=(-f) ;;
    esac
    out=$($load -c 100 -l 200 -i 20 -t 0 "${args[@]}" 127.0.0.1 "$port")
    stop_server
    rate=$(field '^flood: .* = \([0-9]*\) KiB\/s.*'); rate=${rate:-0}
    dropped=$(field '^dropped: \([0-9]*\) listeners')
    grep -q 'flooder dropped' <<<"$out" && dropped="$dropped+flooder"
    printf "%5d  %-11s  %6s  %6s  %11s  %7s\n" "$r" "$mode" "$(p50)" "$(p99)" "$rate" "$dropped"
    add "fp50_$mode" "$(p50)"; add "fp99_$mode" "$(p99)"; add "frate_$mode" "$rate"
    add "fdrop_$mode" "${dropped%+flooder}"
    if [[ $dropped == *flooder ]]; then add "fflooder_$mode" 1; else add "fflooder_$mode" 0; fi
  done
done

# 5. latency against the number of listeners, for the plot (one run each, the
# medians of part 2 where it measured; lines at least 20 ms apart, more for big
# rooms so fan-outs do not overlap)
echo
echo "server  listeners  p50_ms  p99_ms"
dat=$tmp/sweep.dat
echo "# listeners ours_p50 ours_p99 ncat_p50 ncat_p99 ngircd_p50 ngircd_p99" >"$dat"
for n in 1 10 100 500 1000 5000 10000; do
  row="$n"
  for name in ours ncat ngircd; do
    if [[ $name == ncat && $n -gt 500 ]] || [[ $name == ngircd && $n -gt 1000 ]]; then
      row="$row NaN NaN"; continue
    fi
    if [[ -n ${runs[c50_${name}_$n]:-} ]]; then  # measured in part 2: its medians
      row="$row $(median "c50_${name}_$n") $(median "c99_${name}_$n")"; continue
    fi
    ms=$(( n / 100 > 20 ? n / 100 : 20 )); lines=50
    [[ $name == ngircd ]] && ms=1000 lines=5
    run_peer "$name" "$n" "$lines" "$ms"
    printf "%-6s  %9d  %6s  %6s\n" "$name" "$n" "$(p50)" "$(p99)"
    row="$row $(p50) $(p99)"
  done
  echo "$row" >>"$dat"
done
gnuplot <<PLOT
set terminal svg size 720,440 font "sans,12" background "white"
set output "docs/chat-latency.svg"
set title "One chat line to every listener, loopback (bench/chat.sh)"
set xlabel "listeners"
set ylabel "latency (ms)"
set logscale xy
set xtics ("1" 1, "10" 10, "100" 100, "500" 500, "1k" 1000, "5k" 5000, "10k" 10000)
set key top left
set grid
plot "$dat" using 1:2 with linespoints lw 2 lc rgb "#1f77b4" title "tcpchat-server p50", \
     "$dat" using 1:3 with linespoints lw 2 dt 2 lc rgb "#1f77b4" title "tcpchat-server p99", \
     "$dat" using 1:4 with linespoints lw 2 lc rgb "#ff7f0e" title "ncat --chat p50", \
     "$dat" using 1:5 with linespoints lw 2 dt 2 lc rgb "#ff7f0e" title "ncat --chat p99", \
     "$dat" using 1:6 with linespoints lw 2 lc rgb "#2ca02c" title "ngircd p50", \
     "$dat" using 1:7 with linespoints lw 2 dt 2 lc rgb "#2ca02c" title "ngircd p99"
PLOT
echo "plot: docs/chat-latency.svg"

total() { python3 -c "import sys; print(sum(map(int, sys.argv[1:])))" ${runs[$1]}; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
o50=$(median c50_ours_500) n50=$(median c50_ncat_500) o99=$(median c99_ours_500) n99=$(median c99_ncat_500)
O50=$(median c50_ours_1000) g50=$(median c50_ngircd_1000) O99=$(median c99_ours_1000) g99=$(median c99_ngircd_1000)
p99_0=$(median p99_0); p99_1=$(median p99_1)
cat <<TABLE

load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)

| one line to every listener (median of $rounds rounds) | tcpchat-server | peer | ratio | target |
|---|---|---|---|---|
| 500 listeners, p50 (peer: ncat --chat) | $o50 ms | $n50 ms | $(ratio "$o50" "$n50") | <= 0.8 |
| 500 listeners, p99 | $o99 ms | $n99 ms | $(ratio "$o99" "$n99") | <= 1.0 |
| 1,000 listeners, p50 (peer: ngircd) | $O50 ms | $g50 ms | $(ratio "$O50" "$g50") | <= 0.5 |
| 1,000 listeners, p99 | $O99 ms | $g99 ms | - | ours <= 15 ms |

| measure (loopback, median of $rounds rounds) | 1,000 listeners | + 1 client that never reads | ratio | target |
|---|---|---|---|---|
| latency p50, one line to every listener | $(median p50_0) ms | $(median p50_1) ms | - | - |
| latency p99 | $p99_0 ms | $p99_1 ms | $(ratio "$p99_1" "$p99_0") | <= 50 ms, stuck <= 1.2x |
| sustained deliveries/s | $(median rate_0) | $(median rate_1) | - | >= 2,000,000 |
| server RSS, 10,000 clients connected ($threads threads) | $rss MiB | - | - | <= 256 MiB |

| quiet client, 100 listeners (median of $rounds rounds) | no flooder | + 1 flooder (default --flood) | + 1 flooder, --flood off | target |
|---|---|---|---|---|
| latency p50, one line to every listener | $(median fp50_none) ms | $(median fp50_limited) ms | $(median fp50_off) ms | - |
| latency p99 | $(median fp99_none) ms | $(median fp99_limited) ms | $(median fp99_off) ms | <= 100 ms |
| flooder's rate, as the server reads it | - | $(median frate_limited) KiB/s | $(median frate_off) KiB/s | slowed, never dropped |
| readers dropped (sum over rounds) | $(total fdrop_none) | $(total fdrop_limited) | $(total fdrop_off) | 0 |
| flooder dropped (rounds) | - | $(total fflooder_limited) | $(total fflooder_off) | 0 |

sweep (one run each; NaN: the server cannot hold that many or is not run there):
$(cat "$dat")
TABLE
