package gifts

import (
	"fmt"
	"strconv"
	"time"
)

// Schedule says when ticks fire, for a rhythm an interval cannot express
// (every day at 18:00, every hour on the hour in a time zone). A scheduler
// numbers such ticks by the Unix second they fire in, so a Schedule fires at
// most once a second: times within one second are one tick.
type Schedule interface {
	// Next returns the first time after t at which a tick fires. It must
	// be after t.
	Next(t time.Time) time.Time
}

// Key is the grant key of tick n of the named schedule,
// "gifts:NAME:N". Every gift of that tick carries it (inventory keeps it
// on the item with the recipient, under a unique index), which is what
// makes a tick given at most once per user, whoever runs it and however
// often.
func Key(name string, tick int64) string {
	return "gifts:" + name + ":" + strconv.FormatInt(tick, 10)
}

// tick is one firing of a schedule: its number and when it fires. at is
// exact for an interval; for a Schedule it is the start of the second the
// tick fires in, fire the time Next gave (the timer waits for fire).
type tick struct {
	n        int64
	at, fire time.Time
}

// maxScheduleSteps bounds the calls to a Schedule's Next that find one
// tick: one a second, for more than a day.
const maxScheduleSteps = 100_000

// clock numbers ticks: either every interval of Unix time (tick n covers
// [n*interval, (n+1)*interval)) or by a Schedule.
type clock struct {
	interval time.Duration
	schedule Schedule
}

// after returns the first tick firing after t.
func (c clock) after(t time.Time) (tick, error) {
	if c.schedule == nil {
		d := int64(c.interval)
		n := floorDiv(t.UnixNano(), d) + 1
		at := time.Unix(0, n*d).UTC()
		return tick{n: n, at: at, fire: at}, nil
	}
	sec := t.Unix()
	next := t
	for range maxScheduleSteps {
		fire := c.schedule.Next(next)
		if !fire.After(next) {
			return tick{}, fmt.Errorf("gifts: schedule's Next(%v) = %v is not after it", next, fire)
		}
		if n := fire.Unix(); n > sec {
			return tick{n: n, at: time.Unix(n, 0).UTC(), fire: fire}, nil
		}
		next = fire
	}
	return tick{}, fmt.Errorf("gifts: schedule's Next fired more than %d times within the second of %v", maxScheduleSteps, t)
}

// outage is a time when no scheduler ran, from the last sign of life of
// one to the first of the next, by the schedulers' clocks; the zero value
// is none.
type outage struct{ from, to time.Time }

// covers reports whether a tick firing at fire fired during the outage.
func (o outage) covers(fire time.Time) bool {
	return !o.to.IsZero() && fire.After(o.from) && fire.Before(o.to)
}

// due returns the ticks to grant when the last tick done (or skipped)
// fired at last and the time is now, oldest first: every tick firing in
// (last, now] except those that fired during out, of which only the
// latest catchUp are granted. The current tick, the latest, is granted in
// any case. missed is how many ticks before the current one fired during
// out, granted late or not.
func (c clock) due(last, now time.Time, out outage, catchUp int) (ticks []tick, missed int64, err error) {
	if !now.After(last) {
		return nil, 0, nil
	}
	first, err := c.after(last)
	if err != nil || first.fire.After(now) {
		return nil, 0, err
	}
	if c.schedule == nil {
		d := int64(c.interval)
		current := floorDiv(now.UnixNano(), d)
		// Ticks skipFrom..skipTo fired during the outage and are not
		// granted late: all but the latest catchUp of those it covers.
		skipFrom, skipTo := int64(1), int64(0)
		if !out.to.IsZero() {
			o1 := max(floorDiv(out.from.UnixNano(), d)+1, first.n)
			o2 := min(floorDiv(out.to.UnixNano()-1, d), current-1)
			if o1 <= o2 {
				missed = o2 - o1 + 1
				skipFrom, skipTo = o1, o2-min(missed, int64(catchUp))
			}
		}
		for n := first.n; n <= current; n++ {
			if n == skipFrom && skipFrom <= skipTo {
				n = skipTo
				continue
			}
			at := time.Unix(0, n*d).UTC()
			ticks = append(ticks, tick{n: n, at: at, fire: at})
		}
		return ticks, missed, nil
	}
	// Walk the schedule from last, keeping every tick but those during the
	// outage, of which the latest catchUp wait in late until a later tick
	// is kept.
	var late []tick
	for t := first; ; {
		next, err := c.after(t.fire)
		if err != nil {
			return nil, 0, err
		}
		current := next.fire.After(now)
		if !current && out.covers(t.fire) {
			missed++
			if catchUp > 0 {
				if len(late) == catchUp {
					late = append(late[:0], late[1:]...)
				}
				late = append(late, t)
			}
		} else {
			ticks = append(append(ticks, late...), t)
			late = late[:0]
		}
		if current {
			return ticks, missed, nil
		}
		t = next
	}
}

// floorDiv is a / b rounded down, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
