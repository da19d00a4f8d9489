//go:build !e2e

package e2e

import "testing"

// TestE2ERequiresTag tells whoever runs `go test ./...` where the real
// end-to-end tests are.
func TestE2ERequiresTag(t *testing.T) {
	t.Skip("end-to-end tests are behind the e2e build tag: run `bash test/e2e/run.sh` " +
		"(or TELEDIAG_E2E=1 TELEDIAG_BIN=... TELEDIAG_OTELCOL=... TELEDIAG_PROMETHEUS=... go test -tags e2e ./test/e2e/...)")
}
