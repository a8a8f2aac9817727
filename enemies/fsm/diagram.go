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
	for _, s := range m.def.States {
		fmt.Fprintf(&b, "\t%q;\n", m.def.StateName(s))
	}
	for _, e := range m.edges() {
		style := ""
		if e.auto {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "\t%q -> %q [label=%q%s];\n", e.from, e.to, e.label, style)
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
	for i, s := range m.def.States {
		name := m.def.StateName(s)
		if isMermaidID(name) {
			ids[name] = name
			fmt.Fprintf(&b, "    %s\n", name)
		} else {
			ids[name] = fmt.Sprintf("s%d", i)
			fmt.Fprintf(&b, "    state %q as %s\n", name, ids[name])
		}
	}
	for _, e := range m.edges() {
		label := e.label
		if e.auto {
			label += " (auto)"
		}
		fmt.Fprintf(&b, "    %s --> %s: %s\n", ids[e.from], ids[e.to], label)
	}
	return b.String()
}

// edge is one arrow of a diagram, between named states.
type edge struct {
	from, to, label string
	auto            bool
}

// edges returns the arrows of the diagram, one per source of each transition.
func (m *Machine[S, T]) edges() []edge {
	var edges []edge
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
			edges = append(edges, edge{m.def.StateName(s), m.def.StateName(tr.To), label, tr.Auto})
		}
	}
	return edges
}

func isMermaidID(name string) bool {
	return name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
}
