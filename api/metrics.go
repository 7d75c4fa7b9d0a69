package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/store"
)

// metrics is the Prometheus registry of one server. A registry per server (not the global one)
// keeps tests that build several servers independent.
type metrics struct {
	reg      *prometheus.Registry
	serve    gin.HandlerFunc
	requests *prometheus.CounterVec
	problems *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// newMetrics builds the registry; pool, if not nil, reads the database pool's statistics.
func newMetrics(pool func() store.PoolStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisd_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		problems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gisd_http_problems_total",
			Help: "Error answers by route, status and problem type (the error table's, as the client got it).",
		}, []string{"route", "status", "type"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gisd_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.problems, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(poolCollector{pool})
	}
	m.serve = m.handler()
	return m
}

// observe counts a served request; problem is the problem type it was answered with, if any.
func (m *metrics) observe(method, route string, status int, problem string, d time.Duration) {
	m.requests.WithLabelValues(method, route, itoa(status)).Inc()
	if problem != "" {
		m.problems.WithLabelValues(route, itoa(status), problem).Inc()
	}
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

func (m *metrics) handler() gin.HandlerFunc {
	return gin.WrapH(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// poolCollector exports the database pool's statistics at scrape time.
type poolCollector struct{ stats func() store.PoolStats }

var (
	poolMax      = prometheus.NewDesc("gisd_db_pool_max_conns", "Maximum connections in the pool.", nil, nil)
	poolTotal    = prometheus.NewDesc("gisd_db_pool_conns", "Connections in the pool.", nil, nil)
	poolIdle     = prometheus.NewDesc("gisd_db_pool_idle_conns", "Idle connections.", nil, nil)
	poolInUse    = prometheus.NewDesc("gisd_db_pool_acquired_conns", "Connections in use.", nil, nil)
	poolAcquires = prometheus.NewDesc("gisd_db_pool_acquires_total", "Successful acquires.", nil, nil)
	poolWait     = prometheus.NewDesc("gisd_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", nil, nil)
	poolEmpty    = prometheus.NewDesc("gisd_db_pool_empty_acquires_total", "Acquires that had to wait.", nil, nil)
)

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolMax, poolTotal, poolIdle, poolInUse, poolAcquires, poolWait, poolEmpty} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.stats()
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns))
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.TotalConns))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.AcquiredConns))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(poolEmpty, prometheus.CounterValue, float64(s.EmptyAcquireCount))
}
