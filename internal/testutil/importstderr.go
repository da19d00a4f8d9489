package testutil

import "strings"

// LeftOutOnStderr is every family a "left out" line of instrumentgen import's stderr names:
// "instrumentgen import: left out NAME[, NAME...]: REASON". Tests of import's promise that
// nothing is lost without a word read it, in process and end to end.
func LeftOutOnStderr(stderr string) map[string]bool {
	named := map[string]bool{}
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "instrumentgen import: left out ")
		if !ok {
			continue
		}
		list, _, _ := strings.Cut(rest, ": ")
		for _, name := range strings.Split(list, ", ") {
			named[name] = true
		}
	}
	return named
}
