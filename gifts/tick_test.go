package gifts

import (
	"fmt"
	"testing"
	"time"
)

// minuteAt30 fires every minute at second 30, and once more 200ms later,
// which is the same second and so the same tick.
type minuteAt30 struct{}

func (minuteAt30) Next(t time.Time) time.Time {
	at := t.Truncate(time.Minute).Add(30 * time.Second)
	if t.Before(at) {
		return at
	}
	if t.Before(at.Add(200 * time.Millisecond)) {
		return at.Add(200 * time.Millisecond)
	}
	return at.Add(time.Minute)
}

// stuck never moves on.
type stuck struct{}

func (stuck) Next(t time.Time) time.Time { return t }

var base = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func ticks(list []tick) string {
	s := ""
	for _, t := range list {
		s += fmt.Sprintf("%d@%s ", t.n, t.at.Sub(base))
	}
	return s
}

func TestDue(t *testing.T) {
	every10 := clock{interval: 10 * time.Second}
	at30 := clock{schedule: minuteAt30{}}
	n0 := base.Unix() / 10                     // the 10s tick firing at base
	s0 := base.Unix()                          // the second of base
	type span struct{ from, to time.Duration } // an outage, after base
	none := span{}
	tests := []struct {
		name      string
		c         clock
		last, now time.Duration // after base
		catchUp   int
		out       span
		want      string
		missed    int64
	}{
		{"on time", every10, 0, 10 * time.Second, 0, none, fmt.Sprintf("%d@10s ", n0+1), 0},
		{"nothing yet", every10, 0, 9999 * time.Millisecond, 0, none, "", 0},
		{"same tick", every10, 10 * time.Second, 19 * time.Second, 0, none, "", 0},
		{"late", every10, 0, 19 * time.Second, 0, none, fmt.Sprintf("%d@10s ", n0+1), 0},
		{"late while running", every10, 0, 45 * time.Second, 0, none, fmt.Sprintf("%d@10s %d@20s %d@30s %d@40s ", n0+1, n0+2, n0+3, n0+4), 0},
		{"skip an outage", every10, 0, 45 * time.Second, 0, span{0, 45 * time.Second}, fmt.Sprintf("%d@40s ", n0+4), 3},
		{"catch up all", every10, 0, 45 * time.Second, 6, span{0, 45 * time.Second}, fmt.Sprintf("%d@10s %d@20s %d@30s %d@40s ", n0+1, n0+2, n0+3, n0+4), 3},
		{"catch up capped", every10, 0, 45 * time.Second, 2, span{0, 45 * time.Second}, fmt.Sprintf("%d@20s %d@30s %d@40s ", n0+2, n0+3, n0+4), 3},
		{"outage in the middle", every10, 0, 55 * time.Second, 0, span{15 * time.Second, 35 * time.Second}, fmt.Sprintf("%d@10s %d@40s %d@50s ", n0+1, n0+4, n0+5), 2},
		{"outage ends on a tick", every10, 0, 45 * time.Second, 0, span{5 * time.Second, 30 * time.Second}, fmt.Sprintf("%d@30s %d@40s ", n0+3, n0+4), 2},
		{"outage begins on a tick", every10, 0, 45 * time.Second, 0, span{10 * time.Second, 35 * time.Second}, fmt.Sprintf("%d@10s %d@40s ", n0+1, n0+4), 2},
		{"outage in the middle, catch up", every10, 0, 55 * time.Second, 1, span{15 * time.Second, 35 * time.Second}, fmt.Sprintf("%d@10s %d@30s %d@40s %d@50s ", n0+1, n0+3, n0+4, n0+5), 2},
		{"outage before last", every10, 20 * time.Second, 45 * time.Second, 0, span{0, 25 * time.Second}, fmt.Sprintf("%d@30s %d@40s ", n0+3, n0+4), 0},
		{"current in the outage", every10, 0, 45 * time.Second, 0, span{0, time.Hour}, fmt.Sprintf("%d@40s ", n0+4), 3},
		{"clock behind", every10, time.Hour, 30 * time.Second, 6, none, "", 0},
		{"last mid-tick", every10, 3 * time.Second, 10 * time.Second, 0, none, fmt.Sprintf("%d@10s ", n0+1), 0},
		{"schedule on time", at30, 0, 30 * time.Second, 0, none, fmt.Sprintf("%d@30s ", s0+30), 0},
		{"schedule same second", at30, 30 * time.Second, 30*time.Second + 500*time.Millisecond, 0, none, "", 0},
		{"schedule late while running", at30, 0, 2*time.Minute + 31*time.Second, 0, none,
			fmt.Sprintf("%d@30s %d@1m30s %d@2m30s ", s0+30, s0+90, s0+150), 0},
		{"schedule skip", at30, 0, 3*time.Minute + 31*time.Second, 0, span{0, 3*time.Minute + 31*time.Second}, fmt.Sprintf("%d@3m30s ", s0+210), 3},
		{"schedule catch up", at30, 0, 3*time.Minute + 31*time.Second, 2, span{0, 3*time.Minute + 31*time.Second},
			fmt.Sprintf("%d@1m30s %d@2m30s %d@3m30s ", s0+90, s0+150, s0+210), 3},
		{"schedule outage in the middle", at30, 0, 3*time.Minute + 31*time.Second, 0, span{time.Minute, 2 * time.Minute},
			fmt.Sprintf("%d@30s %d@2m30s %d@3m30s ", s0+30, s0+150, s0+210), 1},
	}
	for _, tt := range tests {
		var out outage
		if tt.out != none {
			out = outage{from: base.Add(tt.out.from), to: base.Add(tt.out.to)}
		}
		got, missed, err := tt.c.due(base.Add(tt.last), base.Add(tt.now), out, tt.catchUp)
		if err != nil || ticks(got) != tt.want || missed != tt.missed {
			t.Errorf("%s: got %q missed %d %v, want %q missed %d", tt.name, ticks(got), missed, err, tt.want, tt.missed)
		}
	}
	if _, _, err := (clock{schedule: stuck{}}).due(base, base.Add(time.Hour), outage{}, 0); err == nil {
		t.Errorf("a schedule that does not move on: got no error")
	}
}

func TestAfterBeforeEpoch(t *testing.T) {
	c := clock{interval: 10 * time.Second}
	tk, err := c.after(time.Unix(-15, 0))
	if err != nil || tk.n != -1 || !tk.at.Equal(time.Unix(-10, 0)) {
		t.Errorf("after -15s: got %d at %v %v, want -1 at -10s", tk.n, tk.at, err)
	}
}
