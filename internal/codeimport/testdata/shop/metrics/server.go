package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Server holds metrics registered on a registry of its own.
type Server struct {
	queueDepth *prometheus.GaugeVec
	jobs       prometheus.Counter
	load       prometheus.Gauge
}

// NewServer registers the server's metrics on reg.
func NewServer(reg prometheus.Registerer) *Server {
	f := promauto.With(reg)
	return &Server{
		queueDepth: f.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_depth", Help: "Jobs waiting."}, []string{"queue", "priority"}),
		jobs:       promauto.With(reg).NewCounter(prometheus.CounterOpts{Name: "shop_jobs_total", Help: "Jobs done."}),
		load:       promauto.With(reg).NewGauge(prometheus.GaugeOpts{Name: "shop_load_ratio", Help: "Load."}),
	}
}

// Enqueue adds a job.
func (s *Server) Enqueue(queue, priority string) {
	s.queueDepth.WithLabelValues(queue, priority).Add(1)
}

// Done finishes one.
func (s *Server) Done(queue, priority string, work float64) {
	g := s.queueDepth.WithLabelValues(queue, priority)
	g.Sub(1)
	s.jobs.Add(0.5)
	track(s.load)
}

// track moves the gauge it is given up and down: the gauge passed is an up-down counter.
func track(g prometheus.Gauge) {
	g.Inc()
	defer g.Dec()
}
