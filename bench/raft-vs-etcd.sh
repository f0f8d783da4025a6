#!/usr/bin/env bash
# Replicated writes: three etcd members against three Cairn Raft processes on this machine, both fsyncing their
# logs, the same load (cairn-bench put-load: 64 concurrent clients, 256-byte values) against each.
#
#   bench/raft-vs-etcd.sh                 # 10 s measured per system
#   bench/raft-vs-etcd.sh --quick         # smoke test: 2 s; the numbers mean nothing
#   bench/raft-vs-etcd.sh --duration 30 --out /tmp/raft.md
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: bench/raft-vs-etcd.sh [--quick] [--duration S] [--clients N] [--out FILE]
  --quick        2 s warm-up and 2 s measured
  --duration S   seconds measured per system (default 10)
  --clients N    concurrent clients (default 64)
  --out FILE     also write the markdown table to FILE
USAGE
}

duration=10
warmup=3
clients=64
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) duration=2; warmup=2; shift ;;
        --duration) duration="$2"; shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cairn-raft-bench.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
log() { echo "[raft-vs-etcd] $*" >&2; }

if ! command -v etcd >/dev/null; then
    log "installing etcd-server (Debian)"
    apt-get install -y etcd-server >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y etcd-server >/dev/null; }
fi

log "building bench/Cairn.Bench (Release)"
dotnet build -c Release "$root/bench/Cairn.Bench/Cairn.Bench.csproj" -v quiet -nologo 1>&2
bench_dll="$root/bench/Cairn.Bench/bin/Release/net10.0/cairn-bench.dll"

# etcd: three members on loopback, WAL fsync on (its default).
base=23790
cluster=""
for i in 1 2 3; do
    cluster+="e$i=http://127.0.0.1:$((base + 10 * i + 1)),"
done
cluster="${cluster%,}"
endpoints=""
for i in 1 2 3; do
    client_port=$((base + 10 * i))
    peer_port=$((base + 10 * i + 1))
    etcd --name "e$i" --data-dir "$work/etcd-$i" \
        --listen-client-urls "http://127.0.0.1:$client_port" --advertise-client-urls "http://127.0.0.1:$client_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token cairn-bench \
        >"$work/etcd-$i.log" 2>&1 &
    pids+=($!)
    endpoints+="http://127.0.0.1:$client_port,"
done
endpoints="${endpoints%,}"
for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$((base + 10))/health" | grep -q '"health":"true"'; then break; fi
    sleep 0.2
done
log "etcd: $(etcd --version | head -1), members up"
etcd_line="$(dotnet "$bench_dll" put-load --etcd "$endpoints" --clients "$clients" --warmup "$warmup" --duration "$duration")"
log "etcd: $etcd_line"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }

log "building src/Cairn.Cli (Release)"
dotnet build -c Release "$root/src/Cairn.Cli/Cairn.Cli.csproj" -v quiet -nologo 1>&2
cairn_dll="$root/src/Cairn.Cli/bin/Release/net10.0/cairn.dll"
export CAIRN_CLUSTER_SECRET="raft-bench-secret-$(date +%s%N)"
cbase=27100
members=""
for i in 1 2 3; do members+="$i=127.0.0.1:$((cbase + i)),"; done
members="${members%,}"
for i in 1 2 3; do
    dotnet "$cairn_dll" raft-node --id "$i" --peers "$members" --data-dir "$work/cairn-$i" ${CAIRN_RAFT_NODE_ARGS:-} >"$work/cairn-$i.log" 2>&1 &
    pids+=($!)
done
for i in 1 2 3; do
    for _ in $(seq 1 100); do
        if grep -q "serving" "$work/cairn-$i.log"; then break; fi
        sleep 0.1
    done
done
log "cairn: three raft-node members up"
cairn_line="$(dotnet "$bench_dll" put-load --cairn "${members//[0-9]=/}" --clients "$clients" --warmup "$warmup" --duration "$duration")"
log "cairn: $cairn_line"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

{
    echo "## Replicated puts: Cairn Raft against etcd, 3 members each"
    echo
    echo "$(date -u +%F), $(nproc) CPUs, all processes on one machine. Load: \`cairn-bench put-load\`, $clients clients,"
    echo "256-byte values, ${warmup} s warm-up, ${duration} s measured; every put waits for its commit."
    echo
    echo "| system | puts/s | p50 ms | p99 ms |"
    echo "|---|---:|---:|---:|"
    echo "| etcd $(etcd --version | head -1 | awk '{print $3}') (HTTP/JSON gateway) | $(field "$etcd_line" puts/s) | $(field "$etcd_line" p50_ms) | $(field "$etcd_line" p99_ms) |"
    echo "| Cairn raft-node (Cairn.Rpc) | $(field "$cairn_line" puts/s) | $(field "$cairn_line" p50_ms) | $(field "$cairn_line" p99_ms) |"
    echo "| **Cairn/etcd** | **$(ratio "$(field "$cairn_line" puts/s)" "$(field "$etcd_line" puts/s)")×** | $(ratio "$(field "$cairn_line" p50_ms)" "$(field "$etcd_line" p50_ms)")× | $(ratio "$(field "$cairn_line" p99_ms)" "$(field "$etcd_line" p99_ms)")× |"
    echo
    echo "Targets: Cairn/etcd ≥ 5× puts/s at a p99 no higher than etcd's."
} | tee "${out:-/dev/null}"
