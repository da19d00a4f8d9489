#!/usr/bin/env bash
# The project's test command (README): every unit and example test under the race detector,
# deploy's checks of the alert rules and the dashboard (Go tests and promtool), then the
# end-to-end suite against a real OpenTelemetry Collector and a real Prometheus
# (test/e2e/run.sh installs or reuses them; the Collector build is cached).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== go test -race ./..."
go test -race -count=1 ./...

echo "== examples/orders (a module of its own: its own catalogue on telediag)"
(cd examples/orders && go test -race -count=1 ./...)

echo "== deploy (a module of its own: rules and dashboard checked against the catalogue with the PromQL parser)"
(cd deploy && go test -race -count=1 ./...)

echo "== alert rules: promtool check rules, promtool test rules"
bash deploy/prometheus/test.sh

echo "== end-to-end (real Collector and Prometheus)"
bash test/e2e/run.sh
