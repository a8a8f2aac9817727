package admin

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/gamekit/gamekit/enemies/fsm"
)

// machine is what a diagram needs of an fsm.Machine: its states and
// arrows to draw, and its DOT and Mermaid sources to show.
type machine interface {
	Diagram() (states []string, edges []fsm.Edge)
	DOT() string
	Mermaid() string
}

// diagram is a state machine's diagram (fsm.Machine.Diagram) drawn as an
// inline SVG by the server: no script, no external renderer.
type diagram struct {
	DOT, Mermaid string
	states       []string
	edges        []diagramEdge
	// transitions are the names of the transitions, in definition order.
	transitions []string
	auto        map[string]bool
	positions   []point // of states, on a circle
}

// diagramEdge is an arrow, with its states' indexes in diagram.states.
type diagramEdge struct {
	fsm.Edge
	from, to int
}

type point struct{ x, y float64 }

// newDiagram reads the machine's states and arrows and places the states.
func newDiagram(m machine) diagram {
	states, edges := m.Diagram()
	d := diagram{DOT: m.DOT(), Mermaid: m.Mermaid(), states: states, auto: map[string]bool{}}
	for _, e := range edges {
		d.edges = append(d.edges, diagramEdge{Edge: e,
			from: slices.Index(states, e.From), to: slices.Index(states, e.To)})
		if !slices.Contains(d.transitions, e.Transition) {
			d.transitions = append(d.transitions, e.Transition)
		}
		d.auto[e.Transition] = d.auto[e.Transition] || e.Auto
	}
	d.positions = d.layout()
	return d
}

// The drawing's size and its states' boxes, in SVG user units.
const (
	diagramWidth, diagramHeight = 640.0, 420.0
	boxHeight                   = 36.0
	charWidth                   = 8.5 // of the 14px sans-serif labels, roughly
)

// layout places the states on an ellipse, in the order (among the first
// few states' orders) whose straight arrows cross least.
func (d diagram) layout() []point {
	n := len(d.states)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if n > 2 && n <= 7 {
		best, bestCross := append([]int(nil), order...), d.crossings(order)
		permute(order, 1, func(p []int) {
			if c := d.crossings(p); c < bestCross {
				best, bestCross = append(best[:0], p...), c
			}
		})
		order = best
	}
	pos := make([]point, n)
	rx, ry := diagramWidth/2-110, diagramHeight/2-60
	for slot, state := range order {
		angle := -3*math.Pi/4 + 2*math.Pi*float64(slot)/float64(n)
		pos[state] = point{diagramWidth/2 + rx*math.Cos(angle), diagramHeight/2 + ry*math.Sin(angle)}
	}
	return pos
}

// crossings counts the pairs of arrows that cross when the states sit on
// a circle in order: chords (a, b) and (c, d) cross when exactly one of c
// and d lies strictly between a and b.
func (d diagram) crossings(order []int) int {
	slot := make([]int, len(order))
	for s, state := range order {
		slot[state] = s
	}
	between := func(x, a, b int) bool {
		if a > b {
			a, b = b, a
		}
		return a < x && x < b
	}
	n := 0
	for i, e := range d.edges {
		a, b := slot[e.from], slot[e.to]
		for _, f := range d.edges[i+1:] {
			c, dd := slot[f.from], slot[f.to]
			if a == c || a == dd || b == c || b == dd {
				continue
			}
			if between(c, a, b) != between(dd, a, b) {
				n++
			}
		}
	}
	return n
}

// permute calls fn with every permutation of p[k:], p[:k] fixed.
func permute(p []int, k int, fn func([]int)) {
	if k == len(p) {
		fn(p)
		return
	}
	for i := k; i < len(p); i++ {
		p[k], p[i] = p[i], p[k]
		permute(p, k+1, fn)
		p[k], p[i] = p[i], p[k]
	}
}

// svgView is what the template draws.
type svgView struct {
	Width, Height float64
	Nodes         []svgNode
	Edges         []svgEdge
}

type svgNode struct {
	Name       string
	X, Y, W, H string // the box
	TextX      string
	TextY      string
	Current    bool
}

type svgEdge struct {
	D          string // the path
	LabelX     string
	LabelY     string
	Anchor     string // of the label: start, middle or end
	Label      string
	Auto       bool
	FromActive bool // leaves the current state
}

// svg draws the diagram with the state called current highlighted.
func (d diagram) svg(current string) svgView {
	v := svgView{Width: diagramWidth, Height: diagramHeight}
	half := make([]point, len(d.states)) // half widths and heights of boxes
	for i, name := range d.states {
		w := float64(len([]rune(name)))*charWidth + 24
		half[i] = point{w / 2, boxHeight / 2}
		p := d.positions[i]
		v.Nodes = append(v.Nodes, svgNode{Name: name, Current: name == current,
			X: num(p.x - w/2), Y: num(p.y - boxHeight/2), W: num(w), H: num(boxHeight),
			TextX: num(p.x), TextY: num(p.y + 5)})
	}
	for _, e := range d.edges {
		se := svgEdge{Label: e.Label, Auto: e.Auto, FromActive: e.From == current}
		p0, p2 := d.positions[e.from], d.positions[e.to]
		if e.from == e.to { // a loop above the box
			top := p0.y - half[e.from].y
			se.D = fmt.Sprintf("M %s %s C %s %s, %s %s, %s %s", num(p0.x-10), num(top), num(p0.x-40), num(top-50),
				num(p0.x+40), num(top-50), num(p0.x+10), num(top))
			se.LabelX, se.LabelY, se.Anchor = num(p0.x), num(top-44), "middle"
			v.Edges = append(v.Edges, se)
			continue
		}
		// A quadratic curve bowing to the right of its direction, so the
		// arrows of a pair of opposite transitions do not overlap.
		dx, dy := p2.x-p0.x, p2.y-p0.y
		length := math.Hypot(dx, dy)
		c := point{(p0.x+p2.x)/2 - dy/length*40, (p0.y+p2.y)/2 + dx/length*40}
		start := clip(p0, c, half[e.from])
		end := clip(p2, c, half[e.to])
		se.D = fmt.Sprintf("M %s %s Q %s %s %s %s", num(start.x), num(start.y), num(c.x), num(c.y), num(end.x), num(end.y))
		// The label sits beside the curve's middle, on its outer side,
		// anchored so that it reads away from the curve.
		n := point{-dy / length, dx / length}
		mid := point{0.25*start.x + 0.5*c.x + 0.25*end.x + n.x*8, 0.25*start.y + 0.5*c.y + 0.25*end.y + n.y*8}
		se.Anchor = "middle"
		switch {
		case n.x > 0.5:
			se.Anchor = "start"
		case n.x < -0.5:
			se.Anchor = "end"
		}
		se.LabelX, se.LabelY = num(mid.x), num(mid.y+4+n.y*6)
		v.Edges = append(v.Edges, se)
	}
	return v
}

// clip returns where the line from the centre of a box (of half size h)
// towards toward leaves the box, a little outside it.
func clip(center, toward, h point) point {
	dx, dy := toward.x-center.x, toward.y-center.y
	if dx == 0 && dy == 0 {
		return center
	}
	t := math.Inf(1)
	if dx != 0 {
		t = min(t, (h.x+3)/math.Abs(dx))
	}
	if dy != 0 {
		t = min(t, (h.y+3)/math.Abs(dy))
	}
	return point{center.x + dx*t, center.y + dy*t}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
