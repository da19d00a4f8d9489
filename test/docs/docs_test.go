// Package docs_test keeps README.md and docs/*.md honest: every shell block that can run in CI
// is run, in the repository's root, and fails the test with its FILE:LINE when it fails; a block
// that cannot run says why in a marker above its fence; every relative link and anchor resolves;
// and README.md links every page of docs/.
//
// Markers, on the line right above a fence (several may share one comment):
//
//	<!-- docs-test: skip (REASON) -->   not run; the reason is required
//	<!-- docs-test: dir=PATH -->        run in PATH, relative to the repository's root
//	<!-- docs-test: module -->          run in a fresh module outside the repository, offline
//	                                    (GOPROXY=off), with /path/to/telediag naming this checkout
//	<!-- docs-test: exit=N -->          the block ends with status N, not 0
//	<!-- docs-test: output -->          on the fence right after a run block: each of its lines
//	                                    must appear in that block's output
//
// `go test -short` checks markers and links without running the blocks.
package docs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkoutPlaceholder is how the pages name a checkout of telediag; a module block runs with
// this repository's root in its place.
const checkoutPlaceholder = "/path/to/telediag"

// blockTimeout bounds one block: the first `go run` of a command may compile it on a cold cache.
const blockTimeout = 3 * time.Minute

// repoRoot is the repository's root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !bytes.Contains(data, []byte("module github.com/telediag/telediag\n")) {
		t.Fatalf("%s is not telediag's root (go.mod: %v)", root, err)
	}
	return root
}

// docPages are the pages the test covers, relative to root: README.md and docs/*.md.
func docPages(t *testing.T, root string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"README.md"}
	for _, m := range matches {
		rel, _ := filepath.Rel(root, m)
		pages = append(pages, filepath.ToSlash(rel))
	}
	return pages
}

func parsePages(t *testing.T, root string) []*page {
	t.Helper()
	var out []*page
	for _, rel := range docPages(t, root) {
		p, err := parseFile(root, rel)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestDocsMarkers: every marker is well formed and on the right block, and every shell block
// without a skip marker can run here (its directory exists, its programs are installed).
func TestDocsMarkers(t *testing.T) {
	root := repoRoot(t)
	for _, p := range parsePages(t, root) {
		for _, pr := range append(p.problems, runnable(root, p)...) {
			t.Error(pr)
		}
	}
}

// TestDocsBlocksRun runs every shell block of README.md and docs/*.md that is not skipped, in
// file order, and checks its exit status and, where the page shows it, its output.
func TestDocsBlocksRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the blocks are not run")
	}
	root := repoRoot(t)
	ran, skipped := 0, 0
	for _, p := range parsePages(t, root) {
		if len(p.problems) > 0 {
			continue // TestDocsMarkers reports them
		}
		for i, b := range p.blocks {
			if !b.shell() {
				continue
			}
			if b.marker.skip {
				skipped++
				continue
			}
			var want []string
			if i+1 < len(p.blocks) && p.blocks[i+1].marker.output {
				want = lines(p.blocks[i+1].body)
			}
			start := time.Now()
			if err := runBlock(t, root, b, want); err != nil {
				t.Error(err)
			}
			t.Logf("%s: ran in %v", b.pos(), time.Since(start).Round(time.Millisecond))
			ran++
		}
	}
	t.Logf("%d blocks ran, %d skipped", ran, skipped)
	if ran == 0 {
		t.Error("no shell block ran: the scanner or the pages are broken")
	}
}

// TestDocsLinks: every relative link and image of README.md and docs/*.md names a file of the
// repository, every #anchor a heading of its page, and README.md links every page of docs/.
func TestDocsLinks(t *testing.T) {
	root := repoRoot(t)
	pages := parsePages(t, root)
	for _, p := range pages {
		for _, pr := range checkLinks(root, p) {
			t.Error(pr)
		}
	}
	readme := pages[0]
	linked := map[string]bool{}
	for _, l := range readme.links {
		if path, _, ok := localTarget(readme.file, l.target); ok {
			linked[path] = true
		}
	}
	for _, p := range pages[1:] {
		if !linked[p.file] {
			t.Errorf("README.md does not link %s: every page of docs/ is listed on the front page", p.file)
		}
	}
}

// runnable reports the shell blocks of p that are not skipped and cannot run here: a dir= that
// is not a directory, or a program that is not installed.
func runnable(root string, p *page) []problem {
	var ps []problem
	for _, b := range p.blocks {
		if !b.shell() || b.marker.skip {
			continue
		}
		dir := filepath.Join(root, filepath.FromSlash(b.marker.dir))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			ps = append(ps, problem{b.file, b.line, fmt.Sprintf("dir=%s is not a directory of the repository", b.marker.dir)})
			continue
		}
		commands, _ := script(b)
		if strings.TrimSpace(commands) == "" {
			ps = append(ps, problem{b.file, b.line, "shell block without a command: mark it skip (REASON) or make it another language"})
		}
		for _, prog := range programs(commands) {
			var err error
			if strings.Contains(prog, "/") {
				_, err = os.Stat(filepath.Join(dir, prog))
			} else {
				_, err = exec.LookPath(prog)
			}
			if err != nil {
				ps = append(ps, problem{b.file, b.line, fmt.Sprintf("this block cannot run here: %s is not installed; if it cannot run in CI, mark it <!-- docs-test: skip (REASON) -->", prog)})
			}
		}
	}
	return ps
}

// runBlock runs b with bash -euo pipefail in root (or its dir=) and returns an error, at b's
// FILE:LINE, when it ends with another status than its exit= or when a line of want is missing
// from what it printed.
func runBlock(t *testing.T, root string, b block, want []string) error {
	t.Helper()
	commands, consoleOutput := script(b)
	want = append(consoleOutput, want...)
	f := filepath.Join(t.TempDir(), "block.sh")
	ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-euo", "pipefail", f)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(b.marker.dir))
	cmd.Env = append(os.Environ(), "PAGER=cat", "GIT_PAGER=cat")
	if b.marker.module {
		// A service's module, as a reader starts one: the checkout stands in for a release, and
		// the module cache the repository's own build filled is all it may use.
		abs, err := filepath.Abs(root)
		if err != nil {
			return err
		}
		commands = strings.ReplaceAll(commands, checkoutPlaceholder, abs)
		cmd.Dir = t.TempDir()
		if err := os.WriteFile(filepath.Join(cmd.Dir, "go.mod"), []byte("module example.com/docs\n\ngo 1.26\n"), 0o644); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	}
	if err := os.WriteFile(f, []byte(commands+"\n"), 0o644); err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	killGroup(cmd)
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: block did not finish within %v (a server? mark it <!-- docs-test: skip (REASON) -->)\n%s", b.pos(), blockTimeout, tail(out.String()))
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return fmt.Errorf("%s: %v", b.pos(), err)
	}
	if code != b.marker.exit {
		return fmt.Errorf("%s: block exited with status %d, want %d (if it cannot run in CI, mark it <!-- docs-test: skip (REASON) -->)\n%s", b.pos(), code, b.marker.exit, tail(out.String()))
	}
	var missing []string
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: the output the page shows is not what the block prints; missing:\n\t%s\noutput:\n%s", b.pos(), strings.Join(missing, "\n\t"), tail(out.String()))
	}
	return nil
}

// lines are the non-blank lines of an expected output, without trailing spaces.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, " \t\r"); strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// tail is the end of a block's output, for a failure message.
func tail(s string) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > 40 {
		ls = append([]string{"…"}, ls[len(ls)-40:]...)
	}
	return "\t" + strings.Join(ls, "\n\t")
}

// localTarget resolves a link of the page at file (relative to the root) to a path relative to
// the root and an anchor; ok is false for a link to another site.
func localTarget(file, target string) (path, frag string, ok bool) {
	if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return "", "", false
	}
	path, frag, _ = strings.Cut(target, "#")
	if path == "" {
		return file, frag, true
	}
	return filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(file), filepath.FromSlash(path)))), frag, true
}

// checkLinks reports p's relative links to nothing: a path that does not exist or leaves the
// repository, or an anchor no heading of the markdown page it names has.
func checkLinks(root string, p *page) []problem {
	var ps []problem
	anchors := map[string]map[string]bool{p.file: p.anchors}
	for _, l := range p.links {
		path, frag, ok := localTarget(p.file, l.target)
		if !ok {
			continue
		}
		if path == ".." || strings.HasPrefix(path, "../") {
			ps = append(ps, problem{p.file, l.line, fmt.Sprintf("link %s leaves the repository", l.target)})
			continue
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(path))); err != nil {
			ps = append(ps, problem{p.file, l.line, fmt.Sprintf("link %s: %s does not exist", l.target, path)})
			continue
		}
		if frag == "" || !strings.HasSuffix(path, ".md") {
			continue
		}
		if anchors[path] == nil {
			q, err := parseFile(root, path)
			if err != nil {
				ps = append(ps, problem{p.file, l.line, err.Error()})
				continue
			}
			anchors[path] = q.anchors
		}
		if !anchors[path][frag] {
			known := make([]string, 0, len(anchors[path]))
			for a := range anchors[path] {
				known = append(known, a)
			}
			slices.Sort(known)
			ps = append(ps, problem{p.file, l.line, fmt.Sprintf("link %s: %s has no heading #%s (it has: %s)", l.target, path, frag, strings.Join(known, ", "))})
		}
	}
	return ps
}
