package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The documentation's shell blocks are run, and its markers checked, from what this file reads
// out of the markdown: a small line scanner for fences, markers, headings and links, enough for
// the pages of this repository (no markdown library is in go.sum, and none is needed).

// shellLangs are the fence languages whose blocks are run.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// block is one fenced code block.
type block struct {
	file   string // as given to parse, for FILE:LINE
	line   int    // the opening fence's line, from 1
	lang   string // the info string's first word, lower case
	body   string // the content, with the fence's indentation removed
	marker marker // what the docs-test comment above the fence says; zero without one
}

func (b block) pos() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

func (b block) shell() bool { return shellLangs[b.lang] }

// marker is a <!-- docs-test: … --> comment right above a fence.
type marker struct {
	line   int    // where the comment is; 0 without one
	skip   bool   // skip (REASON): the block is not run
	reason string // the reason a block is skipped
	dir    string // dir=PATH: run in PATH, relative to the repository's root
	exit   int    // exit=N: the status the block ends with
	output bool   // output: the block is the output of the run block before it
	module bool   // module: run in a fresh module outside the repository
}

// problem is something wrong with a page, at FILE:LINE.
type problem struct {
	file string
	line int
	msg  string
}

func (p problem) String() string { return fmt.Sprintf("%s:%d: %s", p.file, p.line, p.msg) }

// link is one inline link or image target outside code.
type link struct {
	line   int
	target string
}

// page is what parse reads from one markdown file.
type page struct {
	file     string
	blocks   []block
	links    []link
	anchors  map[string]bool // the heading anchors GitHub generates
	problems []problem
}

var (
	markerRE  = regexp.MustCompile(`^\s*<!--\s*docs-test:(.*?)-->\s*$`)
	fenceRE   = regexp.MustCompile("^( *)(`{3,}|~{3,})\\s*([^\\s`]*)")
	headingRE = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	linkRE    = regexp.MustCompile(`\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// mdLinkRE is a link in a heading, whose text alone makes the anchor.
	mdLinkRE = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// parseFile reads and parses the markdown file at root/rel, naming it rel.
func parseFile(root, rel string) (*page, error) {
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		return nil, err
	}
	return parse(rel, string(data)), nil
}

// parse scans a markdown page: its fenced blocks with their markers, its headings' anchors and
// its links, and every misplaced or malformed marker as a problem.
func parse(file, text string) *page {
	p := &page{file: file, anchors: map[string]bool{}}
	slugs := map[string]int{}
	lines := strings.Split(text, "\n")
	var pending *marker // the markers read since the last line that was not one
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := markerRE.FindStringSubmatch(line); m != nil {
			if pending == nil {
				pending = &marker{line: i + 1}
			}
			for _, e := range parseMarker(m[1], pending) {
				p.problems = append(p.problems, problem{file, i + 1, e})
			}
			continue
		}
		f := fenceRE.FindStringSubmatch(line)
		if pending != nil && f == nil {
			p.problems = append(p.problems, problem{file, pending.line, "docs-test marker is not on the line right above a fence"})
			pending = nil
		}
		if f == nil {
			if h := headingRE.FindStringSubmatch(line); h != nil {
				slug := anchor(h[2])
				if n := slugs[slug]; n > 0 {
					p.anchors[fmt.Sprintf("%s-%d", slug, n)] = true
				} else {
					p.anchors[slug] = true
				}
				slugs[slug]++
			}
			for _, m := range linkRE.FindAllStringSubmatch(stripCode(line), -1) {
				p.links = append(p.links, link{i + 1, m[1]})
			}
			continue
		}
		indent, fence := len(f[1]), f[2]
		b := block{file: file, line: i + 1, lang: strings.ToLower(f[3])}
		if pending != nil {
			b.marker = *pending
			pending = nil
		}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			l := lines[i]
			t := strings.TrimLeft(l, " ")
			if rest := strings.TrimLeft(t, fence[:1]); len(t)-len(rest) >= len(fence) && strings.TrimSpace(rest) == "" {
				closed = true
				break
			}
			// Remove up to the fence's indentation, as CommonMark does.
			n := 0
			for n < indent && n < len(l) && l[n] == ' ' {
				n++
			}
			body = append(body, l[n:])
		}
		if !closed {
			p.problems = append(p.problems, problem{file, b.line, "fence is never closed"})
		}
		b.body = strings.Join(body, "\n")
		p.blocks = append(p.blocks, b)
	}
	if pending != nil {
		p.problems = append(p.problems, problem{file, pending.line, "docs-test marker is not on the line right above a fence"})
	}
	p.problems = append(p.problems, checkMarkers(p.blocks)...)
	return p
}

// parseMarker reads the directives of one docs-test comment into m, and returns what is wrong
// with them.
func parseMarker(s string, m *marker) []string {
	var errs []string
	s = strings.TrimSpace(s)
	for s != "" {
		word := s
		if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' }); i >= 0 {
			word = s[:i]
		}
		s = strings.TrimSpace(s[len(word):])
		switch {
		case word == "skip":
			m.skip = true
			if !strings.HasPrefix(s, "(") {
				errs = append(errs, "skip without a reason: write skip (WHY THE BLOCK CANNOT RUN IN CI)")
				continue
			}
			end, depth := -1, 0
			for i, r := range s {
				if r == '(' {
					depth++
				} else if r == ')' {
					if depth--; depth == 0 {
						end = i
						break
					}
				}
			}
			if end < 0 {
				errs = append(errs, "skip reason has no closing parenthesis")
				s = ""
				continue
			}
			m.reason = strings.TrimSpace(s[1:end])
			s = strings.TrimSpace(s[end+1:])
			if m.reason == "" {
				errs = append(errs, "skip without a reason: write skip (WHY THE BLOCK CANNOT RUN IN CI)")
			}
		case word == "output":
			m.output = true
		case word == "module":
			m.module = true
		case strings.HasPrefix(word, "dir="):
			m.dir = strings.TrimPrefix(word, "dir=")
			if m.dir == "" || filepath.IsAbs(m.dir) || strings.HasPrefix(filepath.Clean(m.dir), "..") {
				errs = append(errs, fmt.Sprintf("dir=%q: want a directory inside the repository, relative to its root", m.dir))
			}
		case strings.HasPrefix(word, "exit="):
			n, err := strconv.Atoi(strings.TrimPrefix(word, "exit="))
			if err != nil || n < 0 || n > 255 {
				errs = append(errs, fmt.Sprintf("%s: want exit=N, N from 0 to 255", word))
			}
			m.exit = n
		default:
			errs = append(errs, fmt.Sprintf("unknown docs-test directive %q (skip (REASON), dir=PATH, module, exit=N, output)", word))
		}
	}
	if m.skip && (m.output || m.dir != "" || m.module || m.exit != 0) {
		errs = append(errs, "skip with dir=, module, exit= or output: a skipped block is not run")
	}
	if m.module && m.dir != "" {
		errs = append(errs, "module with dir=: a module block runs in a fresh module of its own")
	}
	return errs
}

// checkMarkers checks that each marker suits its block: run directives on shell blocks only, and
// output on a block right after a shell block that runs.
func checkMarkers(blocks []block) []problem {
	var ps []problem
	for i, b := range blocks {
		m := b.marker
		if m.line == 0 {
			continue
		}
		switch {
		case m.output && b.shell():
			ps = append(ps, problem{b.file, m.line, "output on a shell block: mark the block of expected output with a plain, text or other language fence"})
		case m.output && (i == 0 || !blocks[i-1].shell() || blocks[i-1].marker.skip || blocks[i-1].marker.output):
			ps = append(ps, problem{b.file, m.line, "output is not right after a shell block that runs: nothing to compare it with"})
		case !m.output && !b.shell():
			ps = append(ps, problem{b.file, m.line, fmt.Sprintf("docs-test marker on a %q block, which is never run (shell blocks are %s)", b.lang, "sh, bash, shell, console")})
		}
	}
	return ps
}

// anchor is the id GitHub gives a heading: the text as rendered, lower case, without
// punctuation other than hyphens and underscores, spaces made hyphens.
func anchor(heading string) string {
	heading = mdLinkRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stripCode blanks the inline code spans of a line, so that a link written inside backticks is
// not taken for one.
func stripCode(line string) string {
	out := []byte(line)
	for i := 0; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		run := line[i : i+n]
		end := -1
		for j := i + n; j < len(line); {
			k := strings.Index(line[j:], run)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(line) && line[k+m] == '`' {
				m++
			}
			if m == n {
				end = k
				break
			}
			j = k + m
		}
		if end < 0 {
			i += n
			continue
		}
		for j := i; j < end+n; j++ {
			out[j] = ' '
		}
		i = end + n
	}
	return string(out)
}

// script is what bash runs for a shell block: the body, or for a console block whose lines
// start with "$ " those commands, and the lines after them as the output they are expected to
// print.
func script(b block) (commands string, output []string) {
	if b.lang != "console" || !strings.Contains("\n"+b.body, "\n$ ") {
		return b.body, nil
	}
	var cmds []string
	continued := false
	for _, l := range strings.Split(b.body, "\n") {
		switch {
		case strings.HasPrefix(l, "$ "):
			cmds = append(cmds, strings.TrimPrefix(l, "$ "))
			continued = strings.HasSuffix(l, "\\")
		case continued:
			cmds = append(cmds, l)
			continued = strings.HasSuffix(l, "\\")
		case strings.TrimSpace(l) != "":
			output = append(output, l)
		}
	}
	return strings.Join(cmds, "\n"), output
}

// shellBuiltins are words that start a command without naming a program.
var shellBuiltins = map[string]bool{
	"cd": true, "echo": true, "export": true, "set": true, "test": true, "[": true, "[[": true,
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "for": true, "do": true,
	"done": true, "while": true, "until": true, "case": true, "esac": true, "in": true, "!": true,
	"true": true, "false": true, "exit": true, "read": true, "printf": true, "local": true,
	"{": true, "}": true, "(": true, ")": true, "function": true, "source": true, ".": true,
	"pushd": true, "popd": true, "trap": true, "wait": true, "unset": true, "shift": true,
	"return": true, "eval": true, "exec": true, "command": true, "type": true, "time": true,
}

var (
	assignRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	heredocRE  = regexp.MustCompile(`<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)(['"]?)`)
	separators = regexp.MustCompile(`\|\||&&|[|;&]`)
)

// programs lists the programs a script's commands start, as far as a line scan can tell: the
// first word of each command of each logical line, after variable assignments, outside
// here-documents. It is a check for blocks that cannot run here (a program that is not
// installed), not a shell parser.
func programs(commands string) []string {
	var out []string
	lines := strings.Split(commands, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + lines[i]
		}
		if h := heredocRE.FindStringSubmatch(line); h != nil {
			for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != h[2] {
				i++
			}
			i++
		}
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		line = strings.NewReplacer(">&", ">", "<&", "<", "|&", "|").Replace(line)
		for _, cmd := range separators.Split(line, -1) {
			for _, w := range strings.Fields(cmd) {
				if assignRE.MatchString(w) {
					continue
				}
				if !shellBuiltins[w] && !strings.ContainsAny(w, "$`\"'()<>") {
					out = append(out, w)
				}
				break
			}
		}
	}
	return out
}
