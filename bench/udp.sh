#!/usr/bin/env bash
# UDP probe benchmark, side by side in one run (interleaved rounds):
#   udppeer --probe --rate max -s 64  ->  udppeer --probe-listen
#   iperf3 -u -b 0 -l 64              ->  iperf3 -s
# Prints the sender's datagrams/s for both, and what each receiver got
# (the receivers may fall behind a sender that outruns them: that shows
# as loss, reported honestly by both tools).
# Usage: bench/udp.sh [ROUNDS] [SECONDS_PER_IPERF_RUN]   (default 5 rounds, 3 s)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
secs=${2:-3}
command -v iperf3 >/dev/null || { echo "bench/udp.sh: iperf3 missing (apt-get install iperf3)" >&2; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$bin/udppeer" --probe-listen -b 127.0.0.1 -p 0 --interval 0 >"$work/rx.out" 2>"$work/rx.err" &
pids+=($!)
for _ in $(seq 100); do grep -qs 'listening on' "$work/rx.err" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$work/rx.err")
ip_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
iperf3 -s -B 127.0.0.1 -p "$ip_port" >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

# About as many datagrams as iperf3 sends in $secs seconds (measured below).
count=$((1500000 * secs))
declare -A runs
add() { runs[$1]="${runs[$1]:-} $2"; }
printf "round  udppeer sent/s  udppeer rcvd/s  iperf3 sent/s  iperf3 rcvd/s\n"
for r in $(seq "$rounds"); do
  out=$("$bin/udppeer" --probe -s 64 --rate max -n "$count" --wait 5 127.0.0.1 "$port")
  us=$(sed -n 's/^sender: .*s: \([0-9]*\) datagrams\/s.*/\1/p' <<<"$out")
  ur=$(python3 - "$out" <<'PY'
import re, sys
m = re.search(r"received (\d+) .* over ([0-9.]+) s", sys.argv[1])
print(int(int(m.group(1)) / float(m.group(2))) if m and float(m.group(2)) > 0 else 0)
PY
)
  json=$(iperf3 -c 127.0.0.1 -p "$ip_port" -u -b 0 -l 64 -t "$secs" -J)
  read -r is ir < <(python3 - "$json" <<'PY'
import json, sys
j = json.loads(sys.argv[1])["end"]
s = j["sum"]
sent = s["packets"] / s["seconds"]
lost = s.get("lost_packets", 0)
print(int(sent), int((s["packets"] - lost) / s["seconds"]))
PY
)
  printf "%5d  %14s  %14s  %13s  %13s\n" "$r" "$us" "$ur" "$is" "$ir"
  add us "$us"; add ur "$ur"; add is "$is"; add ir "$ir"
done
median() { python3 -c "import statistics, sys; print(int(statistics.median(map(float, sys.argv[1:]))))" ${runs[$1]}; }
us=$(median us); ur=$(median ur); is=$(median is); ir=$(median ir)
cat <<TABLE

| measure (64-byte datagrams, loopback, median of $rounds) | udppeer --probe | iperf3 -u -b 0 -l 64 |
|---|---|---|
| sender, datagrams/s | $us | $is |
| receiver, datagrams/s received | $ur | $ir |
| ratio udppeer/iperf3 (sender) | $(python3 -c "print(f'{$us / $is:.2f}')") (target >= 0.9) | |
TABLE
