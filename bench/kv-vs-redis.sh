#!/usr/bin/env bash
# Runs the same redis-benchmark flags against redis-server and `cairn server` on this machine and prints a Markdown
# table of ops/s, p50 and p99 with the Cairn/Redis ratios. Examples:
#   bench/kv-vs-redis.sh
#   bench/kv-vs-redis.sh --quick
#   bench/kv-vs-redis.sh --requests 200000 --sync periodic,groupcommit --out /tmp/kv.md
# Run it on a quiet machine: client and both servers share the CPUs, and anything else running lands in the numbers.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/kv-vs-redis.sh [--quick] [--requests N] [--sync LIST] [--out FILE]
  --quick        smoke test: 20,000 requests (200 for -d 262144); the numbers mean nothing
  --requests N   requests per unpipelined run (default 200,000); -P 16 runs use 4N, -d 262144 runs N/100
  --sync LIST    Cairn sync settings to run, comma-separated, of periodic, groupcommit, always, none (default periodic,groupcommit)
  --out FILE     also write the report to FILE
EOF
}

requests=200000
quick=0
syncs="periodic,groupcommit"
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1; requests=20000; shift ;;
        --requests) requests="$2"; shift 2 ;;
        --sync) syncs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "kv-vs-redis.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

for tool in dotnet redis-server redis-cli redis-benchmark; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "kv-vs-redis.sh: $tool is not on the PATH (sudo apt-get install -y redis-server redis-tools)" >&2
        exit 1
    fi
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cairn-kv-vs-redis.XXXXXX")"
pids=()

cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "kv-vs-redis.sh: $*" >&2; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() { # port pid name
    for _ in $(seq 1 200); do
        if [[ "$(redis-cli -p "$1" ping 2>/dev/null || true)" == "PONG" ]]; then
            return 0
        fi

        if ! kill -0 "$2" 2>/dev/null; then
            log "$3 exited during start-up; its log:"
            cat "$work/$3.log" >&2
            exit 1
        fi

        sleep 0.1
    done

    log "$3 did not answer PING on port $1 within 20 s"
    exit 1
}

stop_server() { # pid
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=()
    for pid in "${pids[@]}"; do
        [[ "$pid" == "$1" ]] || kept+=("$pid")
    done
    pids=("${kept[@]+"${kept[@]}"}")
}

# The runs, as "label|redis-benchmark flags". Values are redis-benchmark's default 3 bytes unless -d says otherwise.
big=$((requests / 100))
[[ $big -ge 100 ]] || big=100
runs=(
    "-c 50|-c 50 -n $requests"
    "-c 50 -P 16|-c 50 -P 16 -n $((requests * 4))"
    "-c 50 -d 262144|-c 50 -d 262144 -n $big"
)

# bench_server NAME PORT: runs every configuration against the server on PORT, writing NAME.csv lines of
# "run,test,rps,p50,p99".
bench_server() {
    local name="$1" port="$2"
    : >"$work/$name.csv"
    redis-benchmark -p "$port" -t set,get -c 50 -n 20000 -q >/dev/null # warm-up (JIT, page cache, allocators)
    for run in "${runs[@]}"; do
        local label="${run%%|*}" flags="${run#*|}"
        log "$name: redis-benchmark -t set,get $flags"
        redis-cli -p "$port" flushall >/dev/null
        # shellcheck disable=SC2086 # the flags are meant to split
        redis-benchmark -p "$port" -t set,get $flags --csv |
            awk -v run="$label" 'NR > 1 { gsub(/"/, ""); split($0, f, ","); print run "," f[1] "," f[2] "," f[5] "," f[7] }' \
                >>"$work/$name.csv"
    done
}

log "building src/Cairn.Cli (Release)"
dotnet build -c Release "$root/src/Cairn.Cli/Cairn.Cli.csproj" -v quiet -nologo 1>&2
cairn_dll="$root/src/Cairn.Cli/bin/Release/net10.0/cairn.dll"

# Redis: AOF with one fsync a second, no RDB snapshots.
port="$(free_port)"
mkdir -p "$work/redis"
redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync everysec \
    --save "" --daemonize no --logfile "$work/redis.log" &
pid=$!
pids+=("$pid")
wait_ready "$port" "$pid" redis
bench_server redis "$port"
stop_server "$pid"

IFS=',' read -r -a sync_list <<<"$syncs"
for sync in "${sync_list[@]}"; do
    port="$(free_port)"
    CAIRN_SYNC="$sync" dotnet "$cairn_dll" server --port "$port" --data-dir "$work/cairn-$sync" >"$work/cairn-$sync.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_ready "$port" "$pid" "cairn-$sync"
    bench_server "cairn-$sync" "$port"
    stop_server "$pid"
    rm -rf "$work/cairn-$sync"
done

describe() {
    case "$1" in
        periodic) echo "writes reach the OS before the reply and are fsynced once a second (the same durability as Redis's everysec)" ;;
        groupcommit) echo "every acknowledged write is fsynced first (stronger than Redis's everysec)" ;;
        always) echo "each write fsynced by its own writer before the reply" ;;
        none) echo "writes reach the OS page cache before the reply, fsynced only when a segment closes or the server stops (weaker than Redis's everysec)" ;;
        *) echo "$1" ;;
    esac
}

report() {
    echo "## Cairn (\`cairn server\`) against Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), redis-benchmark"
    echo
    echo "$(date -u +%Y-%m-%d), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), client and servers on one machine."
    echo "Redis: \`--appendonly yes --appendfsync everysec --save \"\"\`. Every run: \`redis-benchmark -t set,get\` with the"
    echo "flags in the first column; -P 16 runs send 4× the requests, -d 262144 runs 1/100 of them. Latencies in ms."
    if [[ $quick -eq 1 ]]; then
        echo
        echo "**--quick run: the numbers mean nothing.**"
    fi
    for sync in "${sync_list[@]}"; do
        echo
        echo "### Cairn with CAIRN_SYNC=$sync: $(describe "$sync")"
        echo
        echo "| test | Redis ops/s | Cairn ops/s | ratio | Redis p50/p99 | Cairn p50/p99 | p99 ratio |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        # Join the two result files on (run, test), in the order the runs were made.
        awk -F',' '
            NR == FNR { rps[$1 "," $2] = $3; p50[$1 "," $2] = $4; p99[$1 "," $2] = $5; next }
            {
                k = $1 "," $2
                if (!(k in rps)) next
                ratio = rps[k] > 0 ? sprintf("%.2f", $3 / rps[k]) : "-"
                p99ratio = p99[k] > 0 ? sprintf("%.2f", $5 / p99[k]) : "-"
                printf "| %s %s | %.0f | %.0f | %s | %s / %s | %s / %s | %s |\n", $2, $1, rps[k], $3, ratio, p50[k], p99[k], $4, $5, p99ratio
            }' "$work/redis.csv" "$work/cairn-$sync.csv"
    done
    echo
    echo "Targets: Cairn/Redis ≥ 1.0 on GET and SET, unpipelined and -P 16; Cairn p99 ≤ 1.5× Redis's."
}

echo
report | tee "${out:-/dev/null}"
if [[ -n "$out" ]]; then
    log "report written to $out"
fi
