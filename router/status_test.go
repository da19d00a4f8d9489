package router_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
)

// statusRouter builds the router with a Status config and optional
// liveness, failing the test on error.
func statusRouter(t *testing.T, m *probes.Monitor, info router.StatusInfo, liveness, debug bool) http.Handler {
	t.Helper()
	cfg := router.Config{Monitor: m, Debug: debug, Status: info}
	if liveness {
		l, err := probes.NewLiveness(probes.NamedCheck("ping", func(ctx context.Context) error { return nil }))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Liveness = l
	}
	return install(t, cfg)
}

// getStatus fetches target (a /status URL) through h and checks what every
// answer must have: 200, HTML, and headers that keep it fresh and script-free.
func getStatus(t *testing.T, h http.Handler, target string) string {
	t.Helper()
	got := do(t, h, http.MethodGet, target)
	if got.code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, got.code, got.body)
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         strconv.Itoa(len(got.body)),
	} {
		if v := got.header.Get(k); v != want {
			t.Errorf("GET %s: %s = %q, want %q", target, k, v, want)
		}
	}
	return got.body
}

var (
	reAttr = func(id, attr string) *regexp.Regexp {
		return regexp.MustCompile(`id="` + id + `"[^>]*\b` + attr + `="([^"]*)"`)
	}
	reHref = regexp.MustCompile(`<a href="([^"]*)"`)
	reRow  = regexp.MustCompile(`(?s)<tr class="component" data-component="([^"]*)" data-state="([^"]*)">(.*?)</tr>`)
)

// text returns the unescaped text content of the element with the given id.
func text(t *testing.T, body, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)id="` + id + `"[^>]*>(.*?)</`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no element with id %q in\n%s", id, body)
	}
	return html.UnescapeString(m[1])
}

func attr(t *testing.T, body, id, name string) string {
	t.Helper()
	m := reAttr(id, name).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s attribute on #%s in\n%s", name, id, body)
	}
	return html.UnescapeString(m[1])
}

type row struct{ name, state, cells string }

func rows(body string) []row {
	var out []row
	for _, m := range reRow.FindAllStringSubmatch(body, -1) {
		out = append(out, row{html.UnescapeString(m[1]), m[2], m[3]})
	}
	return out
}

func links(body string) []string {
	var out []string
	for _, m := range reHref.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestStatusPageShowsProcess(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	m.Heartbeat("db", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	m.Heartbeat("proxy", errors.New("timeout"))
	m.Heartbeat("proxy", nil) // recovering
	started := time.Now().Add(-(90*time.Minute + 5*time.Second))
	h := statusRouter(t, m, router.StatusInfo{Service: "auth-svc", Version: "v1.2.3", GitRef: "0123abc", Started: started}, true, false)
	body := getStatus(t, h, "/status")

	if got := text(t, body, "service"); got != "auth-svc" {
		t.Errorf("service = %q", got)
	}
	if !strings.Contains(body, "<title>auth-svc: degraded</title>") {
		t.Errorf("title is not the service and state:\n%s", body)
	}
	for id, want := range map[string]string{
		"state": "degraded", "code": "503", "status": "teleport is in a degraded state, check logs for details",
		"version": "v1.2.3", "gitref": "0123abc", "goversion": runtime.Version(), "pid": strconv.Itoa(os.Getpid()),
	} {
		if got := text(t, body, id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if got := attr(t, body, "overall", "data-code"); got != "503" {
		t.Errorf("data-code = %q, want 503", got)
	}
	if got := text(t, body, "uptime"); !strings.HasPrefix(got, "1h 30m ") {
		t.Errorf("uptime = %q, want 1h 30m", got)
	}
	if !strings.Contains(body, `<time datetime="`+started.UTC().Format(time.RFC3339)+`">`) {
		t.Errorf("start time %s not on the page", started.UTC().Format(time.RFC3339))
	}
	if !strings.Contains(body, `<meta http-equiv="refresh" content="5">`) {
		t.Error("no 5s meta refresh")
	}

	got := rows(body)
	want := []struct{ name, state, cell string }{
		{"auth", "ok", `<span class="none">none</span>`},
		{"db", "degraded", "dial tcp 127.0.0.1:5432: connect: connection refused"},
		{"proxy", "recovering", `<span class="none">none</span>`},
	}
	if len(got) != len(want) {
		t.Fatalf("%d component rows, want %d:\n%s", len(got), len(want), body)
	}
	for i, w := range want {
		if got[i].name != w.name || got[i].state != w.state || !strings.Contains(got[i].cells, w.cell) {
			t.Errorf("row %d = %+v, want %s %s with %q", i, got[i], w.name, w.state, w.cell)
		}
		if !strings.Contains(got[i].cells, `<span class="badge">`+w.state+`</span>`) {
			t.Errorf("row %s: no %s badge: %s", w.name, w.state, got[i].cells)
		}
		if !regexp.MustCompile(`<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">`).MatchString(got[i].cells) {
			t.Errorf("row %s: no since time: %s", w.name, got[i].cells)
		}
	}

	head := do(t, h, http.MethodHead, "/status")
	if head.code != http.StatusOK || head.body != "" || head.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD /status: %d, %q, %q", head.code, head.body, head.header.Get("Content-Type"))
	}
	if n, _ := strconv.Atoi(head.header.Get("Content-Length")); n < 1000 {
		t.Errorf("HEAD Content-Length = %q, want the page's length", head.header.Get("Content-Length"))
	}
	if got := do(t, h, http.MethodPost, "/status"); got.code != http.StatusMethodNotAllowed {
		t.Errorf("POST /status: %d, want 405", got.code)
	}
}

func TestStatusPageDefaults(t *testing.T) {
	m := newMonitor(t)
	body := getStatus(t, statusRouter(t, m, router.StatusInfo{}, false, false), "/status")
	for id, want := range map[string]string{
		"service": testService, "version": "unknown", "gitref": "unknown", "goversion": runtime.Version(),
		"state": "starting", "code": "400", "status": "teleport is starting and hasn't joined the cluster yet",
	} {
		if got := text(t, body, id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if got := text(t, body, "uptime"); !strings.HasPrefix(got, "0s ") && !strings.HasPrefix(got, "1s ") {
		t.Errorf("uptime of a router made now = %q, want 0s", got)
	}
	if len(rows(body)) != 0 || !strings.Contains(body, `id="components">No component has reported`) {
		t.Errorf("an empty Monitor must say it has no components:\n%s", body)
	}
}

// TestStatusPageCodes holds the page's state and code to what /readyz
// answers through the same router, in every state and during shutdown.
func TestStatusPageCodes(t *testing.T) {
	for _, s := range []probes.State{probes.StateOK, probes.StateRecovering, probes.StateDegraded, probes.StateStarting} {
		for _, shutdown := range []bool{false, true} {
			name := s.String()
			if shutdown {
				name += "/shutting down"
			}
			t.Run(name, func(t *testing.T) {
				var m *probes.Monitor
				if s == probes.StateStarting {
					m = newMonitor(t, probes.WithExpected("auth"))
				} else {
					m = newMonitor(t)
				}
				switch s {
				case probes.StateOK:
					m.Heartbeat("auth", nil)
				case probes.StateRecovering:
					m.Heartbeat("auth", errors.New("x"))
					m.Heartbeat("auth", nil)
				case probes.StateDegraded:
					m.Heartbeat("auth", errors.New("x"))
				}
				if shutdown {
					m.BeginShutdown()
				}
				h := statusRouter(t, m, router.StatusInfo{}, false, false)
				body := getStatus(t, h, "/status")
				ready := do(t, h, http.MethodGet, "/readyz")
				var rd struct{ Status string }
				if err := json.Unmarshal([]byte(ready.body), &rd); err != nil {
					t.Fatal(err)
				}
				if got := attr(t, body, "overall", "data-code"); got != strconv.Itoa(ready.code) {
					t.Errorf("page says /readyz answers %s; it answers %d", got, ready.code)
				}
				if got := text(t, body, "code"); got != strconv.Itoa(ready.code) {
					t.Errorf("#code = %s, /readyz %d", got, ready.code)
				}
				if got := text(t, body, "status"); got != rd.Status {
					t.Errorf("#status = %q, /readyz says %q", got, rd.Status)
				}
				if got := attr(t, body, "overall", "data-state"); got != s.String() {
					t.Errorf("data-state = %q, want %s", got, s)
				}
				if !strings.Contains(body, `class="overall st-`+s.String()+`"`) {
					t.Errorf("overall section not coloured as %s", s)
				}
				if has := strings.Contains(body, `id="shutdown"`); has != shutdown {
					t.Errorf("shutdown banner shown = %v, want %v", has, shutdown)
				}
			})
		}
	}
}

// TestStatusPageEscapes puts markup in every value that comes from outside
// the program: it must come out as text, and no element but the page's own.
func TestStatusPageEscapes(t *testing.T) {
	const (
		scriptName = `<script>alert("name")</script>`
		imgName    = `x"><img src=x onerror=alert(1)>`
		scriptErr  = `</td></tr></table><script>alert('err')</script>`
		svc        = `</title><script>alert(3)</script>`
	)
	m := newMonitor(t)
	m.Heartbeat(scriptName, errors.New(scriptErr))
	m.Heartbeat(imgName, nil)
	h := statusRouter(t, m, router.StatusInfo{Service: svc, Version: `<b>1</b>`, GitRef: `"'&`}, false, false)
	body := getStatus(t, h, "/status")

	for _, bad := range []string{"<script", "<img", "<b>", "onerror=alert(1)>"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q unescaped:\n%s", bad, body)
		}
	}
	if got := text(t, body, "service"); got != svc {
		t.Errorf("service shown as %q, want the text %q", got, svc)
	}
	for id, want := range map[string]string{"version": `<b>1</b>`, "gitref": `"'&`} {
		if got := text(t, body, id); got != want {
			t.Errorf("#%s = %q, want the text %q", id, got, want)
		}
	}
	got := rows(body)
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2:\n%s", len(got), body)
	}
	// Sorted by name: '<' sorts before 'x'.
	if got[0].name != scriptName || got[1].name != imgName {
		t.Errorf("data-component values = %q, %q; want the names verbatim", got[0].name, got[1].name)
	}
	if !strings.Contains(html.UnescapeString(got[0].cells), scriptErr) {
		t.Errorf("error cell does not show the error as text: %s", got[0].cells)
	}
	// Every tag on the page is one of the template's own.
	allowed := map[string]bool{}
	for _, tag := range strings.Fields("html head meta title style body main section h1 h2 p span a q dl dt dd time table thead tbody tr th td nav ul li footer") {
		allowed[tag] = true
	}
	for _, m := range regexp.MustCompile(`<(/?)([a-zA-Z0-9]+)`).FindAllStringSubmatch(body, -1) {
		if !allowed[strings.ToLower(m[2])] {
			t.Errorf("unexpected element <%s%s> on the page", m[1], m[2])
		}
	}
}

// TestStatusPageCSP checks that the Content-Security-Policy allows no
// script, and that the style it allows by hash is the one on the page (a
// mismatch would leave the page unstyled in a browser).
func TestStatusPageCSP(t *testing.T) {
	m := newMonitor(t)
	h := statusRouter(t, m, router.StatusInfo{}, false, false)
	got := do(t, h, http.MethodGet, "/status")
	csp := got.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q: want default-src 'none' and no script source", csp)
	}
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(got.body)
	if style == nil {
		t.Fatal("no <style> element")
	}
	sum := sha256.Sum256([]byte(style[1]))
	if want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the page's style (%s)", csp, want)
	}
}

func TestStatusPageLinks(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	cases := []struct {
		liveness, debug bool
		want            []string
	}{
		{false, false, []string{"readyz?verbose", "metrics", "readyz?verbose"}},
		{true, false, []string{"readyz?verbose", "metrics", "readyz?verbose", "livez?verbose"}},
		{false, true, []string{"readyz?verbose", "metrics", "readyz?verbose", "debug/pprof/"}},
		{true, true, []string{"readyz?verbose", "metrics", "readyz?verbose", "livez?verbose", "debug/pprof/"}},
	}
	for _, c := range cases {
		t.Run("liveness="+strconv.FormatBool(c.liveness)+",debug="+strconv.FormatBool(c.debug), func(t *testing.T) {
			body := getStatus(t, statusRouter(t, m, router.StatusInfo{}, c.liveness, c.debug), "/status")
			if got := links(body); !slices.Equal(got, c.want) {
				t.Errorf("links = %q, want %q", got, c.want)
			}
			if !c.debug && strings.Contains(body, "pprof") {
				t.Error("page mentions pprof without Debug")
			}
		})
	}
}

// TestStatusPageUnderPrefix follows every link of the page as a browser
// would, relative to the page's URL, at the root and under a prefix: each
// must stay under the prefix and answer 200.
func TestStatusPageUnderPrefix(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	h := statusRouter(t, m, router.StatusInfo{}, true, true)
	live, err := probes.NewLiveness(probes.NamedCheck("ping", func(ctx context.Context) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	chiParent := chi.NewRouter()
	installAt(t, chiParent, "/diag", router.Config{Monitor: m, Liveness: live, Debug: true})
	onMux := chi.NewRouter()
	installAt(t, onMux, "/ops/diag", router.Config{Monitor: m, Liveness: live, Debug: true})
	mux := http.NewServeMux()
	mux.Handle("/ops/diag/", onMux)

	for _, c := range []struct {
		name   string
		outer  http.Handler
		prefix string
	}{{"root", h, ""}, {"chi", chiParent, "/diag"}, {"ServeMux", mux, "/ops/diag"}} {
		t.Run(c.name, func(t *testing.T) {
			page, _ := url.Parse("http://diag.example" + c.prefix + "/status")
			body := getStatus(t, c.outer, page.String())
			hrefs := links(body)
			if len(hrefs) != 5 {
				t.Fatalf("links = %q, want 5 with liveness and debug", hrefs)
			}
			for _, href := range hrefs {
				ref, err := url.Parse(href)
				if err != nil {
					t.Fatalf("href %q: %v", href, err)
				}
				u := page.ResolveReference(ref)
				if !strings.HasPrefix(u.Path, c.prefix+"/") || u.Host != page.Host {
					t.Errorf("href %q resolves to %s, outside %s/", href, u, c.prefix)
					continue
				}
				if got := do(t, c.outer, http.MethodGet, u.RequestURI()); got.code != http.StatusOK {
					t.Errorf("link %q -> %s: HTTP %d", href, u.RequestURI(), got.code)
				}
			}
		})
	}
}

func TestStatusRefresh(t *testing.T) {
	m := newMonitor(t)
	for _, c := range []struct {
		refresh time.Duration
		want    string
	}{{0, "5"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}, {time.Minute, "60"}} {
		body := getStatus(t, statusRouter(t, m, router.StatusInfo{Refresh: c.refresh}, false, false), "/status")
		if !strings.Contains(body, `<meta http-equiv="refresh" content="`+c.want+`">`) {
			t.Errorf("Refresh %v: no meta refresh of %s s", c.refresh, c.want)
		}
		if !strings.Contains(body, "reloads every "+c.want+"&nbsp;s") {
			t.Errorf("Refresh %v: footer does not say %s s", c.refresh, c.want)
		}
	}
	for _, bad := range []time.Duration{-time.Second, time.Millisecond, 999 * time.Millisecond} {
		err := router.Install(chi.NewRouter(), "/", router.Config{Monitor: m, Telemetry: newTelemetry(t), Status: router.StatusInfo{Refresh: bad}})
		if err == nil {
			t.Errorf("Refresh %v: Install succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), "Config.Status.Refresh") || !strings.Contains(err.Error(), bad.String()) {
			t.Errorf("Refresh %v: error %q does not name the field and value", bad, err)
		}
	}
}
