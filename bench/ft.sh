#!/usr/bin/env bash
# File-transfer benchmark, side by side in one run (interleaved rounds, median):
#   ftsend -> ftrecv  (sendfile/splice, CRC-32C verified from the page cache,
#                      fsync'd, renamed into place; the wall time of ftsend),
#   nc -N -> nc -l    (netcat-openbsd, no checksum; until the listener exits),
#   iperf3            (one stream, memory to memory, -n the same bytes: the
#                      loopback ceiling; its own receiver-side figure),
#   ftceiling         (bench/ftceiling.c: sendfile -> splice -> file, nothing
#                      verified: the most any tool writing the file can do),
# and the CPU seconds per GiB each side of ours and of the ceiling used: on
# two cores a transfer cannot go faster than 2 / (sender + receiver CPU).
# Source and destination on /dev/shm (tmpfs): the disk is not measured.
# A few GiB of memory are touched first (on a VM the first touch of a fresh
# page costs 3-5x) and every output is deleted before the next round.
# Then the peak RSS of each side, and throughput against file size
# (1 MiB ... 2 GiB) drawn by gnuplot into docs/ft-throughput.svg.
#
# Usage: bench/ft.sh [ROUNDS] [SIZE_MIB] [SWEEP_ROUNDS]
#   defaults: 5 rounds of 1024 MiB; 3 rounds per size for the plot (0: no plot)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
mib=${2:-1024}
sweep_rounds=${3:-3}
sweep_mib="1 8 64 256 1024 2048"

need=()
command -v iperf3 >/dev/null || need+=(iperf3)
nc -h 2>&1 | grep -q OpenBSD || need+=(netcat-openbsd)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "bench/ft.sh: installing ${need[*]} (benchmark-only)" >&2
  apt-get install -y "${need[@]}" >/dev/null
fi
cmake --preset release >/dev/null
cmake --build --preset release -j2 >/dev/null
bin=$PWD/build/bin
bench=$PWD/build/bench
work=$(mktemp -d /dev/shm/ftbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir "$work/src" "$work/dst"

echo "warming 4 GiB of memory..." >&2
dd if=/dev/zero of="$work/warm" bs=1M count=4096 status=none
rm -f "$work/warm"

"$bin/ftrecv" -q -4 -b 127.0.0.1 -p 0 -d "$work/dst" 2>"$work/rx.err" & pids+=($!); rx=$!
for _ in $(seq 100); do grep -qs 'listening on' "$work/rx.err" && break; sleep 0.05; done
ft_port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/rx.err")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ip_port=$(free_port)
iperf3 -s -B 127.0.0.1 -p "$ip_port" >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 100); do ss -Hltn "sport = :$ip_port" | grep -q . && break; sleep 0.05; done

now() { date +%s.%N; }
gbps() { python3 -c "print(f'{$1 / ($3 - $2) / 1e9:.2f}')"; }

rx_ticks() { awk '{print $14 + $15}' "/proc/$rx/stat"; }
cpu_per_gib() { python3 -c "print(f'{$1 * 1073741824 / $2:.2f}')"; }

# The ceiling: FILE by ftceiling; prints "GB/s tx_cpu rx_cpu" (CPU s per GiB).
ceiling_round() {
  local file=$1 bytes=$2 t0 t1 port
  rm -f "$work/ceiling.out" # else the last round's port may be read before the truncation
  "$bench/ftceiling" listen "$work/dst/ceiling.bin" >"$work/ceiling.out" &
  local lst=$!
  for _ in $(seq 200); do grep -qs 'listening on' "$work/ceiling.out" && break; sleep 0.01; done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/ceiling.out")
  t0=$(now)
  "$bench/ftceiling" send "$port" "$file" >"$work/ceiling.tx"
  wait $lst
  t1=$(now)
  cmp -s "$file" "$work/dst/ceiling.bin" || { echo "ftceiling: file differs" >&2; exit 1; }
  rm -f "$work/dst/ceiling.bin"
  echo "$(gbps "$bytes" "$t0" "$t1")" \
    "$(cpu_per_gib "$(awk '/tx_cpu/ {print $2}' "$work/ceiling.tx")" "$bytes")" \
    "$(cpu_per_gib "$(awk '/rx_cpu/ {print $2}' "$work/ceiling.out")" "$bytes")"
}

# One transfer of FILE (BYTES) by each tool; prints "ours nc iperf3 ceiling
# ours_tx_cpu ours_rx_cpu ceiling_tx_cpu ceiling_rx_cpu" (GB/s; CPU s/GiB).
one_round() {
  local file=$1 bytes=$2 t0 t1 a b c ncl nc_port r0 r1 tx_cpu
  rm -f "$work/dst/"*
  r0=$(rx_ticks)
  t0=$(now)
  /usr/bin/time -f "%M %U %S" -o "$work/send.time" "$bin/ftsend" -q -p "$ft_port" 127.0.0.1 "$file"
  t1=$(now)
  r1=$(rx_ticks)
  read -r rss tx_u tx_s <"$work/send.time"
  echo "$rss" >"$work/send.rss"
  tx_cpu=$(cpu_per_gib "$(python3 -c "print($tx_u + $tx_s)")" "$bytes")
  cmp -s "$file" "$work/dst/$(basename "$file")" || { echo "ft: file differs" >&2; exit 1; }
  a=$(gbps "$bytes" "$t0" "$t1")
  cat "$work/send.rss" >>"$work/send.rss.all" # one_round runs in a subshell
  rm -f "$work/dst/"*

  nc_port=$(free_port)
  nc -l 127.0.0.1 "$nc_port" >"$work/dst/nc.bin" &
  ncl=$!
  for _ in $(seq 200); do ss -Hltn "sport = :$nc_port" | grep -q . && break; sleep 0.01; done
  t0=$(now)
  nc -N 127.0.0.1 "$nc_port" <"$file"
  wait $ncl
  t1=$(now)
  [ "$(stat -c %s "$work/dst/nc.bin")" = "$bytes" ] || { echo "nc: short" >&2; exit 1; }
  b=$(gbps "$bytes" "$t0" "$t1")
  rm -f "$work/dst/nc.bin"

  c=$(iperf3 -c 127.0.0.1 -p "$ip_port" -n "$bytes" -J |
      python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.2f" % (e["sum_received"]["bits_per_second"]/8e9))')
  local ceil_gbps ceil_tx ceil_rx rx_cpu
  read -r ceil_gbps ceil_tx ceil_rx < <(ceiling_round "$file" "$bytes")
  rx_cpu=$(cpu_per_gib "$(python3 -c "print(($r1 - $r0) / 100)")" "$bytes")
  echo "$a $b $c $ceil_gbps $tx_cpu $rx_cpu $ceil_tx $ceil_rx"
}

median() { python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" "$@"; }

# --- the main comparison: ROUNDS rounds of MIB MiB ---
bytes=$((mib << 20))
head -c "$bytes" /dev/urandom >"$work/src/data.bin"
ours=(); ncs=(); ips=(); ceils=(); otx=(); orx=(); ctx=(); crx=()
echo "round  ftsend->ftrecv  ceiling  nc->nc  iperf3  (GB/s, $mib MiB) | CPU s/GiB: ours send+recv, ceiling send+recv"
for r in $(seq 1 "$rounds"); do
  read -r a b c d e f g h < <(one_round "$work/src/data.bin" "$bytes")
  printf "%5d  %14s  %7s  %6s  %6s   | %s+%s  %s+%s\n" "$r" "$a" "$d" "$b" "$c" "$e" "$f" "$g" "$h"
  ours+=("$a"); ncs+=("$b"); ips+=("$c"); ceils+=("$d"); otx+=("$e"); orx+=("$f"); ctx+=("$g"); crx+=("$h")
done
rx_rss=$(awk '/VmHWM/ {print $2}' /proc/$rx/status)
send_rss=$(sort -n "$work/send.rss.all" | tail -1)
ft=$(median "${ours[@]}"); nc=$(median "${ncs[@]}"); ip=$(median "${ips[@]}"); ceil=$(median "${ceils[@]}")
o_tx=$(median "${otx[@]}"); o_rx=$(median "${orx[@]}"); c_tx=$(median "${ctx[@]}"); c_rx=$(median "${crx[@]}")
rm -f "$work/src/data.bin"
# On 2 cores, both sides busy: a transfer needs (tx + rx) / 2 CPU-seconds per GiB at least.
bound() { python3 -c "print(f'{2 * 1.073741824 / ($1 + $2):.2f}')"; }
cat <<TABLE

| measure ($mib MiB random data, /dev/shm to /dev/shm, loopback, median of $rounds) | value |
|---|---|
| ftsend -> ftrecv, CRC-32C verified + fsync + rename | $ft GB/s |
| nc -N -> nc -l (netcat-openbsd) | $nc GB/s |
| iperf3, one stream, memory to memory | $ip GB/s |
| ceiling: sendfile -> splice -> file, nothing verified (bench/ftceiling) | $ceil GB/s |
| ratio ftsend/nc | $(python3 -c "print(f'{$ft / $nc:.2f}')") (target >= 1.5) |
| ratio ftsend/iperf3 | $(python3 -c "print(f'{$ft / $ip:.2f}')") (target >= 0.75) |
| ratio ceiling/nc, ceiling/iperf3 | $(python3 -c "print(f'{$ceil / $nc:.2f}, {$ceil / $ip:.2f}')") |
| CPU s per GiB, ours: ftsend + ftrecv | $o_tx + $o_rx (2-core bound $(bound "$o_tx" "$o_rx") GB/s) |
| CPU s per GiB, ceiling: send + receive | $c_tx + $c_rx (2-core bound $(bound "$c_tx" "$c_rx") GB/s) |
| peak RSS ftsend (time -f %M) | $(python3 -c "print(f'{$send_rss / 1024:.1f}')") MiB (target <= 16) |
| peak RSS ftrecv (VmHWM) | $(python3 -c "print(f'{$rx_rss / 1024:.1f}')") MiB (target <= 16) |
TABLE

# --- throughput against file size, for the plot ---
[ "$sweep_rounds" -gt 0 ] || exit 0
echo
echo "size_MiB  ftsend->ftrecv  nc->nc  iperf3  ceiling  (median of $sweep_rounds; rounds: ours | nc | iperf3)"
: >"$work/sweep.dat"
for m in $sweep_mib; do
  head -c $((m << 20)) /dev/urandom >"$work/src/f$m.bin"
  o=(); n=(); i=(); c_=()
  for r in $(seq 1 "$sweep_rounds"); do
    read -r a b c d _ < <(one_round "$work/src/f$m.bin" $((m << 20)))
    o+=("$a"); n+=("$b"); i+=("$c"); c_+=("$d")
  done
  rm -f "$work/src/f$m.bin"
  line="$m $(median "${o[@]}") $(median "${n[@]}") $(median "${i[@]}") $(median "${c_[@]}")"
  echo "$line" >>"$work/sweep.dat"
  printf "%8s  %14s  %6s  %6s  %7s   (%s | %s | %s)\n" $line "${o[*]}" "${n[*]}" "${i[*]}"
done
gnuplot <<PLOT
set terminal svg size 720,420 font "sans,12" background "white"
set output "docs/ft-throughput.svg"
set title "File transfer over loopback, /dev/shm to /dev/shm (median of $sweep_rounds)"
set xlabel "file size (MiB)"
set ylabel "GB/s"
set logscale x 2
set xtics (1, 8, 64, 256, 1024, 2048)
set key top left
set grid
plot "$work/sweep.dat" using 1:2 with linespoints lw 2 title "ftsend -> ftrecv (CRC-32C, fsync)", \
     "" using 1:3 with linespoints lw 2 title "nc -N -> nc -l", \
     "" using 1:4 with linespoints lw 2 dt 2 title "iperf3, one stream (memory to memory)", \
     "" using 1:5 with linespoints lw 2 dt 3 title "ceiling: sendfile -> splice, nothing verified"
PLOT
echo "plot: docs/ft-throughput.svg"
