package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/dashboard"
)

const ordersCatalogue = "../../examples/orders/ordermetrics/instruments.yaml"

func TestDashboardOnStdoutAndInAFile(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"dashboard", ordersCatalogue}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("stdout is not a dashboard: %v\n%.300s", err, out.String())
	}
	if d.Title != "ordermetrics" || d.UID != "ordermetrics" || !strings.Contains(d.Description, ordersCatalogue) {
		t.Errorf("title %q, uid %q, description %q", d.Title, d.UID, d.Description)
	}

	// -o creates the directories it needs.
	file := filepath.Join(t.TempDir(), "deploy", "grafana", "orders.json")
	args := []string{"dashboard", "-o", file, "-title", "Orders service", "-uid", "orders-svc", ordersCatalogue}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d = dashboard.Dashboard{}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(ordersCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(filepath.Dir(file), abs)
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Orders service" || d.UID != "orders-svc" || !strings.Contains(d.Description, filepath.ToSlash(rel)) {
		t.Errorf("title %q, uid %q, description %q (want the catalogue as %s)", d.Title, d.UID, d.Description, rel)
	}

	// Unchanged: not rewritten, so go generate leaves mtimes alone.
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := os.Chtimes(file, past, past); err != nil {
		t.Fatal(err)
	}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, errb.String())
	}
	if fi, err := os.Stat(file); err != nil || !fi.ModTime().Equal(past) {
		t.Errorf("an unchanged dashboard was rewritten (%v)", err)
	}
}

func TestDashboardNeverOverwritesAForeignFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"handmade.json": `{"title": "my own", "description": "made by hand"}`,
		"notjson.json":  "hello",
	} {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if code := run([]string{"dashboard", "-o", file, ordersCatalogue}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "refusing to overwrite") {
			t.Errorf("%s: exit %d, %s", name, code, errb.String())
		}
		if b, _ := os.ReadFile(file); string(b) != content {
			t.Errorf("%s was overwritten", name)
		}
	}
}

func TestDashboardErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "instruments.yaml")
	if err := os.WriteFile(bad, []byte("metrics:\n  - name: rx\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes.\n    colour: blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{bad}, 1, bad + `:7: metric rx: unknown key "colour"`},
		{[]string{filepath.Join(t.TempDir(), "missing.yaml")}, 1, "missing.yaml"},
		{[]string{"-uid", "has spaces", ordersCatalogue}, 2, "-uid"},
		{[]string{"-uid", strings.Repeat("x", 41), ordersCatalogue}, 2, "-uid"},
		{nil, 2, "want instruments.yaml"},
		{[]string{ordersCatalogue, ordersCatalogue}, 2, "got 2 argument(s)"},
	} {
		var out, errb bytes.Buffer
		code := runDashboard(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}
