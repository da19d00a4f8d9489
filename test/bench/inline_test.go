package bench

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// TestCounterAddInlines keeps issue 26's result: a generated label-less counter's Add and a
// bound counter's Add (counterShape, counters_test.go) compile to instrument.Int64CounterBound's
// Add inlined into the caller, which is the atomic add behind one branch. A change to the handle,
// to vcell or to the template that costs the inliner more than its budget fails here rather than
// in a benchmark run nobody reads. docs/benchmarks.md, "What inlines", has the lines.
func TestCounterAddInlines(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "test", "-c", "-o", os.DevNull, "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go test -c -gcflags=-m: %v\n%s", err, out)
	}
	// The two call sites in counterShape: the generated counter's c.Add(ctx, 1) and a bound
	// handle's bnd.Add(ctx, 1).
	sites := regexp.MustCompile(`counters_test\.go:\d+:\d+: inlining call to instrument\.Int64CounterBound\.Add`).FindAll(out, -1)
	if len(sites) < 2 {
		t.Fatalf("Int64CounterBound.Add inlined at %d call sites of counters_test.go, want 2:\n%s", len(sites), out)
	}
	out, err = exec.Command("go", "build", "-o", os.DevNull, "-gcflags=-m", "github.com/telediag/telediag/telemetry/instrument").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`can inline Int64CounterBound\.Add\b`).Match(out) {
		t.Fatalf("Int64CounterBound.Add does not inline:\n%s", out)
	}
}
