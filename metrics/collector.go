package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/realtime"
)

func desc(subsystem, name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName("gamekit", subsystem, name), help, labels, nil)
}

var (
	hubClients       = desc("realtime", "clients", "Websocket connections open now.")
	hubChannels      = desc("realtime", "channels", "Channels with subscribers on this process now.")
	hubSubscriptions = desc("realtime", "subscriptions", "Subscriptions open now: a client subscribed to three channels holds three.")
	hubDeliveries    = desc("realtime", "deliveries_total", "Messages queued to clients.")
	hubDisconnects   = desc("realtime", "disconnects_total",
		`Clients the hub closed: reason "slow" could not keep up (CloseSlowConsumer), "flood" kept sending over its rate (ClosePolicyViolation).`, "reason")
	hubRefused    = desc("realtime", "refused_connections_total", "Websocket upgrades refused with 429, over the connections allowed per user or per address.")
	hubRecoveries = desc("realtime", "recoveries_total",
		`Resubscribes with "since" answered "recovered" (missed events sent) or "unrecovered" (the client reloads), and "lost": gaps the hub could not fill from history and told clients of.`, "outcome")
)

// hubCollector reads a hub's Stats at every scrape.
type hubCollector struct{ hub *realtime.Hub }

func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{hubClients, hubChannels, hubSubscriptions, hubDeliveries, hubDisconnects, hubRefused, hubRecoveries} {
		ch <- d
	}
}

func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.hub.Stats()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(hubClients, s.Clients)
	gauge(hubChannels, s.Channels)
	gauge(hubSubscriptions, s.Subscriptions)
	counter(hubDeliveries, s.Delivered)
	counter(hubDisconnects, s.SlowDisconnects, "slow")
	counter(hubDisconnects, s.FloodDisconnects, "flood")
	counter(hubRefused, s.RefusedConnections)
	counter(hubRecoveries, s.Recovered, "recovered")
	counter(hubRecoveries, s.Unrecovered, "unrecovered")
	counter(hubRecoveries, s.Lost, "lost")
}

var (
	brokerReconnects = desc("realtime", "broker_reconnects_total", "Times the broker's connection to its service was lost and made again; each time the hubs caught up from history.")
	brokerOverflows  = desc("realtime", "broker_overflows_total", "Messages a hub's queue in the broker had no room for; each time that hub caught the channel up from history.")
)

// brokerCollector reads a broker's counters at every scrape.
type brokerCollector func() BrokerStats

func (c brokerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- brokerReconnects
	ch <- brokerOverflows
}

func (c brokerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(brokerReconnects, prometheus.CounterValue, float64(s.Reconnects))
	ch <- prometheus.MustNewConstMetric(brokerOverflows, prometheus.CounterValue, float64(s.Overflows))
}

var (
	giftsUsers    = desc("gifts", "users_granted_total", "Users served by the gift ticks this process completed.", "schedule")
	giftsLeader   = desc("gifts", "leader", "1 while this process holds the schedule's lease (grants its ticks), else 0.", "schedule")
	giftsLease    = desc("gifts", "lease_changes_total", `Times this process "gained" the schedule's lease or "lost" it (expired, taken, or released by Stop).`, "schedule", "change")
	giftsLastTick = desc("gifts", "last_tick_timestamp_seconds", "When this process last completed a tick of the schedule, in Unix seconds; absent before its first.", "schedule")
)

// giftsCollector reads schedulers' Stats at every scrape.
type giftsCollector struct {
	mu         sync.Mutex
	schedulers []*gifts.Scheduler
}

func (c *giftsCollector) add(s []*gifts.Scheduler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.schedulers = append(c.schedulers, s...)
}

func (c *giftsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- giftsUsers
	ch <- giftsLeader
	ch <- giftsLease
	ch <- giftsLastTick
}

func (c *giftsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	schedulers := c.schedulers
	c.mu.Unlock()
	for _, sched := range schedulers {
		s := sched.Stats()
		leader := 0.0
		if s.Leader {
			leader = 1
		}
		ch <- prometheus.MustNewConstMetric(giftsUsers, prometheus.CounterValue, float64(s.UsersServed), s.Schedule)
		ch <- prometheus.MustNewConstMetric(giftsLeader, prometheus.GaugeValue, leader, s.Schedule)
		ch <- prometheus.MustNewConstMetric(giftsLease, prometheus.CounterValue, float64(s.LeaseTaken), s.Schedule, "gained")
		ch <- prometheus.MustNewConstMetric(giftsLease, prometheus.CounterValue, float64(s.LeaseLost), s.Schedule, "lost")
		if !s.Finished.IsZero() {
			ch <- prometheus.MustNewConstMetric(giftsLastTick, prometheus.GaugeValue, float64(s.Finished.UnixNano())/1e9, s.Schedule)
		}
	}
}
