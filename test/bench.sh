#!/usr/bin/env bash
# Reproduces every figure of docs/benchmarks.md: the record, scrape, push and heap benchmarks of
# test/bench/bench_test.go and telemetry/export_bench_test.go, each telediag path beside its client_golang
# equivalent in the same run, -count 6, then benchstat. Each group runs in a process of its own,
# so that process-wide state (sync.Pool contents, the GC's pacing) does not carry from one group
# into the next. Run it on a quiet machine: about 30 minutes on 2 cores.
#
#   bash test/bench.sh [OUTDIR [GROUP...]]   raw output and benchstat tables land in OUTDIR
#                                            (default bench-out/); GROUPs: record scrape export heap
#                                            disabled counters native
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-out}
shift || true
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(record scrape export heap disabled counters native)
mkdir -p "$out"
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)
count=${BENCH_COUNT:-6}

run() { # name, go test arguments…
	local name=$1
	shift
	printf 'bench: %s\n' "$name" >&2
	go test -run '^$' -benchmem -count "$count" "$@" ./telemetry/ ./test/bench/ >"$out/$name.txt"
}

{ uname -srm; go version; grep -m1 'model name' /proc/cpuinfo || true; nproc; } >"$out/machine.txt"
for g in "${groups[@]}"; do
	case $g in
	record) run record -bench 'CounterAdd|HistogramRecord' -cpu 1,2 ;;
	scrape) run scrape -bench 'Scrape' -cpu 1,2 ;;
	export) run export -bench 'Export10kSeries' -cpu 1,2 ;;
	# Heap kept per series does not depend on GOMAXPROCS.
	heap) run heap -bench 'HeapPerSeries' -cpu 2 ;;
	# A switched-off metric's calls beside the same calls served; a no-op shares nothing between
	# goroutines, so one GOMAXPROCS.
	disabled) run disabled -bench 'DisabledRecord' -cpu 2 ;;
	# Issue 26's counter shapes (PromLabs': no labels, two labels per call, two labels kept;
	# serial and RunParallel), telediag beside client_golang.
	counters) run counters -bench '^BenchmarkCounters$' -cpu 1,2 ;;
	# Issue 25's native histograms and exemplars, and the protobuf scrape of 10k native series.
	native) run native -bench 'NativeRecord|ScrapeNative|HeapPerNativeSeries' -cpu 1,2 ;;
	*) echo "bench: unknown group $g (record, scrape, export, heap, disabled, counters, native)" >&2; exit 2 ;;
	esac
	case $g in
	export) "${benchstat[@]}" "$out/$g.txt" >"$out/$g.benchstat" ;;
	disabled) "${benchstat[@]}" -col /state "$out/$g.txt" >"$out/$g.benchstat" ;;
	*) "${benchstat[@]}" -col /impl "$out/$g.txt" >"$out/$g.benchstat" ;;
	esac
done
printf 'bench: done; tables in %s/*.benchstat\n' "$out" >&2
