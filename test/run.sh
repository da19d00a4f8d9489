#!/usr/bin/env bash
# The project's test command (README): every unit and example test under the race detector,
# then the end-to-end suite against a real OpenTelemetry Collector and a real Prometheus
# (test/e2e/run.sh installs or reuses them; the Collector build is cached).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== go test -race ./..."
go test -race -count=1 ./...

echo "== examples/orders (a module of its own: its own catalogue on telediag)"
(cd examples/orders && go test -race -count=1 ./...)

echo "== end-to-end (real Collector and Prometheus)"
bash test/e2e/run.sh
