package metrics

import (
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage"
)

// Buckets of the histograms, in seconds.
var (
	// PublishBuckets span a Redis round trip on one machine (0.1 ms) to a
	// publish that waited for slow clients (LocalBroker delivers in
	// Publish, up to realtime's SlowTimeout per client).
	PublishBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	// TickBuckets span a tick for a few players to one for millions.
	TickBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	// HTTPBuckets are Prometheus's defaults with two below them: gamekit's
	// API answers from a local database in about a millisecond.
	HTTPBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// Metrics are one process's gamekit metrics on a prometheus.Registerer.
// Its methods are safe to call from any goroutine.
type Metrics struct {
	reg           prometheus.Registerer
	publish       prometheus.Histogram
	publishFailed prometheus.Counter
	ticks         *prometheus.HistogramVec
	requests      requests

	mu     sync.Mutex
	hub    bool
	broker bool
	gifts  *giftsCollector // registered by the first CollectGifts
}

// New registers the metrics that need no source (transaction retries,
// and the histograms the hooks fill) on reg, and returns them for the
// rest of the wiring (see the package documentation).
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: New needs a prometheus.Registerer")
	}
	m := &Metrics{
		reg: reg,
		publish: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "gamekit", Subsystem: "realtime", Name: "publish_duration_seconds",
			Help:    "How long the hub's calls to its broker's Publish took (with the in-process broker, local delivery included).",
			Buckets: PublishBuckets,
		}),
		publishFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "gamekit", Subsystem: "realtime", Name: "publish_failures_total",
			Help: "Publishes the broker refused or failed.",
		}),
		ticks: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gamekit", Subsystem: "gifts", Name: "tick_duration_seconds",
			Help:    "How long the gift ticks this process completed took, lease bookkeeping and events included.",
			Buckets: TickBuckets,
		}, []string{"schedule"}),
		requests: requests{vec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "gamekit", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP requests by method, route pattern and status code: the time to answer (to upgrade, for websockets).",
			Buckets: HTTPBuckets,
		}, []string{"method", "route", "code"})},
	}
	retries := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "gamekit", Subsystem: "storage", Name: "transaction_retries_total",
		Help: "Transactions storage.RunInTx ran again because the database aborted them for a concurrent one.",
	}, func() float64 { return float64(storage.Retries()) })
	for _, c := range []prometheus.Collector{m.publish, m.publishFailed, m.ticks, m.requests.vec, retries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// ObservePublish records one publish: set it as realtime.Options'
// ObservePublish.
func (m *Metrics) ObservePublish(d time.Duration, err error) {
	m.publish.Observe(d.Seconds())
	if err != nil {
		m.publishFailed.Inc()
	}
}

// ObserveTick records one gift tick: set it as gifts.Options' OnTick.
func (m *Metrics) ObserveTick(s gifts.Stats) {
	m.ticks.WithLabelValues(s.Schedule).Observe(s.Duration.Seconds())
}

// CollectHub registers the hub's figures, read from its Stats at every
// scrape. One hub per Metrics: a process serves one.
func (m *Metrics) CollectHub(h *realtime.Hub) error {
	if h == nil {
		return errors.New("metrics: CollectHub needs a hub")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hub {
		return errors.New("metrics: a hub is collected already")
	}
	if err := m.reg.Register(&hubCollector{hub: h}); err != nil {
		return err
	}
	m.hub = true
	return nil
}

// BrokerStats are the counters of a broker on a shared service, as
// realtime/redisbroker's Broker.Stats reports them. (This package does
// not import the Redis broker, so that a host without Redis does not
// link its client.)
type BrokerStats struct {
	// Reconnects counts the times the broker's connection to its service
	// was lost and made again.
	Reconnects int64
	// Overflows counts the messages a hub's queue had no room for.
	Overflows int64
}

// CollectBroker registers a broker's counters, read by stats at every
// scrape. For the Redis broker:
//
//	m.CollectBroker(func() metrics.BrokerStats {
//		s := broker.Stats()
//		return metrics.BrokerStats{Reconnects: s.Reconnects, Overflows: s.Overflows}
//	})
func (m *Metrics) CollectBroker(stats func() BrokerStats) error {
	if stats == nil {
		return errors.New("metrics: CollectBroker needs a stats function")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broker {
		return errors.New("metrics: a broker is collected already")
	}
	if err := m.reg.Register(brokerCollector(stats)); err != nil {
		return err
	}
	m.broker = true
	return nil
}

// CollectGifts registers schedulers' figures, read from their Stats at
// every scrape and labelled with their schedule's name, which must differ
// between the schedulers of one process. It may be called again with
// more schedulers.
func (m *Metrics) CollectGifts(schedulers ...*gifts.Scheduler) error {
	for _, s := range schedulers {
		if s == nil {
			return errors.New("metrics: CollectGifts needs schedulers, not nil")
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gifts == nil {
		c := &giftsCollector{}
		if err := m.reg.Register(c); err != nil {
			return err
		}
		m.gifts = c
	}
	m.gifts.add(schedulers)
	return nil
}
