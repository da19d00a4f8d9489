// Package bench measures what recording and scraping cost with telediag beside client_golang,
// on a realistic fixture: Teleport's whole catalogue (telemetry/teleport) recorded, histograms
// included, plus extra series. test/bench.sh runs it and docs/benchmarks.md has the figures.
// It holds no code of its own besides the benchmarks.
package bench
