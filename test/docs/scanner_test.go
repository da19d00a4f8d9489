package docs_test

import (
	"slices"
	"strings"
	"testing"
)

// TestScannerReportsMistakes: the page in testdata/bad.md has one mistake of each kind, and each
// is reported at its FILE:LINE; so the docs test can fail, and says where.
func TestScannerReportsMistakes(t *testing.T) {
	p, err := parseFile(".", "testdata/bad.md")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, pr := range append(append(p.problems, runnable(".", p)...), checkLinks(".", p)...) {
		got = append(got, pr.String())
	}
	slices.Sort(got)
	want := []string{
		"testdata/bad.md:11: skip without a reason: write skip (WHY THE BLOCK CANNOT RUN IN CI)",
		"testdata/bad.md:18: skip without a reason: write skip (WHY THE BLOCK CANNOT RUN IN CI)",
		"testdata/bad.md:25: docs-test marker is not on the line right above a fence",
		"testdata/bad.md:33: unknown docs-test directive \"retry=3\" (skip (REASON), dir=PATH, module, exit=N, output)",
		"testdata/bad.md:38: docs-test marker on a \"yaml\" block, which is never run (shell blocks are sh, bash, shell, console)",
		"testdata/bad.md:50: output is not right after a shell block that runs: nothing to compare it with",
		"testdata/bad.md:5: this block cannot run here: telediag-not-installed is not installed; if it cannot run in CI, mark it <!-- docs-test: skip (REASON) -->",
		"testdata/bad.md:58: dir=no/such/dir is not a directory of the repository",
		"testdata/bad.md:62: link #nowhere: testdata/bad.md has no heading #nowhere (it has: a-page-with-every-mistake)",
		"testdata/bad.md:62: link missing.md: testdata/missing.md does not exist",
		"testdata/bad.md:65: fence is never closed",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestRunnerReportsFailingBlocks runs testdata/run.md from this directory: the blocks that
// succeed pass, and the failing one and the one whose output differs from the page's are
// reported at their FILE:LINE.
func TestRunnerReportsFailingBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the blocks are not run")
	}
	p, err := parseFile(".", "testdata/run.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.problems) > 0 {
		t.Fatalf("testdata/run.md: %v", p.problems)
	}
	var failed []string
	ran := 0
	for i, b := range p.blocks {
		if !b.shell() {
			continue
		}
		var want []string
		if i+1 < len(p.blocks) && p.blocks[i+1].marker.output {
			want = lines(p.blocks[i+1].body)
		}
		ran++
		if err := runBlock(t, ".", b, want); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if ran != 7 {
		t.Errorf("ran %d blocks, want 7", ran)
	}
	if len(failed) != 2 ||
		!strings.HasPrefix(failed[0], "testdata/run.md:16: block exited with status 1, want 0") || !strings.Contains(failed[0], "about to fail") || strings.Contains(failed[0], "never printed") ||
		!strings.HasPrefix(failed[1], "testdata/run.md:32: the output the page shows is not what the block prints; missing:\n\tthe documented output\n") {
		t.Errorf("failures:\n%s", strings.Join(failed, "\n---\n"))
	}
}

func TestAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"Pushing to a collector (OTLP)":             "pushing-to-a-collector-otlp",
		"The diff, in CI":                           "the-diff-in-ci",
		"instruments.yaml: the catalogue reference": "instrumentsyaml-the-catalogue-reference",
		"Dependency checks and /livez":              "dependency-checks-and-livez",
		"What `go generate` writes":                 "what-go-generate-writes",
		"Appendix: history by issue":                "appendix-history-by-issue",
		"A [linked](x.md) heading_with_underscores": "a-linked-heading_with_underscores",
	} {
		if got := anchor(heading); got != want {
			t.Errorf("anchor(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestStripCode(t *testing.T) {
	for in, want := range map[string]string{
		"see [a](a.md) and `[b](b.md)`": "see [a](a.md) and " + strings.Repeat(" ", len("`[b](b.md)`")),
		"```` ```sh ```` [c](c.md)":     "                [c](c.md)",
		"an unclosed ` [d](d.md)":       "an unclosed ` [d](d.md)",
	} {
		if got := stripCode(in); got != want {
			t.Errorf("stripCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrograms(t *testing.T) {
	got := programs(`# a comment
OTEL_SERVICE_NAME=x go run ./cmd/telediag --demo   # trailing comment
git show HEAD:instruments.yaml | go run ./cmd/instrumentgen diff - instruments.yaml 2>&1
cd examples && ls; promtool check rules x.yaml && echo ok
cat <<'EOF'
curl is only text here
EOF
kubectl apply \
  -f x.yaml
`)
	want := []string{"go", "git", "go", "ls", "promtool", "cat", "kubectl"}
	if !slices.Equal(got, want) {
		t.Errorf("programs = %q, want %q", got, want)
	}
}

// TestConsoleScript: a console block runs the commands after "$ " (with their continuation
// lines), and the other lines are the output it is expected to print.
func TestConsoleScript(t *testing.T) {
	cmds, out := script(block{lang: "console", body: "$ echo a \\\n  b\na b\n$ true"})
	if cmds != "echo a \\\n  b\ntrue" || !slices.Equal(out, []string{"a b"}) {
		t.Errorf("script = %q, %q", cmds, out)
	}
	if cmds, out := script(block{lang: "sh", body: "$ not a prompt"}); cmds != "$ not a prompt" || out != nil {
		t.Errorf("sh block: %q, %q", cmds, out)
	}
}
