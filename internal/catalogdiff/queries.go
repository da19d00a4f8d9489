package catalogdiff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// QueryUse is one query, in a rule or dashboard file, that names series a breaking change
// touches.
type QueryUse struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Key is the field the query is in: expr (rules, promtool tests, Grafana targets) or query
	// (Grafana variables).
	Key string `json:"key"`
	// Series are the touched series the query names, sorted.
	Series []string `json:"series"`
}

// String formats u as "FILE:LINE: KEY names SERIES".
func (u QueryUse) String() string {
	return fmt.Sprintf("%s:%d: %s names %s", u.File, u.Line, u.Key, strings.Join(u.Series, ", "))
}

// Skipped is a file FindQueries could not read as YAML or JSON; it is reported, not fatal,
// since a directory of rules may hold other files.
type Skipped struct {
	File string
	Err  error
}

// String formats s as "FILE: skipped: reason".
func (s Skipped) String() string { return fmt.Sprintf("%s: skipped: %v", s.File, s.Err) }

// isQueryKey reports whether a field's string value is PromQL: expr in rules, promtool tests and
// Grafana panel targets, query in Grafana variables.
func isQueryKey(k string) bool { return k == "expr" || k == "query" }

// nameToken is a conservative metric-name token. Catalogue names never contain ':' (the loader
// refuses it), so splitting recording-rule names such as job:foo:rate5m on it loses nothing.
var nameToken = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// FindQueries walks dir for rule and dashboard files (.yaml, .yml, .json; hidden directories
// are skipped) and returns every query that names one of series, in file and line order.
//
// Files are decoded with yaml.v3 and encoding/json; the string values of their expr and query
// fields are the queries. A query names a series when the series appears in it as a whole
// identifier token. This is a token scan, not a PromQL parse, chosen so that the root module
// does without Prometheus's parser (deploy/ keeps that): it never misses a name spelled out in a
// query, and may over-report one that appears only as a label value or inside a string. A
// selector that matches names by regular expression ({__name__=~"backend_.*"}) is not found.
func FindQueries(dir string, series []string) ([]QueryUse, []Skipped, error) {
	want := map[string]bool{}
	for _, s := range series {
		want[s] = true
	}
	var uses []QueryUse
	var skipped []Skipped
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if path != dir && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var qs []query
		if ext == ".json" {
			qs, err = jsonQueries(data)
		} else {
			qs, err = yamlQueries(data)
		}
		if err != nil {
			skipped = append(skipped, Skipped{File: path, Err: err})
			return nil
		}
		for _, q := range qs {
			var named []string
			for _, tok := range nameToken.FindAllString(q.text, -1) {
				if want[tok] && !slices.Contains(named, tok) {
					named = append(named, tok)
				}
			}
			if len(named) > 0 {
				sort.Strings(named)
				uses = append(uses, QueryUse{File: path, Line: q.line, Key: q.key, Series: named})
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("-queries %s: %w", dir, err)
	}
	return uses, skipped, nil
}

// query is one PromQL string found in a file.
type query struct {
	key, text string
	line      int
}

// yamlQueries returns the expr and query strings of every document in data.
func yamlQueries(data []byte) ([]query, error) {
	var out []query
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					if isQueryKey(k.Value) && v.Kind == yaml.ScalarNode {
						out = append(out, query{key: k.Value, text: v.Value, line: v.Line})
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
	}
}

// jsonQueries returns the expr and query strings of a JSON document, with their lines. It reads
// tokens so that it knows where each value is: encoding/json's Unmarshal keeps no positions.
func jsonQueries(data []byte) ([]query, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object    bool
		expectKey bool
		key       string
	}
	var stack []*frame
	var out []query
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].expectKey = true
			}
			continue
		}
		if top != nil && top.object && top.expectKey {
			top.key, _ = tok.(string)
			top.expectKey = false
			continue
		}
		// A value: of the enclosing object's current key, or an array element.
		if s, ok := tok.(string); ok && top != nil && top.object && isQueryKey(top.key) {
			line := 1 + bytes.Count(data[:dec.InputOffset()], []byte("\n"))
			out = append(out, query{key: top.key, text: s, line: line})
		}
		if delim, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{object: delim == '{', expectKey: delim == '{'})
			continue
		}
		if top != nil && top.object {
			top.expectKey = true
		}
	}
}
