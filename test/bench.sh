#!/usr/bin/env bash
# Reproduces every figure of docs/benchmarks.md: the record, scrape, push and heap benchmarks of
# telemetry/bench_test.go and export_bench_test.go, each telediag path beside its client_golang
# equivalent in the same run, -count 6, then benchstat. Each group runs in a process of its own,
# so that process-wide state (sync.Pool contents, the GC's pacing) does not carry from one group
# into the next. Run it on a quiet machine: about 20 minutes on 2 cores.
#
#   bash test/bench.sh [OUTDIR]      raw output and benchstat tables land in OUTDIR (default bench-out/)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-out}
mkdir -p "$out"
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)
count=${BENCH_COUNT:-6}

run() { # name, go test arguments…
	local name=$1
	shift
	printf 'bench: %s\n' "$name" >&2
	go test -run '^$' -benchmem -count "$count" "$@" ./telemetry/ >"$out/$name.txt"
}

{ uname -srm; go version; grep -m1 'model name' /proc/cpuinfo || true; nproc; } >"$out/machine.txt"
run record -bench 'CounterAdd|HistogramRecord' -cpu 1,2
run scrape -bench 'Scrape' -cpu 1,2
run export -bench 'Export10kSeries' -cpu 1,2
# Heap kept per series does not depend on GOMAXPROCS.
run heap -bench 'HeapPerSeries' -cpu 2

for name in record scrape heap; do
	"${benchstat[@]}" -col /impl "$out/$name.txt" >"$out/$name.benchstat"
done
"${benchstat[@]}" "$out/export.txt" >"$out/export.benchstat"
printf 'bench: done; tables in %s/*.benchstat\n' "$out" >&2
