//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/telemetry"
)

// Environment of the browser tests. setup.sh prints TELEDIAG_CHROMIUM; run.sh sets
// TELEDIAG_E2E_ARTIFACTS (default bin/e2e/ in the repository) so that the screenshots outlive
// the test.
const (
	envChromium  = "TELEDIAG_CHROMIUM"      // Debian's chromium
	envArtifacts = "TELEDIAG_E2E_ARTIFACTS" // optional: where the screenshots go
)

// viewports the page must read well on.
var (
	desktop = viewport{"desktop", 1280, 800}
	phone   = viewport{"phone", 390, 844} // a current phone's CSS pixels
)

type viewport struct {
	name          string
	width, height int
}

// chromium runs Debian's Chromium headless, one process per call, with a fresh profile and
// nothing that talks to the network on its own. It loads 127.0.0.1 pages only: run refuses
// other URLs, and host names do not resolve.
type chromium struct{ bin string }

func newChromium(t *testing.T) chromium {
	t.Helper()
	return chromium{bin: binary(t, envChromium)}
}

// run loads pageURL with the extra flags and returns Chromium's stdout.
func (c chromium) run(t *testing.T, pageURL string, flags ...string) []byte {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("chromium: refusing to load %q: the tests load 127.0.0.1 pages only", pageURL)
	}
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--no-proxy-server",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", // any other host fails to resolve
		"--hide-scrollbars", "--force-device-scale-factor=1",
	}
	args = append(append(args, flags...), pageURL)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group, so that the helpers it starts (crashpad, zygotes) go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of this run only
	}
	if err != nil {
		t.Fatalf("chromium %s: %v after %v\nstderr (tail): %s", strings.Join(flags, " "), err,
			time.Since(start).Round(time.Millisecond), tail(stderr.Bytes(), 4<<10))
	}
	t.Logf("chromium %s %s: %v", strings.Join(flags, " "), pageURL, time.Since(start).Round(time.Millisecond))
	return stdout.Bytes()
}

// screenshot saves a PNG of pageURL at the viewport's size and returns it decoded.
func (c chromium) screenshot(t *testing.T, pageURL string, vp viewport, path string) image.Image {
	t.Helper()
	c.run(t, pageURL, "--screenshot="+path, fmt.Sprintf("--window-size=%d,%d", vp.width, vp.height))
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot %s: %v", vp.name, err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %s is not a PNG: %v", vp.name, path, err)
	}
	if b := img.Bounds(); b.Dx() != vp.width || b.Dy() != vp.height {
		t.Errorf("screenshot %s is %dx%d, want %dx%d", vp.name, b.Dx(), b.Dy(), vp.width, vp.height)
	}
	t.Logf("screenshot %s: %s", vp.name, path)
	return img
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// artifactsDir is where screenshots go: $TELEDIAG_E2E_ARTIFACTS, else the test's temp dir.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%s=%s: %v", envArtifacts, dir, err)
	}
	return dir
}

// framePage is a harness page, not part of telediag: it loads the status page in a same-origin
// iframe of the given size and, once the frame has loaded, writes what the browser rendered
// (texts, resolved links, computed styles, layout widths) as JSON into #result, which
// --dump-dom then prints. Script here is the test's; the status page itself runs none.
const framePage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>frame</title></head>
<body style="margin:0">
<iframe id="page" src="%s" width="%d" height="%d" style="border:0;display:block"></iframe>
<pre id="result">the frame did not load</pre>
<script>
document.getElementById('page').addEventListener('load', function () {
  var out = {};
  try {
    var d = this.contentDocument, w = this.contentWindow;
    var text = function (sel) { var e = d.querySelector(sel); return e ? e.textContent : null; };
    var all = function (sel, f) { return Array.prototype.map.call(d.querySelectorAll(sel), f); };
    out.url = w.location.href;
    out.title = d.title;
    out.service = text('#service');
    out.state = text('#state');
    out.code = text('#code');
    out.status = text('#status');
    out.version = text('#version');
    out.gitref = text('#gitref');
    out.goversion = text('#goversion');
    out.uptime = text('#uptime');
    out.refresh = (d.querySelector('meta[http-equiv="refresh"]') || {}).content || null;
    out.components = all('tr.component', function (tr) {
      return {
        name: tr.querySelector('td.name').textContent,
        state: tr.querySelector('td.state').textContent.trim(),
        since: tr.querySelector('td.since time').getAttribute('datetime'),
        error: tr.querySelector('td.error').textContent,
        display: w.getComputedStyle(tr).display
      };
    });
    out.links = all('a', function (a) { return {text: a.textContent, href: a.href}; });
    out.tags = all('*', function (e) { return e.tagName.toLowerCase(); })
      .filter(function (v, i, a) { return a.indexOf(v) === i; }).sort();
    out.scripts = d.scripts.length;
    out.badge = w.getComputedStyle(d.querySelector('#state')).backgroundColor;
    out.scrollWidth = d.documentElement.scrollWidth;
    out.clientWidth = d.documentElement.clientWidth;
  } catch (e) { out.error = String(e); }
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script>
</body></html>`

// rendered is what framePage reports.
type rendered struct {
	URL, Title, Service, State, Code, Status string
	Version, Gitref, Goversion, Uptime       string
	Refresh                                  string
	Components                               []struct{ Name, State, Since, Error, Display string }
	Links                                    []struct{ Text, Href string }
	Tags                                     []string
	Scripts                                  int
	Badge                                    string
	ScrollWidth, ClientWidth                 int
	Error                                    string
}

var resultRE = regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`)

// harness serves, on one 127.0.0.1 origin, the diagnostics router under /diag/ (as the
// router's example mounts it) and the frame page at /frame.
func harness(t *testing.T, diag http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/diag/", http.StripPrefix("/diag", diag))
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, framePage, html.EscapeString(q.Get("src")), atoi(q.Get("w")), atoi(q.Get("h")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func atoi(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}

// proxyTo is a reverse proxy to the binary's diag address, so that the binary's page is
// seen under a prefix, as when an application mounts the router at /diag.
func proxyTo(t *testing.T, diagAddr string) http.Handler {
	t.Helper()
	u, err := url.Parse("http://" + diagAddr)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(u)
}

// render loads base/diag/status in Chromium through the frame page at the viewport's size and
// returns what it rendered.
func (c chromium) render(t *testing.T, base string, vp viewport) rendered {
	t.Helper()
	frame := fmt.Sprintf("%s/frame?src=%s&w=%d&h=%d", base, url.QueryEscape("/diag/status"), vp.width, vp.height)
	dom := c.run(t, frame, "--dump-dom", fmt.Sprintf("--window-size=%d,%d", vp.width, vp.height+100))
	m := resultRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("%s: no #result in the dumped DOM:\n%s", vp.name, tail(dom, 4<<10))
	}
	var r rendered
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &r); err != nil {
		t.Fatalf("%s: #result is not the harness's JSON (%v): %s", vp.name, err, m[1])
	}
	if r.Error != "" {
		t.Fatalf("%s: the harness could not read the page: %s", vp.name, r.Error)
	}
	return r
}

// expectedBuild is what the binary says of itself, read from its build information the way
// internal/buildinfo reads it inside the process.
func expectedBuild(t *testing.T, bin string) (version, revision, goVersion string) {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("build info of %s: %v", bin, err)
	}
	version, revision = "unknown", "unknown"
	if info.Main.Version != "" {
		version = info.Main.Version
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && revision != "unknown" {
		revision += "-dirty"
	}
	return version, revision, info.GoVersion
}

// srgb is a colour of the page's stylesheet (router/status.css).
type srgb struct{ r, g, b uint8 }

var (
	colourOK       = srgb{0x1a, 0x7f, 0x37}
	colourDegraded = srgb{0xcf, 0x22, 0x2e}
)

func (c srgb) css() string { return fmt.Sprintf("rgb(%d, %d, %d)", c.r, c.g, c.b) }

// countColour counts the pixels of img within a small distance of c.
func countColour(img image.Image, c srgb) int {
	n := 0
	b := img.Bounds()
	near := func(a uint32, want uint8) bool { d := int(a>>8) - int(want); return d >= -6 && d <= 6 }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, c.r) && near(g, c.g) && near(bl, c.b) {
				n++
			}
		}
	}
	return n
}

// TestStatusPageInBrowser runs the binary with one healthy and one degraded --check, loads
// /status in a real headless Chromium through a /diag prefix, at a desktop's and a phone's
// width, and asserts on what the browser rendered; it saves a screenshot of each.
func TestStatusPageInBrowser(t *testing.T) {
	requireE2E(t)
	browser := newChromium(t)
	bin := binary(t, envBin)
	version, revision, goVersion := expectedBuild(t, bin)

	up := newTCPUpstream(t)
	down := testutil.ClosedAddr(t) // closed: nothing listens there
	d := startTelediagArgs(t, "--check", "db=tcp://"+up.addr, "--check", "cache=tcp://"+down, "--heartbeat-interval", "200ms")
	waitFor(t, "db ok and cache degraded", 15*time.Second, func() error {
		db, _, err := verboseComponent(d, "db")
		if err != nil {
			return err
		}
		cache, _, err := verboseComponent(d, "cache")
		if err != nil {
			return err
		}
		if db != "ok" || cache != "degraded" {
			return fmt.Errorf("db %s, cache %s", db, cache)
		}
		return nil
	}, d.proc)
	base := harness(t, proxyTo(t, d.diag))

	for _, vp := range []viewport{desktop, phone} {
		t.Run(vp.name, func(t *testing.T) {
			r := browser.render(t, base, vp)
			t.Logf("rendered: %+v", r)
			if want := base + "/diag/status"; r.URL != want {
				t.Errorf("frame at %s, want %s", r.URL, want)
			}
			checks := []struct{ what, got, want string }{
				{"title", r.Title, "telediag: degraded"},
				{"service", r.Service, "telediag"},
				{"state", r.State, "degraded"},
				{"/readyz code", r.Code, "503"},
				{"/readyz status", r.Status, statusDegradedText},
				{"version", r.Version, version},
				{"git ref", r.Gitref, revision},
				{"Go version", r.Goversion, goVersion},
				{"meta refresh", r.Refresh, "5"},
				{"overall badge colour", r.Badge, colourDegraded.css()}, // the CSP let the style apply
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			if !regexp.MustCompile(`^\d+s \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$`).MatchString(r.Uptime) {
				t.Errorf("uptime = %q, want seconds since the start", r.Uptime)
			}

			if len(r.Components) != 2 {
				t.Fatalf("components = %+v, want cache and db", r.Components)
			}
			cache, db := r.Components[0], r.Components[1]
			if cache.Name != "cache" || cache.State != "degraded" || !strings.Contains(cache.Error, down+": connect: connection refused") {
				t.Errorf("cache row = %+v, want degraded with the refused dial to %s", cache, down)
			}
			if db.Name != "db" || db.State != "ok" || db.Error != "none" {
				t.Errorf("db row = %+v, want ok without error", db)
			}
			for _, c := range r.Components {
				if since, err := time.Parse(time.RFC3339, c.Since); err != nil || time.Since(since) > time.Minute || time.Since(since) < -time.Minute {
					t.Errorf("%s since %q: not a time of this run (%v)", c.Name, c.Since, err)
				}
			}

			// Links, as the browser resolved them: under the prefix, pprof absent without
			// --debug, and each answering what it should through the prefix.
			var hrefs []string
			for _, l := range r.Links {
				hrefs = append(hrefs, strings.TrimPrefix(l.Href, base))
			}
			if want := []string{"/diag/readyz?verbose", "/diag/metrics", "/diag/readyz?verbose", "/diag/livez?verbose"}; !slices.Equal(hrefs, want) {
				t.Errorf("links resolve to %q, want %q", hrefs, want)
			}
			for _, l := range r.Links {
				code, body, err := get(l.Href)
				want := http.StatusOK
				if strings.Contains(l.Href, "readyz") {
					want = http.StatusServiceUnavailable // what the page said /readyz answers
				}
				if err != nil || code != want {
					t.Errorf("link %s (%s): HTTP %d %.100s (%v), want %d", l.Text, l.Href, code, body, err, want)
				}
			}

			if r.Scripts != 0 {
				t.Errorf("%d script elements on the page, want none", r.Scripts)
			}

			// Layout: nothing wider than the viewport, and on a phone the table becomes cards.
			if r.ScrollWidth > r.ClientWidth {
				t.Errorf("page is %dpx wide in a %dpx viewport: it scrolls sideways", r.ScrollWidth, r.ClientWidth)
			}
			wantDisplay := map[string]string{"desktop": "table-row", "phone": "block"}[vp.name]
			for _, c := range r.Components {
				if c.Display != wantDisplay {
					t.Errorf("%s row displayed as %q at %dpx, want %q", c.Name, c.Display, vp.width, wantDisplay)
				}
			}

			img := browser.screenshot(t, base+"/diag/status", vp, filepath.Join(artifactsDir(t), "status-"+vp.name+".png"))
			// Both badges are drawn: the degraded colour (overall and cache) and the ok one (db).
			for _, c := range []struct {
				name string
				c    srgb
			}{{"degraded", colourDegraded}, {"ok", colourOK}} {
				if n := countColour(img, c.c); n < 150 {
					t.Errorf("screenshot %s: %d pixels of the %s colour %s, want a badge's worth (150+)", vp.name, n, c.name, c.c.css())
				}
			}
		})
	}
}

// TestStatusPageDebugLinksPprof: with --debug the page links pprof, and the link works
// under the prefix.
func TestStatusPageDebugLinksPprof(t *testing.T) {
	requireE2E(t)
	browser := newChromium(t)
	d := startTelediagArgs(t, "--debug")
	base := harness(t, proxyTo(t, d.diag))
	r := browser.render(t, base, desktop)
	var pprof string
	for _, l := range r.Links {
		if strings.Contains(l.Href, "pprof") {
			pprof = l.Href
		}
	}
	if want := base + "/diag/debug/pprof/"; pprof != want {
		t.Fatalf("pprof link = %q, want %q (links %+v)", pprof, want, r.Links)
	}
	code, body, err := get(pprof)
	if err != nil || code != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("GET %s: HTTP %d (%v) %.200s", pprof, code, err, body)
	}
	// Without --check the binary has nothing to wait for: ready.
	if r.State != "ok" || r.Code != "200" || len(r.Components) != 0 {
		t.Errorf("without checks: state %q code %q components %+v, want ok 200 and none", r.State, r.Code, r.Components)
	}
}

// TestStatusPageEscapesInBrowser serves the router in this process with component names and
// errors that are markup, and checks in Chromium that they are text: the rendered page has no
// element the template does not write, and shows the values verbatim.
func TestStatusPageEscapesInBrowser(t *testing.T) {
	requireE2E(t)
	browser := newChromium(t)
	const (
		scriptName = `<script>document.title='pwned'</script>`
		imgName    = `x"><img src=x onerror="document.title='pwned'">`
		scriptErr  = `</td></tr></table><script>document.title='pwned'</script>`
		service    = `</title><script>document.title='pwned'</script>`
	)
	m, err := probes.New(probes.WithLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	m.Heartbeat(scriptName, errors.New(scriptErr))
	m.Heartbeat(imgName, nil)
	tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter(), telemetry.WithLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	diag := chi.NewRouter()
	err = router.Install(diag, "/", router.Config{
		Monitor: m, Telemetry: tel, Logger: quietLog(),
		Status: router.StatusInfo{Service: service, Version: "<b>v1</b>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := harness(t, diag)
	r := browser.render(t, base, desktop)

	if r.Scripts != 0 {
		t.Errorf("%d script elements in the rendered page, want none", r.Scripts)
	}
	allowed := strings.Fields("a body dd dl dt footer h1 h2 head html li main meta nav p q section span style table tbody td th thead time title tr ul")
	for _, tag := range r.Tags {
		if !slices.Contains(allowed, tag) {
			t.Errorf("element <%s> in the rendered page: a value was not escaped", tag)
		}
	}
	if r.Service != service || r.Title != service+": degraded" || r.Version != "<b>v1</b>" {
		t.Errorf("service %q, title %q, version %q: want the values as text", r.Service, r.Title, r.Version)
	}
	if len(r.Components) != 2 || r.Components[0].Name != scriptName || r.Components[0].Error != scriptErr ||
		r.Components[1].Name != imgName {
		t.Errorf("components = %+v, want the names and error as text", r.Components)
	}
}
