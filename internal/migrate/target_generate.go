package migrate

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/telediag/telediag/internal/codegen"
)

// Generated is one //go:generate line that runs instrumentgen's generation: the record of
// which catalogue a generated package was generated from, when the catalogue is not beside it
// (go tool instrumentgen -o ../gen ../../instruments.yaml).
type Generated struct {
	// Catalogue is the catalogue's absolute path, Dir the generated package's directory.
	Catalogue, Dir string
	// Where is the line's FILE:LINE.
	Where string
}

// instrumentgenSubcommands are the first words that make an instrumentgen command line
// something else than generation.
var instrumentgenSubcommands = []string{"import", "live-check", "diff", "dashboard", "migrate"}

// generateValueFlags are the generation flags that take a value.
var generateValueFlags = []string{"o", "package", "scope", "docs"}

// parseGenerate reads one //go:generate command line (its words after the directive), run in
// dir (the directory of its file, as go generate runs it): ok when it runs instrumentgen's
// generation, with the catalogue and the output directory it names, absolute.
func parseGenerate(words []string, dir string) (Generated, bool) {
	k := -1
	for i, w := range words {
		if w == "instrumentgen" || strings.HasSuffix(w, "/instrumentgen") || strings.HasSuffix(w, "/cmd/instrumentgen") {
			k = i
			break
		}
	}
	if k < 0 {
		return Generated{}, false
	}
	out, file := ".", ""
	args := words[k+1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			if file == "" && len(args[:i]) == 0 && containsWord(instrumentgenSubcommands, a) {
				return Generated{}, false
			}
			if file == "" {
				file = a
			}
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "check" {
			return Generated{}, false // writes nothing
		}
		if containsWord(generateValueFlags, name) && !hasValue {
			if i+1 >= len(args) {
				return Generated{}, false
			}
			i++
			value = args[i]
		}
		if name == "o" {
			out = value
		}
	}
	if file == "" || strings.Contains(file+out, "$") {
		return Generated{}, false
	}
	abs := func(p string) string {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return filepath.Clean(p)
	}
	return Generated{Catalogue: abs(file), Dir: abs(out)}, true
}

func containsWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// GenerateRecords are the //go:generate lines of the Go files under root (test data, vendored
// code, hidden directories and nested modules aside) that run instrumentgen's generation.
func GenerateRecords(root string) ([]Generated, error) {
	var out []Generated
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte("//go:generate ")) {
			return nil
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
		for line := 1; sc.Scan(); line++ {
			text, ok := strings.CutPrefix(sc.Text(), "//go:generate ")
			if !ok {
				continue
			}
			if g, ok := parseGenerate(strings.Fields(text), filepath.Dir(path)); ok {
				g.Where = fmt.Sprintf("%s:%d", path, line)
				out = append(out, g)
			}
		}
		return nil
	})
	return out, err
}

// moduleRoot is the directory of the go.mod that holds dir, or "".
func moduleRoot(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// generatedDir is the directory of the package generated from the catalogue file: beside it
// when its generated code is there, else the one a //go:generate line of its module generates
// it into. The error says what was looked for, and what to pass.
func generatedDir(file string) (string, error) {
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, codegen.GoFile)); err == nil {
		return dir, nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	root := moduleRoot(dir)
	if root == "" {
		return "", fmt.Errorf("%s: no %s beside it, and no go.mod above it whose //go:generate lines would say where its package was generated: generate the package first (go generate), or pass -generated DIR, the directory instrumentgen -o wrote it to", file, codegen.GoFile)
	}
	recs, err := GenerateRecords(root)
	if err != nil {
		return "", fmt.Errorf("look for the //go:generate line of %s under %s: %w", file, root, err)
	}
	var dirs, wheres []string
	for _, g := range recs {
		if g.Catalogue != abs || containsWord(dirs, g.Dir) {
			continue
		}
		dirs = append(dirs, g.Dir)
		wheres = append(wheres, g.Where)
	}
	switch len(dirs) {
	case 0:
		return "", fmt.Errorf("%s: no %s beside it, and no //go:generate line in %s generates it (go tool instrumentgen -o DIR %s): generate the package first (go generate), or pass -generated DIR, the directory instrumentgen -o wrote it to", file, codegen.GoFile, root, filepath.Base(file))
	case 1:
		if _, err := os.Stat(filepath.Join(dirs[0], codegen.GoFile)); err != nil {
			return "", fmt.Errorf("%s: %s generates it into %s, which has no %s: run go generate first", file, wheres[0], dirs[0], codegen.GoFile)
		}
		return dirs[0], nil
	default:
		return "", fmt.Errorf("%s: several //go:generate lines generate it into different packages (%s at %s): pass -generated DIR to choose", file, strings.Join(dirs, ", "), strings.Join(wheres, ", "))
	}
}
