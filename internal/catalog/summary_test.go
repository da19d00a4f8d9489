package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// summaryEntry is a generated summary entry at line 2, with extra appended to it.
func summaryEntry(extra string) string {
	return `metrics:
  - name: payload_bytes
    kind: summary
    value_type: double
    unit: By
    description: Payload sizes.
` + extra
}

// TestSummaryFields: a generated summary's objectives, max_age and age_buckets, their
// client_golang defaults, and every rule on them, each problem at its FILE:LINE.
func TestSummaryFields(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		want  []Objective // on success
		age   time.Duration
		nbuck uint32
		probs []string // on failure: each must appear, in order
		kind  ProblemKind
	}{
		{name: "no objectives: count and sum only", src: summaryEntry("")},
		{name: "client_golang's objectives, defaults", src: summaryEntry("    objectives: {0.99: 0.001, 0.5: 0.05, 0.9: 0.01}\n"),
			want: []Objective{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}}, age: 10 * time.Minute, nbuck: 5},
		{name: "window given", src: summaryEntry("    objectives: {0.5: 0.05}\n    max_age: 1m\n    age_buckets: 3\n"),
			want: []Objective{{0.5, 0.05}}, age: time.Minute, nbuck: 3},
		{name: "block mapping", src: summaryEntry("    objectives:\n      0.25: 0.01\n      0.75: 0.01\n"),
			want: []Objective{{0.25, 0.01}, {0.75, 0.01}}, age: 10 * time.Minute, nbuck: 5},
		{name: "quantile 0", src: summaryEntry("    objectives: {0: 0.01}\n"), kind: ProblemValue,
			probs: []string{"s.yaml:7: metric payload_bytes: objectives: quantile 0 must be between 0 and 1, both excluded"}},
		{name: "quantile not a number", src: summaryEntry("    objectives: {p99: 0.01}\n"), kind: ProblemSyntax,
			probs: []string{`s.yaml:7: metric payload_bytes: objectives quantile must be a number, not "p99"`}},
		{name: "error 0", src: summaryEntry("    objectives: {0.5: 0}\n"), kind: ProblemValue,
			probs: []string{"s.yaml:7: metric payload_bytes: objectives: the error allowed on quantile 0.5 must be above 0 and below 0.5 (its distance to 0 or 1), not 0"}},
		{name: "error past 1", src: summaryEntry("    objectives: {0.9: 0.2}\n"), kind: ProblemValue,
			probs: []string{"the error allowed on quantile 0.9 must be above 0 and below 0.1"}},
		{name: "quantile repeated", src: summaryEntry("    objectives:\n      0.5: 0.05\n      0.50: 0.01\n"), kind: ProblemDuplicate,
			probs: []string{"s.yaml:9: metric payload_bytes: objectives: quantile 0.50 repeated (first at line 8)"}},
		{name: "empty objectives", src: summaryEntry("    objectives: {}\n"), kind: ProblemValue,
			probs: []string{"s.yaml:7: metric payload_bytes: objectives is empty: leave it out for a summary of count and sum only"}},
		{name: "objectives a list", src: summaryEntry("    objectives: [0.5, 0.99]\n"), kind: ProblemSyntax,
			probs: []string{"s.yaml:7: metric payload_bytes: objectives must be a mapping from quantile to allowed error"}},
		{name: "max_age not a duration", src: summaryEntry("    objectives: {0.5: 0.05}\n    max_age: 600\n"), kind: ProblemValue,
			probs: []string{`s.yaml:8: metric payload_bytes: max_age must be a duration such as 10m or 90s, not "600"`}},
		{name: "max_age negative", src: summaryEntry("    objectives: {0.5: 0.05}\n    max_age: -1m\n"), kind: ProblemValue,
			probs: []string{"s.yaml:8: metric payload_bytes: max_age must be positive, not -1m"}},
		{name: "age_buckets 0", src: summaryEntry("    objectives: {0.5: 0.05}\n    age_buckets: 0\n"), kind: ProblemValue,
			probs: []string{"s.yaml:8: metric payload_bytes: age_buckets must be a whole number from 1 to 100, not 0"}},
		{name: "age_buckets fractional", src: summaryEntry("    objectives: {0.5: 0.05}\n    age_buckets: 2.5\n"), kind: ProblemValue,
			probs: []string{"age_buckets must be a whole number from 1 to 100, not 2.5"}},
		{name: "window too fine", src: summaryEntry("    objectives: {0.5: 0.05}\n    max_age: 2s\n"), kind: ProblemValue,
			probs: []string{"s.yaml:8: metric payload_bytes: max_age 2s over 5 age buckets slides the window by less than 1s"}},
		{name: "max_age without objectives", src: summaryEntry("    max_age: 1m\n"), kind: ProblemUnsupported,
			probs: []string{"s.yaml:7: metric payload_bytes: max_age has no effect on a summary without objectives"}},
		{name: "age_buckets without objectives", src: summaryEntry("    age_buckets: 2\n"), kind: ProblemUnsupported,
			probs: []string{"s.yaml:7: metric payload_bytes: age_buckets has no effect on a summary without objectives"}},
		{name: "buckets on a summary", src: summaryEntry("    buckets: [1, 2]\n"), kind: ProblemUnsupported,
			probs: []string{"s.yaml:7: metric payload_bytes: buckets are only valid on a generated histogram, not on a summary"}},
		{name: "observable summary", src: summaryEntry("    observable: true\n"), kind: ProblemUnsupported,
			probs: []string{"s.yaml:7: metric payload_bytes: a summary cannot be observable"}},
		{name: "objectives on a histogram", src: `metrics:
  - name: read_seconds
    kind: histogram
    value_type: double
    unit: s
    description: Reads.
    buckets: [1]
    objectives: {0.5: 0.05}
`, kind: ProblemUnsupported,
			probs: []string{"s.yaml:8: metric read_seconds: objectives is only valid on a generated summary, not on a histogram"}},
		{name: "max_age on a provided summary", src: `metrics:
  - name: go_gc_duration_seconds
    provided_by: go_collector
    kind: summary
    unit: s
    description: GC.
    max_age: 1m
`, kind: ProblemUnsupported,
			probs: []string{"s.yaml:7: metric go_gc_duration_seconds: max_age is only valid on a generated summary, not on a provided summary"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("s.yaml", []byte(tt.src))
			if tt.probs == nil {
				if err != nil {
					t.Fatal(err)
				}
				m := c.Metrics[0]
				if !slices.Equal(m.Objectives, tt.want) || m.MaxAge != tt.age || m.AgeBuckets != tt.nbuck {
					t.Errorf("objectives %v, max_age %s, age_buckets %d; want %v, %s, %d", m.Objectives, m.MaxAge, m.AgeBuckets, tt.want, tt.age, tt.nbuck)
				}
				return
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("accepted or not Problems: %v", err)
			}
			if !slices.ContainsFunc(ps, func(p Problem) bool { return p.Kind == tt.kind && strings.Contains(p.String(), tt.probs[0]) }) {
				t.Errorf("no %s problem %q in\n%v", tt.kind, tt.probs[0], err)
			}
			rest := err.Error()
			for _, w := range tt.probs {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error lacks (in order)\n  %s\ngot:\n%s", w, err)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestSummaryQuantiles: Quantiles lists the objectives' quantiles in order.
func TestSummaryQuantiles(t *testing.T) {
	c, err := Parse("s.yaml", []byte(summaryEntry("    objectives: {0.99: 0.001, 0.5: 0.05}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Metrics[0].Quantiles(); !slices.Equal(got, []float64{0.5, 0.99}) {
		t.Errorf("Quantiles() = %v", got)
	}
}
