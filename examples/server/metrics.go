package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/metrics"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/realtime/redisbroker"
)

// serverMetrics are the server's Prometheus metrics: gamekit's, Go's
// runtime and the process's. They are off unless -metrics-addr is set,
// and then served at /metrics on that address only, a listener of their
// own that the game's clients never reach: metrics tell anyone who reads
// them how many players are on and how the server struggles, so they go
// to the operator's scraper (a private address such as 127.0.0.1:9090,
// or a private network), not to the internet. A nil *serverMetrics is
// metrics off: every method then changes nothing.
type serverMetrics struct {
	reg *prometheus.Registry
	m   *metrics.Metrics
}

// newServerMetrics registers the metrics when addr is set.
func newServerMetrics(addr string) (*serverMetrics, error) {
	if addr == "" {
		return nil, nil
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	m, err := metrics.New(reg)
	if err != nil {
		return nil, err
	}
	return &serverMetrics{reg: reg, m: m}, nil
}

// observePublish is realtime.Options.ObservePublish.
func (sm *serverMetrics) observePublish() func(time.Duration, error) {
	if sm == nil {
		return nil
	}
	return sm.m.ObservePublish
}

// onTick is gifts.Options.OnTick.
func (sm *serverMetrics) onTick() func(gifts.Stats) {
	if sm == nil {
		return nil
	}
	return sm.m.ObserveTick
}

// collect reads the hub's, the Redis broker's (nil without -redis) and the
// scheduler's (nil when gifts are off) figures at every scrape.
func (sm *serverMetrics) collect(hub *realtime.Hub, broker *redisbroker.Broker, sched *gifts.Scheduler) error {
	if sm == nil {
		return nil
	}
	if err := sm.m.CollectHub(hub); err != nil {
		return err
	}
	if broker != nil {
		err := sm.m.CollectBroker(func() metrics.BrokerStats {
			s := broker.Stats()
			return metrics.BrokerStats{Reconnects: s.Reconnects, Overflows: s.Overflows}
		})
		if err != nil {
			return err
		}
	}
	if sched != nil {
		return sm.m.CollectGifts(sched)
	}
	return nil
}

// instrument counts and times the requests of the whole site (auth, a
// middleware that replaces the request, around mux), under the pattern
// mux routed each by.
func (sm *serverMetrics) instrument(auth func(http.Handler) http.Handler, mux *http.ServeMux) http.Handler {
	if sm == nil {
		return auth(mux)
	}
	return sm.m.HTTP(auth(metrics.Routed(mux)))
}

// listen serves /metrics on addr until stop is called.
func (sm *serverMetrics) listen(addr string, logger *slog.Logger) (stop func(), err error) {
	if sm == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(sm.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener failed", "error", err)
		}
	}()
	logger.Info("metrics on", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		// A scrape in flight is cut short: Prometheus tries again.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}, nil
}
