package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMigrateExitStatuses: 2 for bad usage and for a catalogue it cannot use, 0 for packages
// with nothing to rewrite.
func TestMigrateExitStatuses(t *testing.T) {
	orders := "../../examples/orders/ordermetrics/instruments.yaml"
	invalid := filepath.Join(t.TempDir(), "instruments.yaml")
	if err := os.WriteFile(invalid, []byte("metrics: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A valid catalogue outside any module, generated nowhere.
	data, err := os.ReadFile(orders)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "instruments.yaml")
	if err := os.WriteFile(elsewhere, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no pattern", nil, 2, "want one or more package patterns"},
		{"bad flag", []string{"-nope", "./..."}, 2, "flag provided but not defined"},
		{"no catalogue file", []string{"-catalog", "testdata/none.yaml", "../../internal/catalog"}, 2, "none.yaml"},
		{"invalid catalogue", []string{"-catalog", invalid, "../../internal/catalog"}, 2, "is not a valid catalogue"},
		{"generated nowhere", []string{"-catalog", elsewhere, "../../internal/catalog"}, 2, "no instruments_gen.go beside it, and no go.mod above it"},
		// telemetry/teleport is generated from the repository's catalogue by its //go:generate line.
		{"generated elsewhere", []string{"-catalog", "../../instruments.yaml", "../../internal/codegen"}, 0, ""},
		{"generated given", []string{"-catalog", "../../instruments.yaml", "-generated", "../../telemetry/teleport", "../../internal/codegen"}, 0, ""},
		{"generated given wrong", []string{"-catalog", "../../instruments.yaml", "-generated", "../../internal/catalog", "../../internal/codegen"}, 2, "no instruments_gen.go in ../../internal/catalog"},
		{"nothing to rewrite", []string{"-catalog", orders, "../../internal/catalog"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"migrate"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.err != "" && !strings.Contains(stderr.String(), tc.err) {
				t.Errorf("stderr does not say %q:\n%s", tc.err, stderr.String())
			}
			if tc.code == 0 && stdout.Len() > 0 {
				t.Errorf("nothing to rewrite, yet:\n%s", stdout.String())
			}
		})
	}
}
