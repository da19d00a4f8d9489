// Package e2e holds end-to-end tests that run the telediag binary against
// real peers: an OpenTelemetry Collector (built with the OTel Collector
// Builder from test/e2e/otelcol/builder-config.yaml), Prometheus (Debian's
// package), and Chromium (Debian's package, headless) for the /status page.
//
// The tests carry the build tag "e2e". Run them with
//
//	bash test/e2e/run.sh
//
// which installs or reuses the peers (test/e2e/setup.sh), builds
// ./cmd/telediag and runs
//
//	TELEDIAG_E2E=1 TELEDIAG_BIN=... TELEDIAG_OTELCOL=... TELEDIAG_PROMETHEUS=... TELEDIAG_CHROMIUM=... \
//	    go test -count=1 -tags e2e -timeout 10m ./test/e2e/...
//
// Without TELEDIAG_E2E the tests skip; with TELEDIAG_E2E=1 a missing binary is
// a failure, not a skip.
package e2e
