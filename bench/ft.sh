#!/usr/bin/env bash
# File-transfer benchmark, side by side in one run (interleaved rounds):
#   ftsend -> ftrecv (CRC-32C verified, fsync'd, renamed into place),
#   nc -N -> nc -l (netcat-openbsd, no checksum),
#   iperf3 (memory to memory: the loopback ceiling).
# Source and destination on /dev/shm (tmpfs), so the disk is not measured.
# Also the peak RSS (VmHWM) of ftsend and ftrecv.
# Usage: bench/ft.sh [ROUNDS] [SIZE_MIB]   (default 3 rounds of 2048 MiB)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
mib=${2:-2048}
for cmd in nc iperf3 /usr/bin/time; do
  command -v $cmd >/dev/null || { echo "bench/ft.sh: $cmd missing" >&2; exit 1; }
done
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d /dev/shm/ftbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/src" "$work/dst"
head -c $((mib << 20)) /dev/urandom >"$work/src/data.bin"
bytes=$((mib << 20))
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$bytes / ($2 - $1) / 1e9:.2f}')"; }

"$bin/ftrecv" -q -4 -b 127.0.0.1 -p 0 -d "$work/dst" 2>"$work/rx.err" & pids+=($!); rx=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/rx.err" && break; sleep 0.05; done
ft_port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/rx.err")
ip_port=$(free_port)
iperf3 -s -1 -B 127.0.0.1 -p "$ip_port" >/dev/null 2>&1 &
ip_pid=$!

declare -A runs
add() { runs[$1]="${runs[$1]:-} $2"; }
echo "round  ftsend->ftrecv  nc->nc  (GB/s)"
send_rss=0
# Round 0 warms up (tmpfs pages, caches) and is not counted: both tools'
# first runs here are several times slower than the rest.
for r in $(seq 0 "$rounds"); do
  rm -f "$work/dst/data.bin"
  t0=$(now)
  /usr/bin/time -f %M -o "$work/send.rss" "$bin/ftsend" -q -p "$ft_port" 127.0.0.1 "$work/src/data.bin"
  t1=$(now)
  cmp -s "$work/src/data.bin" "$work/dst/data.bin" || { echo "ft: file differs" >&2; exit 1; }
  a=$(rate "$t0" "$t1")
  s=$(cat "$work/send.rss"); (( s > send_rss )) && send_rss=$s

  nc_port=$(free_port)
  nc -l 127.0.0.1 "$nc_port" >"$work/dst/nc.bin" &
  ncl=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$nc_port) 2>/dev/null && break; sleep 0.02; done
  # that probe connection was the listener's one accept: start it again
  wait $ncl || true
  nc -l 127.0.0.1 "$nc_port" >"$work/dst/nc.bin" &
  ncl=$!
  sleep 0.2
  t0=$(now)
  nc -N 127.0.0.1 "$nc_port" <"$work/src/data.bin"
  wait $ncl
  t1=$(now)
  b=$(rate "$t0" "$t1")
  rm -f "$work/dst/nc.bin"
  printf "%5d  %14s  %6s%s\n" "$r" "$a" "$b" "$([ "$r" = 0 ] && echo '  (warm-up, not counted)')"
  [ "$r" = 0 ] || { add ft "$a"; add nc "$b"; }
done
ceiling=$(iperf3 -c 127.0.0.1 -p "$ip_port" -t 5 -f g 2>/dev/null | awk '/receiver/ {print $(NF-2)}')
wait $ip_pid 2>/dev/null || true
rx_rss=$(awk '/VmHWM/ {print $2}' /proc/$rx/status)

median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" ${runs[$1]}; }
ft=$(median ft); nc=$(median nc)
cat <<TABLE

| measure ($mib MiB random data, /dev/shm to /dev/shm, loopback, median of $rounds) | value |
|---|---|
| ftsend -> ftrecv, CRC-32C verified + fsync + rename | $ft GB/s |
| nc -N -> nc -l (netcat-openbsd) | $nc GB/s |
| ratio ftsend/nc | $(python3 -c "print(f'{$ft / $nc:.2f}')") (target >= 1.8) |
| iperf3 memory to memory (ceiling) | $(python3 -c "print(f'{${ceiling:-0} / 8:.2f}')") GB/s |
| peak RSS ftsend | $((send_rss / 1024)) MiB (target <= 16) |
| peak RSS ftrecv | $((rx_rss / 1024)) MiB (target <= 16) |
TABLE
