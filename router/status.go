package router

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/telediag/telediag/probes"
)

// DefaultStatusRefresh is how often the /status page reloads itself unless
// StatusInfo.Refresh says otherwise: Teleport's heartbeat period, so that
// the page is never more than one heartbeat behind.
const DefaultStatusRefresh = 5 * time.Second

// StatusInfo is what the /status page says about the process besides the
// Monitor's readiness and the Go version it runs on. Every field is
// optional.
type StatusInfo struct {
	// Service names the process in the page's title and heading. Empty
	// means Config.Telemetry's service name.
	Service string
	// Version is the release version, as on teleport_build_info. Empty
	// means "unknown".
	Version string
	// GitRef is the source revision the binary was built from. Empty means
	// "unknown".
	GitRef string
	// Started is when the process started; the page shows the uptime since
	// then. Zero means the time Install was called.
	Started time.Time
	// Refresh is how often the page reloads itself (a meta refresh, no
	// script). Zero means DefaultStatusRefresh. It is rounded up to whole
	// seconds, as browsers read only those; below one second Install fails,
	// because a page that reloads faster than a person reads is a load, not
	// a view.
	Refresh time.Duration
}

//go:embed status.html
var statusHTML string

// statusCSS is the page's only style, inline: the page loads nothing else.
//
//go:embed status.css
var statusCSS string

var statusTemplate = template.Must(template.New("status.html").Parse(statusHTML))

// statusCSP forbids everything but the page's own stylesheet, named by its
// hash: no script runs on the page even if a value ever escaped html/template's
// escaping, and no request leaves for another origin. Framing is allowed
// from the same origin only.
var statusCSP = func() string {
	sum := sha256.Sum256([]byte(statusCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
}()

// statusPage serves /status.
type statusPage struct {
	monitor        *probes.Monitor
	info           StatusInfo // defaults filled in
	goVersion      string
	refreshSeconds int
	livez, debug   bool
	pid            int
	now            func() time.Time
	log            *slog.Logger
}

// newStatusPage checks info and fills in its defaults; service is the telemetry pipeline's.
func newStatusPage(m *probes.Monitor, info StatusInfo, service string, livez, debug bool, log *slog.Logger) (*statusPage, error) {
	switch {
	case info.Refresh == 0:
		info.Refresh = DefaultStatusRefresh
	case info.Refresh < time.Second:
		return nil, fmt.Errorf("status page refresh %v is below 1s (Config.Status.Refresh; 0 means the default %v)", info.Refresh, DefaultStatusRefresh)
	}
	if info.Service == "" {
		info.Service = service
	}
	if info.Version == "" {
		info.Version = "unknown"
	}
	if info.GitRef == "" {
		info.GitRef = "unknown"
	}
	if info.Started.IsZero() {
		info.Started = time.Now()
	}
	secs := (info.Refresh + time.Second - 1) / time.Second // round up
	return &statusPage{
		monitor: m, info: info, goVersion: runtime.Version(), refreshSeconds: int(secs), livez: livez, debug: debug,
		pid: os.Getpid(), now: time.Now, log: log,
	}, nil
}

// statusData is what the template renders. Every string in it goes
// through html/template's contextual escaping; only CSS is trusted, and it
// is the embedded stylesheet.
type statusData struct {
	Service, Version, GitRef, GoVersion string
	State, StateClass, Status           string
	Code                                int
	ShuttingDown                        bool
	Uptime, StartedRFC, StartedText     string
	NowRFC, NowText                     string
	PID                                 int
	Components                          []componentRow
	Livez, Debug                        bool
	RefreshSeconds                      int
	CSS                                 template.CSS
}

type componentRow struct {
	Name, State, StateClass string
	SinceRFC, SinceText     string
	For                     string
	LastError               string
}

func (p *statusPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rd := p.monitor.Readiness()
	now := p.now()
	d := statusData{
		Service: p.info.Service, Version: p.info.Version, GitRef: p.info.GitRef, GoVersion: p.goVersion,
		State: rd.State.String(), StateClass: stateClass(rd.State), Status: rd.Status, Code: rd.Code,
		ShuttingDown: rd.ShuttingDown,
		Uptime:       humanDuration(now.Sub(p.info.Started)),
		StartedRFC:   p.info.Started.UTC().Format(time.RFC3339), StartedText: wallTime(p.info.Started),
		NowRFC: now.UTC().Format(time.RFC3339), NowText: wallTime(now),
		PID:        p.pid,
		Components: make([]componentRow, 0, len(rd.Components)),
		Livez:      p.livez, Debug: p.debug,
		RefreshSeconds: p.refreshSeconds,
		CSS:            template.CSS(statusCSS),
	}
	for _, c := range rd.Components {
		d.Components = append(d.Components, componentRow{
			Name: c.Name, State: c.State.String(), StateClass: stateClass(c.State),
			SinceRFC: c.Since.UTC().Format(time.RFC3339), SinceText: wallTime(c.Since),
			For:       humanDuration(now.Sub(c.Since)),
			LastError: c.LastError,
		})
	}
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, d); err != nil {
		// Only a bug in the template gets here; say so rather than serve half a page.
		p.log.Error("router: rendering /status failed", "error", err)
		http.Error(w, "router: rendering /status failed; see the process log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", statusCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// 200 whatever the readiness: the page is for people and their browsers,
	// and says the /readyz code in its body; probes use /readyz.
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes()) // the client went away: nothing useful to do
	}
}

// stateClass is the CSS class that colours a state.
func stateClass(s probes.State) string {
	switch s {
	case probes.StateOK, probes.StateRecovering, probes.StateDegraded, probes.StateStarting:
		return "st-" + s.String()
	default:
		return "st-unknown"
	}
}

// wallTime formats t for people, in UTC so that everyone reading the page
// (and the logs beside it) sees the same clock.
func wallTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// humanDuration renders d with its two largest units, which is as precise
// as a page that reloads every few seconds can usefully be: "42s", "5m 3s",
// "3h 5m", "2d 3h". A negative d (a clock stepped back) counts as 0s.
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	days, hours, mins, secs := s/86400, s/3600%24, s/60%60, s%60
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm %ds", mins, secs)
	default:
		return fmt.Sprintf("%ds", secs)
	}
}
