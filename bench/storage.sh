#!/usr/bin/env bash
# Builds Cairn.Bench in Release and runs the storage benchmark: LogStore against FlatFs, and fio's sequential
# write bandwidth as the disk's limit. Arguments go to the benchmark, e.g.
#   bench/storage.sh --quick
#   bench/storage.sh --dir /mnt/nvme/cairn-bench --out /tmp/storage.md
# Run it on a quiet machine: other processes' CPU and I/O land in the numbers.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here" # stores default to ./bench-data, i.e. bench/bench-data (git-ignored), on the repository's disk

if ! command -v dotnet >/dev/null 2>&1; then
    echo "storage.sh: the .NET SDK (dotnet) is not on the PATH" >&2
    exit 1
fi

if ! command -v fio >/dev/null 2>&1; then
    echo "storage.sh: fio is not installed, so the disk's sequential write bandwidth will be missing." >&2
    echo "storage.sh: install it with: sudo apt-get install -y fio" >&2
fi

dotnet build -c Release "$here/Cairn.Bench/Cairn.Bench.csproj" -v quiet -nologo 1>&2 # keep stdout for the report
exec dotnet run -c Release --no-build --project "$here/Cairn.Bench" -- storage "$@"
