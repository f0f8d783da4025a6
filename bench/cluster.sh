#!/usr/bin/env bash
# A 3-node Cairn cluster (R=3, fsynced Raft logs) against etcd (3 members, fsynced WAL) and Redis Cluster (3
# redis-server masters, no replicas, no AOF: it neither replicates nor fsyncs) on this one machine, in one run.
#   - replicated writes: redis-benchmark --cluster SET against Cairn, cairn-bench put-load against etcd, both with
#     the same number of clients, one request in flight each, 256-byte values;
#   - redis-benchmark --cluster SET and GET against Cairn and Redis Cluster, unpipelined and -P 16.
#
#   bench/cluster.sh                      # 10 s of etcd load, 100,000 requests per redis-benchmark run
#   bench/cluster.sh --quick              # smoke test; the numbers mean nothing
#   bench/cluster.sh --out /tmp/cluster.md
# Run it on a quiet machine: the three systems, their nodes and the load tools share the CPUs.
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: bench/cluster.sh [--quick] [--requests N] [--clients N] [--duration S] [--out FILE]
  --quick        smoke test: 5,000 requests per run, 2 s of etcd load
  --requests N   requests per redis-benchmark run (default 100,000; -P 16 runs use 4N)
  --clients N    concurrent clients (default 64)
  --duration S   seconds of etcd load measured (default 10)
  --out FILE     also write the markdown report to FILE
USAGE
}

requests=100000
clients=64
duration=10
warmup=3
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) requests=5000; duration=2; warmup=1; shift ;;
        --requests) requests="$2"; shift 2 ;;
        --clients) clients="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "cluster.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

log() { echo "[cluster] $*" >&2; }
for tool in dotnet redis-server redis-cli redis-benchmark curl; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on the PATH (apt-get install -y redis-server redis-tools curl)"; exit 1; }
done
if ! command -v etcd >/dev/null; then
    log "installing etcd-server (Debian)"
    apt-get install -y etcd-server >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y etcd-server >/dev/null; }
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cairn-cluster-bench.XXXXXX)"
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

log "building src/Cairn.Cli and bench/Cairn.Bench (Release)"
dotnet build -c Release "$root/src/Cairn.Cli/Cairn.Cli.csproj" -v quiet -nologo 1>&2
dotnet build -c Release "$root/bench/Cairn.Bench/Cairn.Bench.csproj" -v quiet -nologo 1>&2
cairn="$root/src/Cairn.Cli/bin/Release/net10.0/cairn"
bench_dll="$root/bench/Cairn.Bench/bin/Release/net10.0/cairn-bench.dll"

# bench_resp NAME PORT: redis-benchmark --cluster runs against the cluster reached at PORT, appending
# "NAME,run,test,rps,p50,p99" lines to $work/results.csv.
bench_resp() {
    local name="$1" port="$2"
    redis-benchmark -p "$port" --cluster -t set,get -c 16 -n 5000 -q >/dev/null 2>&1 || true # warm-up
    for run in "c$clients|-c $clients -n $requests -d 256" "c$clients-P16|-c $clients -n $((requests * 4)) -d 256 -P 16"; do
        local label="${run%%|*}" flags="${run#*|}"
        log "$name: redis-benchmark --cluster -t set,get $flags"
        # shellcheck disable=SC2086 # the flags are meant to split
        redis-benchmark -p "$port" --cluster -t set,get $flags --csv 2>/dev/null |
            awk -v name="$name" -v run="$label" -F, '/^"(SET|GET)"/ { gsub(/"/, ""); print name "," run "," $1 "," $2 "," $5 "," $7 }' \
                >>"$work/results.csv"
    done
}
: >"$work/results.csv"

# 1. etcd: three members, WAL fsync on (its default).
ebase=23890
initial=""
for i in 1 2 3; do initial+="e$i=http://127.0.0.1:$((ebase + 10 * i + 1)),"; done
initial="${initial%,}"
endpoints=""
for i in 1 2 3; do
    cport=$((ebase + 10 * i)); pport=$((ebase + 10 * i + 1))
    etcd --name "e$i" --data-dir "$work/etcd-$i" \
        --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
        --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
        --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token cairn-cluster-bench \
        >"$work/etcd-$i.log" 2>&1 &
    pids+=($!)
    endpoints+="http://127.0.0.1:$cport,"
done
endpoints="${endpoints%,}"
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$((ebase + 10))/health" | grep -q '"health":"true"' && break
    sleep 0.2
done
log "etcd $(etcd --version | head -1 | awk '{print $3}'): put-load, $clients clients"
etcd_line="$(dotnet "$bench_dll" put-load --etcd "$endpoints" --clients "$clients" --warmup "$warmup" --duration "$duration")"
log "etcd: $etcd_line"
stop_all

# 2. Redis Cluster: three masters, no replicas, default persistence (RDB snapshots only, no fsync per write).
rbase=7700
for i in 0 1 2; do
    mkdir -p "$work/redis-$i"
    redis-server --port $((rbase + i)) --cluster-enabled yes --cluster-config-file "$work/redis-$i/nodes.conf" \
        --dir "$work/redis-$i" --save "" --appendonly no --daemonize no >"$work/redis-$i.log" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do
    for _ in $(seq 1 50); do redis-cli -p $((rbase + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create 127.0.0.1:$rbase 127.0.0.1:$((rbase + 1)) 127.0.0.1:$((rbase + 2)) --cluster-yes >"$work/redis-create.log" 2>&1
for _ in $(seq 1 100); do redis-cli -p $rbase cluster info | grep -q cluster_state:ok && break; sleep 0.1; done
bench_resp redis $rbase
stop_all

# 3. Cairn: three nodes from cairn config cluster (R=3, 6 shard groups, group-commit fsync of the Raft log).
cbase=7600
"$cairn" config cluster --nodes 3 --out "$work/cairn" --base-port $cbase >/dev/null
for i in 0 1 2; do
    "$cairn" node --config "$work/cairn/node-$i.json" >"$work/cairn-$i.log" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do
    for _ in $(seq 1 300); do grep -q "cluster_state:ok" "$work/cairn-$i.log" && break; sleep 0.1; done
done
sleep 3 # leaders move to their preferred nodes a couple of seconds after start
bench_resp cairn $cbase
stop_all

field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
get() { awk -F, -v n="$1" -v r="$2" -v t="$3" -v c="$4" '$1 == n && $2 == r && $3 == t { print $c }' "$work/results.csv"; }

etcd_puts="$(field "$etcd_line" puts/s)"
cairn_set="$(get cairn "c$clients" SET 4)"
{
    echo "## KV cluster: 3 Cairn nodes against etcd (3 members) and Redis Cluster (3 masters)"
    echo
    echo "$(date -u +%F), $(nproc) CPUs, every process on one machine. Cairn: \`cairn config cluster --nodes 3\` (R=3, 6"
    echo "shard groups, Raft logs fsynced by group commit). etcd $(etcd --version | head -1 | awk '{print $3}'): WAL fsync on,"
    echo "load from \`cairn-bench put-load\` ($clients clients, 256-byte values, ${duration} s). Redis Cluster $(redis-server --version | awk '{print $3}' | tr -d v=):"
    echo "3 masters, no replicas, no AOF — it neither replicates nor fsyncs. RESP load: \`redis-benchmark --cluster -d 256\`,"
    echo "$requests requests per unpipelined run, $((requests * 4)) with -P 16."
    echo
    echo "| replicated writes | ops/s | p50 ms | p99 ms |"
    echo "|---|---:|---:|---:|"
    echo "| etcd put (put-load, $clients clients) | $etcd_puts | $(field "$etcd_line" p50_ms) | $(field "$etcd_line" p99_ms) |"
    echo "| Cairn SET (redis-benchmark, $clients clients) | $cairn_set | $(get cairn "c$clients" SET 5) | $(get cairn "c$clients" SET 6) |"
    echo "| **Cairn/etcd** | **$(ratio "$cairn_set" "$etcd_puts")×** | | |"
    echo
    echo "| test | Redis Cluster ops/s | Cairn ops/s | ratio | Redis p50/p99 ms | Cairn p50/p99 ms |"
    echo "|---|---:|---:|---:|---:|---:|"
    for run in "c$clients" "c$clients-P16"; do
        for test in SET GET; do
            r="$(get redis "$run" $test 4)"; c="$(get cairn "$run" $test 4)"
            echo "| $test $run | $r | $c | $(ratio "$c" "$r")× | $(get redis "$run" $test 5) / $(get redis "$run" $test 6) | $(get cairn "$run" $test 5) / $(get cairn "$run" $test 6) |"
        done
    done
    echo
    echo "Targets: Cairn SET ≥ 5× etcd's puts/s; Cairn GET ≥ 0.5× Redis Cluster's."
} | tee "${out:-/dev/null}"
