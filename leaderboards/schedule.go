package leaderboards

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// A schedule says when a board's periods begin. Every period is numbered by
// the Unix second it starts at, computed from the clock alone, so every
// server process agrees on the current period without talking to the
// others, and a reset is only the next number coming up: no job runs, and
// nothing can run twice.
type schedule interface {
	// start returns the beginning of the period holding t: the latest
	// reset at or before t.
	start(t time.Time) time.Time
	// next returns the first reset after t, or the zero time for a board
	// that never resets.
	next(t time.Time) time.Time
}

// never is the schedule of a board that keeps one period, numbered 0,
// unless an admin resets it by hand.
type never struct{}

func (never) start(time.Time) time.Time { return time.Unix(0, 0).UTC() }
func (never) next(time.Time) time.Time  { return time.Time{} }

// every resets each d since the Unix epoch: every 24h resets at midnight
// UTC, every 1h on the hour.
type every struct{ d time.Duration }

func (e every) start(t time.Time) time.Time {
	sec := t.Unix()
	d := int64(e.d / time.Second)
	n := sec / d
	if sec%d < 0 {
		n-- // floor, for times before 1970
	}
	return time.Unix(n*d, 0).UTC()
}

func (e every) next(t time.Time) time.Time { return e.start(t).Add(e.d) }

// maxSearchDays bounds how far a cron schedule looks for its previous or
// next reset: eight years, enough for "0 0 29 2 1" (a leap day that falls
// on a Monday) to be found in the usual case.
const maxSearchDays = 8 * 366

// cron is a standard five-field schedule, evaluated in UTC: minute (0-59),
// hour (0-23), day of month (1-31), month (1-12), day of week (0-7, 0 and
// 7 Sunday). Each field is "*" or a comma-separated list of n, a-b, */s or
// a-b/s. As in Vixie cron, when both day fields are restricted a day
// matching either one matches.
type cron struct {
	minute, hour, dom, month, dow uint64 // bit n set: value n matches
	domStar, dowStar              bool
}

func (c *cron) day(t time.Time) bool {
	if c.month&(1<<uint(t.Month())) == 0 {
		return false
	}
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if c.domStar || c.dowStar {
		return dom && dow
	}
	return dom || dow
}

func (c *cron) start(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for i := 0; i < maxSearchDays; i++ {
		if c.day(day) {
			h, m := 23, 59
			if i == 0 {
				h, m = t.Hour(), t.Minute()
			}
			if hh, mm, ok := latest(c.hour, c.minute, h, m); ok {
				return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
			}
		}
		day = day.AddDate(0, 0, -1)
	}
	return time.Unix(0, 0).UTC() // never fired in the window: one long period
}

func (c *cron) next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for i := 0; i < maxSearchDays; i++ {
		if c.day(day) {
			h, m := 0, 0
			if i == 0 {
				h, m = t.Hour(), t.Minute()
			}
			if hh, mm, ok := earliest(c.hour, c.minute, h, m); ok {
				return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// latest finds the latest (hour, minute) in the sets at or before (h, m).
func latest(hours, minutes uint64, h, m int) (int, int, bool) {
	for ; h >= 0; h, m = h-1, 59 {
		if hours&(1<<uint(h)) == 0 {
			continue
		}
		if mm := highest(minutes & (1<<uint(m+1) - 1)); mm >= 0 {
			return h, mm, true
		}
	}
	return 0, 0, false
}

// earliest finds the earliest (hour, minute) in the sets at or after (h, m).
func earliest(hours, minutes uint64, h, m int) (int, int, bool) {
	for ; h < 24; h, m = h+1, 0 {
		if hours&(1<<uint(h)) == 0 {
			continue
		}
		if rest := minutes &^ (1<<uint(m) - 1); rest != 0 {
			return h, bits.TrailingZeros64(rest), true
		}
	}
	return 0, 0, false
}

func highest(set uint64) int { return 63 - bits.LeadingZeros64(set) }

// The named schedules, as cron spells them.
var named = map[string]string{
	"@hourly":  "0 * * * *",
	"@daily":   "0 0 * * *",
	"@weekly":  "0 0 * * 0",
	"@monthly": "0 0 1 * *",
	"@yearly":  "0 0 1 1 *",
}

// parseSchedule reads a board's Reset: "" (never), "every D" (a Go
// duration of whole seconds, at least a second: "every 24h", "every 90m"),
// "@hourly", "@daily", "@weekly", "@monthly", "@yearly", or five cron
// fields.
func parseSchedule(s string) (schedule, error) {
	if s == "" {
		return never{}, nil
	}
	if d, ok := strings.CutPrefix(s, "every "); ok {
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || dur < time.Second || dur%time.Second != 0 {
			return nil, fmt.Errorf("%q: want every and a duration of whole seconds, at least 1s, such as every 24h", s)
		}
		return every{dur}, nil
	}
	if spec, ok := named[s]; ok {
		s = spec
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return nil, fmt.Errorf("%q: want \"\", every D, @daily, @weekly, @monthly, @yearly, @hourly or five cron fields", s)
	}
	c := &cron{domStar: fields[2] == "*", dowStar: fields[4] == "*"}
	for i, f := range []struct {
		set      *uint64
		name     string
		min, max int
	}{{&c.minute, "minute", 0, 59}, {&c.hour, "hour", 0, 23}, {&c.dom, "day of month", 1, 31},
		{&c.month, "month", 1, 12}, {&c.dow, "day of week", 0, 7}} {
		set, err := parseField(fields[i], f.min, f.max)
		if err != nil {
			return nil, fmt.Errorf("%q: %s: %v", s, f.name, err)
		}
		*f.set = set
	}
	if c.dow&(1<<7) != 0 {
		c.dow |= 1 // 7 is Sunday too
	}
	if c.next(time.Unix(0, 0)).IsZero() && c.next(time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("%q: never matches a day", s)
	}
	return c, nil
}

// parseField reads one cron field into a set of values within [lo, hi].
func parseField(f string, lo, hi int) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(f, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > hi {
				return 0, fmt.Errorf("bad step %q", stepText)
			}
			step = n
		}
		from, to := lo, hi
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if from, err = strconv.Atoi(a); err != nil {
				return 0, fmt.Errorf("bad value %q", a)
			}
			to = from
			if isRange {
				if to, err = strconv.Atoi(b); err != nil {
					return 0, fmt.Errorf("bad value %q", b)
				}
			} else if hasStep {
				to = hi // n/s: from n to the end, as cron reads it
			}
		}
		if from < lo || to > hi || from > to {
			return 0, fmt.Errorf("%q is outside %d-%d", item, lo, hi)
		}
		for v := from; v <= to; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}
