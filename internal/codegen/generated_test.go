package codegen

import (
	"fmt"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/internal/catalog"
)

// TestProbeFindsTheTemplatesOwnNames: what the probe reads from the templates' output includes
// the generated package's own declarations and the locals, parameters and packages its code
// uses, and nothing of the probe catalogue.
func TestProbeFindsTheTemplatesOwnNames(t *testing.T) {
	_, names, err := templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Instruments", "NewInstruments", "ScopeName", "Release", "RegisterCallback", "TestGeneratedInstruments", "ExampleNewInstruments"} {
		if !slices.Contains(names.pkg, want) {
			t.Errorf("package-level names lack %s: %v", want, names.pkg)
		}
	}
	for _, want := range []string{"ctx", "incr", "val", "m", "o", "b", "i", "err", "errs", "fn", "s", "k", "r", "g", "set", "mp",
		"context", "errors", "fmt", "attribute", "metric", "noop", "instrument", "testing", "sdkmetric", "instrumenttest"} {
		if !names.used[want] {
			t.Errorf("used names lack %s", want)
		}
	}
	for name := range names.used {
		if strings.Contains(strings.ToLower(name), probeMark) {
			t.Errorf("a probe catalogue name leaked into the used names: %s", name)
		}
	}
	for _, name := range names.pkg {
		if strings.Contains(strings.ToLower(name), probeMark) {
			t.Errorf("a probe catalogue name leaked into the package-level names: %s", name)
		}
	}
}

// labelIDRE is the catalogue's rule for label IDs.
var labelIDRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// hostileLabelIDs are label IDs that are ordinary Prometheus label names and also Go keywords,
// predeclared identifiers, names of packages the generated code imports, or names of its own
// locals: a fixed list of what a new user may well choose, and everything the templates use
// today, read by the probe, so that the list grows with the templates.
func hostileLabelIDs(t *testing.T) []string {
	t.Helper()
	ids := map[string]bool{}
	for _, id := range []string{"type", "func", "string", "len", "nil", "true", "context", "attribute", "metric", "noop",
		"fmt", "errors", "instrument", "ctx", "err", "errs", "i", "m", "o", "s", "k", "b", "r", "incr", "val", "fn",
		"set", "g", "mp", "opts", "inst", "series", "bound", "group", "new_instruments", "scope_name", "release"} {
		ids[id] = true
	}
	for tok := token.Token(0); tok < 256; tok++ {
		if tok.IsKeyword() {
			ids[tok.String()] = true
		}
	}
	for _, name := range types.Universe.Names() {
		if labelIDRE.MatchString(name) {
			ids[name] = true
		}
	}
	_, names, err := templates()
	if err != nil {
		t.Fatal(err)
	}
	for name := range names.used {
		// A camelCase local is what the label ID in snake_case becomes.
		var snake strings.Builder
		for _, r := range name {
			if unicode.IsUpper(r) {
				snake.WriteByte('_')
			}
			snake.WriteRune(unicode.ToLower(r))
		}
		if id := snake.String(); labelIDRE.MatchString(id) && lowerCamel(id) == name {
			ids[id] = true
		}
	}
	var out []string
	for id := range ids {
		if id != "le" && id != "quantile" { // reserved by Prometheus, refused by the catalogue
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// yamlLabel and yamlMetric write a catalogue with yaml.v3.
type yamlLabel struct {
	Description string   `yaml:"description"`
	Enum        []string `yaml:"enum,omitempty"`
}

type yamlMetric struct {
	Name        string              `yaml:"name"`
	Kind        string              `yaml:"kind"`
	ValueType   string              `yaml:"value_type"`
	Observable  bool                `yaml:"observable,omitempty"`
	Unit        string              `yaml:"unit"`
	Description string              `yaml:"description"`
	Labels      []string            `yaml:"labels,omitempty"`
	Buckets     []float64           `yaml:"buckets,omitempty"`
	Objectives  map[float64]float64 `yaml:"objectives,omitempty"`
	Native      map[string]any      `yaml:"native,omitempty"`
}

type yamlCatalogue struct {
	Labels  map[string]yamlLabel `yaml:"labels,omitempty"`
	Metrics []yamlMetric         `yaml:"metrics"`
}

// shape is one kind of generated instrument.
type shape struct {
	kind       catalog.Kind
	observable bool
	native     native
}

// native is what a histogram shape declares besides or instead of classic buckets.
type native int

const (
	classicOnly native = iota
	classicAndNative
	nativeOnly
)

var everyShape = []shape{
	{catalog.KindCounter, false, 0}, {catalog.KindUpDownCounter, false, 0}, {catalog.KindGauge, false, 0}, {catalog.KindHistogram, false, 0},
	{catalog.KindSummary, false, 0}, {catalog.KindCounter, true, 0}, {catalog.KindUpDownCounter, true, 0}, {catalog.KindGauge, true, 0},
	{catalog.KindHistogram, false, classicAndNative}, {catalog.KindHistogram, false, nativeOnly},
}

// name is the shape's part of a metric's name: its kind, observable and native said.
func (s shape) name() string {
	n := string(s.kind)
	if s.observable {
		n = "observable_" + n
	}
	switch s.native {
	case classicAndNative:
		n += "_classic_native"
	case nativeOnly:
		n += "_native"
	}
	return n
}

func (s shape) metric(name, valueType string, labels []string) yamlMetric {
	m := yamlMetric{Name: name, Kind: string(s.kind), ValueType: valueType, Observable: s.observable, Unit: "1",
		Description: "A " + string(s.kind) + ".", Labels: labels}
	if s.kind == catalog.KindHistogram && s.native != nativeOnly {
		m.Buckets = []float64{0.5, 1, 2}
	}
	switch s.native {
	case classicAndNative:
		m.Native = map[string]any{"bucket_factor": 1.1}
	case nativeOnly:
		m.Native = map[string]any{"schema": 0, "max_buckets": 20, "zero_threshold": 0.001, "min_reset_duration": "1h"}
	}
	if s.kind == catalog.KindSummary && valueType == "double" {
		m.Objectives = map[float64]float64{0.5: 0.05, 0.99: 0.001}
	}
	return m
}

// generatePackage writes doc as a catalogue, loads it as instrumentgen does, and generates the
// package pkg into dir.
func generatePackage(t *testing.T, dir, pkg string, doc yamlCatalogue) {
	t.Helper()
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "instruments.yaml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Load(file)
	if err != nil {
		t.Fatalf("the catalogue is invalid:\n%v", err)
	}
	out, err := generate(c, Options{Source: "instruments.yaml", Package: pkg, Scope: "example.com/" + pkg})
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	for name, b := range map[string][]byte{GoFile: out.Go, TestFile: out.Test} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostileLabelsCompileVetAndPass generates, into packages of this module, a catalogue whose
// label IDs are Go keywords, predeclared identifiers, imported package names and the generated
// code's own locals, on every kind of instrument, free and enum, int and double; and one
// catalogue per kind with a single metric, with and without a label. go vet must accept them
// all (which compiles them and their tests) and the hostile catalogue's generated test must pass.
func TestHostileLabelsCompileVetAndPass(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips running go vet and go test on generated packages")
	}
	root, err := os.MkdirTemp("testdata", "gen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })

	ids := hostileLabelIDs(t)
	hostile := yamlCatalogue{Labels: map[string]yamlLabel{}}
	for i, id := range ids {
		l := yamlLabel{Description: "The label " + id + "."}
		if i%2 == 1 {
			l.Enum = []string{"alpha", "beta"}
		}
		hostile.Labels[id] = l
	}
	for _, s := range everyShape {
		for _, vt := range []string{"int", "double"} {
			name := fmt.Sprintf("hostile_%s_%s", s.name(), vt)
			hostile.Metrics = append(hostile.Metrics, s.metric(name, vt, ids))
		}
	}
	hostileDir := filepath.Join(root, "hostile")
	generatePackage(t, hostileDir, "hostile", hostile)
	dirs := []string{"./" + filepath.ToSlash(hostileDir)}
	tested := []string{dirs[0]} // and the summary's own packages, whose example starts with a summary
	for i, s := range everyShape {
		for _, labels := range [][]string{nil, {"type"}} {
			doc := yamlCatalogue{Metrics: []yamlMetric{s.metric("only_metric", "int", labels)}}
			if labels != nil {
				doc.Labels = map[string]yamlLabel{"type": {Description: "A type."}}
			}
			pkg := fmt.Sprintf("shape%d%s", i, strings.Repeat("l", len(labels)))
			dir := filepath.Join(root, pkg)
			generatePackage(t, dir, pkg, doc)
			dirs = append(dirs, "./"+filepath.ToSlash(dir))
			if s.kind == catalog.KindSummary {
				tested = append(tested, dirs[len(dirs)-1])
			}
		}
	}
	t.Logf("%d hostile label IDs on %d metrics: %s", len(ids), len(hostile.Metrics), strings.Join(ids, " "))
	if out, err := exec.Command("go", append([]string{"vet"}, dirs...)...).CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	if out, err := exec.Command("go", append([]string{"test", "-count=1"}, tested...)...).CombinedOutput(); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
