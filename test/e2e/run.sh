#!/usr/bin/env bash
# Runs the end-to-end tests against real peers:
#   1. test/e2e/setup.sh installs or reuses Prometheus, Chromium and the OTel Collector;
#   2. builds ./cmd/telediag into a temporary directory;
#   3. go test -tags e2e ./test/e2e/... with TELEDIAG_E2E=1.
# Extra arguments go to `go test` (e.g. -run TestPrometheusScrapes -v).
# Screenshots of the status page go to $TELEDIAG_E2E_ARTIFACTS (default bin/e2e/, ignored by git).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

log() { printf 'e2e-run: %s\n' "$*" >&2; }

start=$SECONDS
exports=$(bash test/e2e/setup.sh)
eval "$exports"
log "setup done in $((SECONDS - start))s"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/telediag-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "go build -o $tmp/telediag ./cmd/telediag"
go build -o "$tmp/telediag" ./cmd/telediag

artifacts=${TELEDIAG_E2E_ARTIFACTS:-$root/bin/e2e}
log "go test -count=1 -tags e2e -timeout 10m ./test/e2e/... $* (screenshots in $artifacts)"
TELEDIAG_E2E=1 \
	TELEDIAG_BIN="$tmp/telediag" \
	TELEDIAG_OTELCOL="$TELEDIAG_OTELCOL" \
	TELEDIAG_PROMETHEUS="$TELEDIAG_PROMETHEUS" \
	TELEDIAG_CHROMIUM="$TELEDIAG_CHROMIUM" \
	TELEDIAG_E2E_ARTIFACTS="$artifacts" \
	go test -count=1 -tags e2e -timeout 10m "$@" ./test/e2e/...
