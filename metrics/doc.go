// Package metrics exposes a gamekit server's figures to Prometheus: what
// an operator of one process, or of a cluster of them, watches and alerts
// on. It is the only gamekit package that links
// github.com/prometheus/client_golang; a host that does not import it
// carries none of it.
//
// # Wiring
//
// New registers the metrics on a prometheus.Registerer. The figures that
// the packages count anyway (clients, deliveries, disconnects, recovery,
// users granted, lease changes, transaction retries) are read from their
// Stats when Prometheus scrapes, so serving costs nothing more; the
// histograms that need every event (broker publish latency, gift tick
// duration, HTTP latency) get them from a hook in the package's Options
// or from the HTTP middleware:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	hub, err := realtime.New(&realtime.Options{ObservePublish: m.ObservePublish})
//	err = m.CollectHub(hub)
//	sched, err := gifts.New(db, store, &gifts.Options{OnTick: m.ObserveTick})
//	err = m.CollectGifts(sched)
//	handler := m.HTTP(auth(metrics.Routed(mux)))
//	// serve promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) where only
//	// your scraper reaches it
//
// # HTTP requests
//
// HTTP labels each request with the ServeMux pattern it matched, never
// its path, so that /api/items/1/ and /api/items/2/ are one series and a
// client cannot grow the series without bound by asking for paths. A
// ServeMux sets Request.Pattern on the request it is given; middleware
// between HTTP and the mux that replaces the request (authentication adds
// an identity with r.WithContext) hides it from HTTP, so wrap the mux in
// Routed. Routed reaches HTTP through the ResponseWriter it is handed:
// middleware between them that wraps the writer must let
// http.ResponseController unwrap it (an Unwrap method), as a websocket
// upgrade through it needs anyway. For a rest.API registered on the mux
// the label is the collection's pattern ("/api/items/"), which the API's
// own mux sets.
//
// Per request, HTTP costs one small allocation (its ResponseWriter) and a
// lookup of the request's histogram in a map read without a lock.
//
// # Exposure
//
// Metrics say how many players are on, what the server does and when it
// struggles: serve them to your scraper, not to the internet (a listener
// on a private address, or behind the host's admin authentication). The
// example server serves them only when -metrics-addr is set, on a
// listener of their own.
//
// # Metric names
//
// Every metric is named gamekit_<package>_...:
//
//	gamekit_realtime_clients                        gauge: open websocket connections
//	gamekit_realtime_channels                       gauge: channels with subscribers here
//	gamekit_realtime_subscriptions                  gauge: open subscriptions (client × channel)
//	gamekit_realtime_deliveries_total               counter: messages queued to clients
//	gamekit_realtime_disconnects_total{reason}      counter: clients closed, reason "slow" (send buffer
//	                                                full past SlowTimeout) or "flood" (over the rate)
//	gamekit_realtime_refused_connections_total      counter: upgrades refused over the connection caps
//	gamekit_realtime_recoveries_total{outcome}      counter: "recovered" and "unrecovered" resubscribes
//	                                                with since; "lost": gaps the hub could not fill and
//	                                                told clients of with a lost notice
//	gamekit_realtime_publish_duration_seconds       histogram: the hub's calls to its Broker's Publish
//	gamekit_realtime_publish_failures_total         counter: of those, the ones that failed
//	gamekit_realtime_broker_reconnects_total        counter: the broker's service connection made again
//	gamekit_realtime_broker_overflows_total         counter: messages a hub's queue had no room for
//	gamekit_gifts_tick_duration_seconds{schedule}   histogram: ticks this process completed
//	gamekit_gifts_users_granted_total{schedule}     counter: users those ticks served
//	gamekit_gifts_leader{schedule}                  gauge: 1 while this process holds the lease
//	gamekit_gifts_lease_changes_total{schedule,change}  counter: change "gained" or "lost"
//	gamekit_gifts_last_tick_timestamp_seconds{schedule} gauge: when this process last completed a tick
//	gamekit_storage_transaction_retries_total       counter: transactions run again after a conflict
//	gamekit_http_request_duration_seconds{method,route,code}  histogram: HTTP requests
//
// The counters count from the process's start (the gifts ones from the
// scheduler's), as Prometheus expects; sum them over processes for the
// cluster.
package metrics
