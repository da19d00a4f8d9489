package instrument

import "slices"

// arrival is one series of a delta reader's interval: its cell, and what the interval added to
// it.
type arrival[C comparable, T any] struct {
	c C
	p *T
}

// takeInterval takes a delta reader's pending points of one interval, for the value and the
// histogram streams alike: the points of the series still alive (a deleted series' point is
// dropped; the overflow cell's is returned apart), in the order the series first arrived in the
// interval, which decides which of them keep a series of their own under the limit, as in the
// SDK's delta aggregation; and the empty map that takes the next interval's.
func takeInterval[C comparable, T any](pending map[C]*T, overflowCell C, gone func(C) bool, seq func(*T) uint64) (series []arrival[C, T], overflow *T, next map[C]*T) {
	series = make([]arrival[C, T], 0, len(pending))
	for c, p := range pending {
		if gone(c) {
			continue
		}
		if c == overflowCell {
			overflow = p
			continue
		}
		series = append(series, arrival[C, T]{c, p})
	}
	slices.SortFunc(series, func(a, b arrival[C, T]) int {
		switch sa, sb := seq(a.p), seq(b.p); {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	// A new map rather than clear: a map keeps its buckets, and the interval may have held many
	// more series than the next ones will.
	return series, overflow, make(map[C]*T, len(series))
}
