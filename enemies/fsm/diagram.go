package fsm

import (
	"fmt"
	"strings"
)

// DOT returns the machine's diagram in the Graphviz DOT language, for
// `dot -Tsvg`. States come in definition order, then one edge per source of
// each transition, labelled with its name and its guards in brackets;
// automatic transitions are dashed. The output is the same on every call, so
// it can be committed and diffed.
func (m *Machine[S, T]) DOT() string {
	var b strings.Builder
	b.WriteString("digraph {\n")
	states, edges := m.Diagram()
	for _, s := range states {
		fmt.Fprintf(&b, "\t%q;\n", s)
	}
	for _, e := range edges {
		style := ""
		if e.Auto {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "\t%q -> %q [label=%q%s];\n", e.From, e.To, e.Label, style)
	}
	b.WriteString("}\n")
	return b.String()
}

// Mermaid returns the machine's diagram as a Mermaid stateDiagram-v2, which
// GitHub renders in Markdown. It lists what DOT does, in the same order, and
// marks automatic transitions "(auto)". A state whose name is not a Mermaid
// identifier (letters, digits, underscores) is declared under an id sN, N
// being its position in Definition.States.
func (m *Machine[S, T]) Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	ids := make(map[string]string)
	states, edges := m.Diagram()
	for i, name := range states {
		if isMermaidID(name) {
			ids[name] = name
			fmt.Fprintf(&b, "    %s\n", name)
		} else {
			ids[name] = fmt.Sprintf("s%d", i)
			fmt.Fprintf(&b, "    state %q as %s\n", name, ids[name])
		}
	}
	for _, e := range edges {
		label := e.Label
		if e.Auto {
			label += " (auto)"
		}
		fmt.Fprintf(&b, "    %s --> %s: %s\n", ids[e.From], ids[e.To], label)
	}
	return b.String()
}

// Edge is one arrow of the machine's diagram: a transition from one state
// to another, by the states' names.
type Edge struct {
	From, To   string
	Transition string
	// Label is the transition's name and its guards in brackets:
	// "attack [alive]".
	Label string
	Auto  bool
}

// Diagram returns what DOT and Mermaid draw, for drawing the machine some
// other way (an admin page's SVG, say): the state names in definition
// order, and one edge per source of each transition, in definition order.
func (m *Machine[S, T]) Diagram() (states []string, edges []Edge) {
	for _, s := range m.def.States {
		states = append(states, m.def.StateName(s))
	}
	for _, tr := range m.def.Transitions {
		label := tr.Name
		if len(tr.Guards) > 0 {
			guards := make([]string, len(tr.Guards))
			for i, g := range tr.Guards {
				guards[i] = g.Name
			}
			label += " [" + strings.Join(guards, ", ") + "]"
		}
		for _, s := range tr.sources(m.def.States) {
			edges = append(edges, Edge{From: m.def.StateName(s), To: m.def.StateName(tr.To),
				Transition: tr.Name, Label: label, Auto: tr.Auto})
		}
	}
	return states, edges
}

func isMermaidID(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
}
