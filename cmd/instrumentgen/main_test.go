package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-check", "../../instruments.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("-check on the repository catalogue: exit %d\n%s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"--check", "../../internal/catalog/testdata/bad/missing_fields.yaml"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "missing_fields.yaml:2: metric rx: missing required key unit") || !strings.Contains(errb.String(), "3 problem(s)") {
		t.Errorf("stderr:\n%s", errb.String())
	}
	if code := run([]string{"-check"}, &out, &errb); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if code := run([]string{"-check", "does-not-exist.yaml"}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}

var problemLine = regexp.MustCompile(`^\S+\.yaml:\d+: `)

// TestIdentifierProblemsReportedWithTheOthers: two metrics that give one Go identifier are
// reported in the same run as the catalogue's own problems, in line order, by -check, by
// generation and by every subcommand that reads a catalogue: each accepts what -check accepts.
func TestIdentifierProblemsReportedWithTheOthers(t *testing.T) {
	file := "../../internal/codegen/testdata/collision_and_problems.yaml"
	want := file + ":2: metric requests_total: missing required key description\n" +
		file + ":7: metric requests__total: Go identifier RequestsTotal is also generated for " + file + ":2: metric requests_total; rename one of them\n" +
		file + ": 2 problem(s)\n"
	for _, tc := range []struct {
		args []string
		code int // the command's exit status for an invalid catalogue
	}{
		{[]string{"-check", file}, 1},
		{[]string{"-o", t.TempDir(), "-package", "p", "-scope", "s", file}, 1},
		{[]string{"dashboard", file}, 1},
		{[]string{"diff", "../../instruments.yaml", file}, 2},
		{[]string{"live-check", file, filepath.Join(t.TempDir(), "never-read.txt")}, 2},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.HasPrefix(errb.String(), want) {
			t.Errorf("%v: exit %d (want %d), stderr:\n%s\nwant it to start with:\n%s", tc.args, code, tc.code, errb.String(), want)
		}
	}
}

// TestCheckAndGenerationAgree runs -check and a real generation on every catalogue of the test
// suite: both accept it or both reject it, and every problem names FILE:LINE.
func TestCheckAndGenerationAgree(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../../internal/catalog/testdata/*.yaml", "../../internal/catalog/testdata/bad/*.yaml", "../../internal/codegen/testdata/*.yaml", "../../instruments.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 25 {
		t.Fatalf("only %d catalogues found", len(files))
	}
	for _, file := range files {
		var out, checkErr, genErr bytes.Buffer
		check := run([]string{"-check", file}, &out, &checkErr)
		gen := run([]string{"-o", t.TempDir(), "-package", "metrics", "-scope", "example.com/metrics", file}, &out, &genErr)
		if check != gen {
			t.Errorf("%s: -check exits %d, generation %d\ncheck: %s\ngenerate: %s", file, check, gen, checkErr.String(), genErr.String())
			continue
		}
		if check == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(checkErr.String()), "\n")
		for _, l := range lines[:len(lines)-1] { // the last line is the count
			if !problemLine.MatchString(l) {
				t.Errorf("%s: problem without FILE:LINE: %s", file, l)
			}
		}
		if checkErr.String() != genErr.String() {
			t.Errorf("%s: -check and generation report differently:\n%s\n---\n%s", file, checkErr.String(), genErr.String())
		}
	}
}

// newModule makes a scratch module with a package directory pkg holding the good catalogue.
func newModule(t *testing.T, pkg string) (root, dir, yaml string) {
	t.Helper()
	root = t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/svc\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(root, "internal", pkg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../../internal/catalog/testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml = filepath.Join(dir, "instruments.yaml")
	if err := os.WriteFile(yaml, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, dir, yaml
}

// TestGenerateBesideTheCatalogue: run in a package directory, as //go:generate does, it writes
// the package there, named after the directory, its scope the import path; no docs unless asked.
func TestGenerateBesideTheCatalogue(t *testing.T) {
	root, dir, yaml := newModule(t, "svcmetrics")
	var out, errb bytes.Buffer
	if code := run([]string{"-o", dir, yaml}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	gen, err := os.ReadFile(filepath.Join(dir, "instruments_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"// Code generated by cmd/instrumentgen from instruments.yaml. DO NOT EDIT.",
		"\npackage svcmetrics\n",
		`const ScopeName = "example.com/svc/internal/svcmetrics"`,
		"func NewInstruments(mp metric.MeterProvider) (*Instruments, error)",
		"func (i *Instruments) Release() error",
	} {
		if !bytes.Contains(gen, []byte(want)) {
			t.Errorf("instruments_gen.go lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "instruments_gen_test.go")); err != nil {
		t.Error(err)
	}
	entries, _ := filepath.Glob(filepath.Join(root, "*", "*.md"))
	if more, _ := filepath.Glob(filepath.Join(root, "*.md")); len(entries)+len(more) != 0 {
		t.Errorf("docs written without -docs: %v %v", entries, more)
	}
	// -package and -scope override.
	if code := run([]string{"-o", dir, "-package", "svcmetrics", "-scope", "svc", "-docs", filepath.Join(root, "docs", "metrics.md"), yaml}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	docs, err := os.ReadFile(filepath.Join(root, "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(docs, []byte("(../internal/svcmetrics/instruments.yaml)")) {
		t.Errorf("the docs do not link the catalogue relative to themselves:\n%.400s", docs)
	}
}

// TestNeverOverwritesForeignFiles: a file in the way that instrumentgen did not write is an
// error naming it, and nothing at all is written.
func TestNeverOverwritesForeignFiles(t *testing.T) {
	root, dir, yaml := newModule(t, "m")
	docs := filepath.Join(root, "docs", "metrics.md")
	if err := os.MkdirAll(filepath.Dir(docs), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := []byte("# My hand-written metrics notes\n")
	if err := os.WriteFile(docs, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-o", dir, "-docs", docs, yaml}, &out, &errb); code != 1 || !strings.Contains(errb.String(), docs) || !strings.Contains(errb.String(), "refusing to overwrite") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if got, _ := os.ReadFile(docs); !bytes.Equal(got, mine) {
		t.Fatal("the hand-written docs were changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "instruments_gen.go")); err == nil {
		t.Fatal("instruments_gen.go was written although the run was refused")
	}
	hand := filepath.Join(dir, "instruments_gen.go")
	if err := os.WriteFile(hand, []byte("package m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := run([]string{"-o", dir, yaml}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "instruments_gen.go exists and was not written by instrumentgen") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestPackageNames(t *testing.T) {
	_, dir, yaml := newModule(t, "my-metrics")
	var out, errb bytes.Buffer
	if code := run([]string{"-o", dir, yaml}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "pass -package") {
		t.Fatalf("a directory name that is no package name: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if err := os.WriteFile(filepath.Join(dir, "doc.go"), []byte("// Package other.\npackage other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"-o", dir, "-package", "mine", yaml}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "is in package other") {
		t.Fatalf("package clash: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-o", dir, yaml}, &out, &errb); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if code := run([]string{"-o", dir, "-package", "other", yaml}, &out, &errb); code != 0 {
		t.Fatalf("matching -package: exit %d, %q", code, errb.String())
	}
}

// TestGeneratedPackageCompilesAndItsTestPasses generates catalogues with every kind, enum
// labels with non-ASCII values and markdown-hostile descriptions into a package of this module,
// then builds it and runs its generated test with the go tool.
func TestGeneratedPackageCompilesAndItsTestPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	for name, yaml := range map[string]string{
		"good":     "../../internal/catalog/testdata/good.yaml",
		"markdown": "../../internal/codegen/testdata/markdown.yaml",
		"unicode":  "testdata/unicode.yaml",
	} {
		dir := filepath.Join("testdata", "gen", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(filepath.Join("testdata", "gen")) })
		var out, errb bytes.Buffer
		if code := run([]string{"-o", dir, "-package", "gen" + name, yaml}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errb.String())
		}
		cmd := exec.Command("go", "test", "-count=1", "./"+filepath.ToSlash(dir))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: go test: %v\n%s", name, err, b)
		}
	}
}
