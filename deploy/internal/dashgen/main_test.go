package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mtime(t *testing.T, path string) time.Time {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime()
}

func TestWritesTheDashboardAndLeavesAnUnchangedOneAlone(t *testing.T) {
	out := filepath.Join(t.TempDir(), "d.json")
	var stderr bytes.Buffer
	if code := run([]string{"-catalog", "../../../instruments.yaml", "-out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(b, []byte(`"uid": "telediag-teleport"`)) {
		t.Fatalf("dashboard not written: %v %.200s", err, b)
	}
	past := mtime(t, out).Add(-time.Hour)
	if err := os.Chtimes(out, past, past); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-catalog", "../../../instruments.yaml", "-out", out}, &stderr); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr.String())
	}
	if !mtime(t, out).Equal(past) {
		t.Error("an unchanged dashboard was rewritten")
	}
}

func TestBadCatalogueNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "instruments.yaml")
	if err := os.WriteFile(bad, []byte("metrics:\n  - name: rx\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes.\n    colour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-catalog", bad, "-out", filepath.Join(dir, "d.json")}, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), bad+":7:") {
		t.Errorf("stderr %q does not name %s:7", stderr.String(), bad)
	}
	if _, err := os.Stat(filepath.Join(dir, "d.json")); err == nil {
		t.Error("a dashboard was written from a bad catalogue")
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-catalog", "x.yaml"}, {"-nope"}, {"-catalog", "a", "-out", "b", "extra"}} {
		var stderr bytes.Buffer
		if code := run(args, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
