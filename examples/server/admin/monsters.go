package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
	"github.com/gamekit/gamekit/enemies/fsm"
)

// monsterSorts are the sorts the monster list offers, the store's.
var monsterSorts = []string{"id", "state", "health_points"}

// monsterStates are the states, in the order the machine lists them.
func (a *Admin) monsterStates() []string { return a.diagram.states }

// monsterList lists monsters, filtered by state (monsters have no name to
// search) and sortable.
func (a *Admin) monsterList(w http.ResponseWriter, r *http.Request, s *session) {
	sort := listSort(r, monsterSorts, "id")
	page, offset := pageOf(r, "page", a.pageSize)
	var opts enemies.ListOptions
	stateName := r.URL.Query().Get("state")
	if state, err := enemies.ParseState(stateName); err == nil {
		opts.State = state
	} else {
		stateName = ""
	}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: sort, reversible: true, counted: true},
		func(ctx context.Context, sort string, limit, offset int) ([]enemies.Monster, error) {
			o := opts
			o.Sort, o.Limit, o.Offset = sort, limit, offset
			return a.monsters.Monsters(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.monsters.CountMonsters(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	f := &filter{Name: "state", Label: "State", Options: []option{{Value: "", Label: "any", Selected: stateName == ""}}}
	for _, name := range a.monsterStates() {
		f.Options = append(f.Options, option{Value: name, Label: name, Selected: name == stateName})
	}
	v := listView{Noun: "monster", AddURL: a.path("monsters", "add"), Filter: f,
		Columns: sortable(r, sort, []string{"ID", "State", "Health points", "Attacking user"}, []string{"id", "state", "health_points", ""}),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total)}
	for _, m := range l.rows {
		target := ""
		if m.UserBeingAttacked != nil {
			target = strconv.FormatInt(*m.UserBeingAttacked, 10)
		}
		v.Rows = append(v.Rows, listRow{URL: a.path("monsters", m.ID) + "/",
			Cells: []string{strconv.FormatInt(m.ID, 10), m.State.String(), strconv.Itoa(m.HealthPoints), target}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Monsters", v)
}

type monsterAddView struct {
	Form   *form
	States []string
}

var monsterAddFields = []string{"state", "health_points", "user_being_attacked"}

func (a *Admin) monsterAddPage(w http.ResponseWriter, r *http.Request, s *session) {
	f := newForm(nil, monsterAddFields...)
	f.values.Set("state", enemies.Wandering.String())
	f.values.Set("health_points", strconv.Itoa(enemies.DefaultHealthPoints))
	a.render(w, r, s, http.StatusOK, "monster_add", "Add monster", monsterAddView{Form: f, States: a.monsterStates()})
}

func (a *Admin) monsterAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, monsterAddFields...)
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	m := enemies.Monster{}
	if m.State, err = enemies.ParseState(f.Value("state")); err != nil {
		f.invalid(err)
	}
	if hp, ok := f.integer("health_points"); ok {
		m.HealthPoints = int(max(min(hp, enemies.MaxHealthPoints+1), -1)) // the store says what is out of range
	}
	if strings.TrimSpace(f.Value("user_being_attacked")) != "" {
		u, ok, err := a.findUser(r.Context(), f, "user_being_attacked")
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		if ok {
			m.UserBeingAttacked = &u.ID
		}
	}
	if !f.Invalid() {
		err := a.monsters.CreateMonster(r.Context(), &m)
		if err == nil {
			a.record(r, s, "add", "monster", m.ID, nil, m)
			redirect(w, r, a.path("monsters", m.ID)+"/", "added")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.render(w, r, s, http.StatusBadRequest, "monster_add", "Add monster", monsterAddView{Form: f, States: a.monsterStates()})
}

type monsterView struct {
	Monster enemies.Monster
	Target  string // the attacked user's name, when there is one
	Health  *form
	// Buttons are the transitions available now; Unavailable the others,
	// with the reason the machine gives; Automatic the ones that fire by
	// themselves.
	Buttons     []transitionButton
	Unavailable []transitionButton
	Automatic   []string
	Attack      *form // the argument form of attack
	// Refused is why the transition just tried was refused.
	Refused string
	History []historyRow
	Pager   pager
	Diagram svgView
	DOT     string
	Mermaid string
	Actions []link
}

type transitionButton struct {
	Name, Action, Reason string
	NeedsUser            bool
}

type historyRow struct {
	Version          int64
	Transition       string
	From, To, By, At string
}

func (a *Admin) monsterPage(w http.ResponseWriter, r *http.Request, s *session) {
	m, ok := object(a, w, r, s, a.monsters.Monster)
	if !ok {
		return
	}
	health := newForm(nil, "health_points")
	health.values.Set("health_points", strconv.Itoa(m.HealthPoints))
	a.showMonster(w, r, s, http.StatusOK, m, health, newForm(nil, "user"), "")
}

// showMonster shows a monster with the transitions the machine allows now
// as buttons (fsm.Machine.Available), the others with the reason they are
// refused (fsm.Machine.CanFire), its history (the last page by default, so
// the latest transitions show) and the state diagram with its state
// highlighted.
func (a *Admin) showMonster(w http.ResponseWriter, r *http.Request, s *session, status int, m enemies.Monster, health, attack *form, refused string) {
	ctx := r.Context()
	machine := enemies.Machine()
	v := monsterView{Monster: m, Health: health, Attack: attack, Refused: refused,
		Diagram: a.diagram.svg(m.State.String()), DOT: a.diagram.DOT, Mermaid: a.diagram.Mermaid,
		Actions: []link{{"Delete", a.path("monsters", m.ID, "delete")}, {"Audit trail", a.auditURL("monster", m.ID)}}}
	names := map[int64]string{}
	username := func(id int64) string {
		if name, ok := names[id]; ok {
			return name
		}
		name := fmt.Sprintf("user %d", id)
		if u, err := a.acc.User(ctx, id); err == nil {
			name = u.Username
		}
		names[id] = name
		return name
	}
	if m.UserBeingAttacked != nil {
		v.Target = username(*m.UserBeingAttacked)
	}
	available := machine.Available(&m)
	for _, name := range a.diagram.transitions {
		if a.diagram.auto[name] {
			v.Automatic = append(v.Automatic, name)
			continue
		}
		b := transitionButton{Name: name, Action: a.path("monsters", m.ID, "fire", name), NeedsUser: name == enemies.Attack}
		if slices.Contains(available, name) {
			v.Buttons = append(v.Buttons, b)
		} else {
			if err := machine.CanFire(&m, name); err != nil {
				b.Reason = err.Error()
			}
			v.Unavailable = append(v.Unavailable, b)
		}
	}

	hopts := enemies.HistoryOptions{Monster: m.ID}
	total, err := a.monsters.CountHistory(ctx, hopts)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	pages := max(1, (total+a.pageSize-1)/a.pageSize)
	page, offset := pageOf(r, "hpage", a.pageSize)
	if r.URL.Query().Get("hpage") == "" {
		page, offset = pages, (pages-1)*a.pageSize
	}
	hopts.Limit, hopts.Offset = a.pageSize, offset
	entries, err := a.monsters.History(ctx, hopts)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	for _, e := range entries {
		by := "automatic"
		if e.By != nil {
			by = username(*e.By)
		}
		v.History = append(v.History, historyRow{Version: e.Version, Transition: e.Transition,
			From: e.From.String(), To: e.To.String(), By: by, At: e.At.Format(timeLayout)})
	}
	v.Pager = newPager(r, "hpage", page, a.pageSize, len(entries), offset+len(entries) < total, total)
	a.render(w, r, s, status, "monster", fmt.Sprintf("Monster #%d", m.ID), v)
}

// monsterChange sets a monster's health; the store fires the automatic
// transitions it enables.
func (a *Admin) monsterChange(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.monsters.Monster)
	if !ok {
		return
	}
	f, err := parseForm(w, r, "health_points")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	if hp, ok := f.integer("health_points"); ok {
		after, err := a.monsters.SetHealth(r.Context(), before.ID, int(max(min(hp, enemies.MaxHealthPoints+1), -1)))
		if err == nil {
			a.record(r, s, "change", "monster", before.ID, before, after)
			redirect(w, r, a.path("monsters", before.ID)+"/", "saved")
			return
		}
		if !f.invalid(err) {
			a.fail(w, r, s, err)
			return
		}
	}
	a.showMonster(w, r, s, http.StatusBadRequest, before, f, newForm(nil, "user"), "")
}

// monsterFire fires a transition with the store, as the API does, with
// the admin as the one who fired it. A refusal shows the monster again
// with the machine's reason.
func (a *Admin) monsterFire(w http.ResponseWriter, r *http.Request, s *session) {
	before, ok := object(a, w, r, s, a.monsters.Monster)
	if !ok {
		return
	}
	name := r.PathValue("transition")
	f, err := parseForm(w, r, "user")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	var args enemies.Args
	if name == enemies.Attack {
		u, ok, err := a.findUser(r.Context(), f, "user")
		if err != nil {
			a.fail(w, r, s, err)
			return
		}
		if ok {
			args.User = &u.ID
		}
	}
	status, refused := http.StatusBadRequest, ""
	if !f.Invalid() {
		after, err := a.monsters.Fire(r.Context(), before.ID, name, args, s.user.ID)
		var te *fsm.TransitionError[enemies.State]
		switch {
		case err == nil:
			a.record(r, s, "fire "+name, "monster", before.ID, before, after)
			redirect(w, r, a.path("monsters", before.ID)+"/", "fired")
			return
		case errors.Is(err, enemies.ErrMonsterNotFound):
			a.fail(w, r, s, err)
			return
		case errors.As(err, &te):
			status, refused = http.StatusConflict, te.Error()
			if errors.Is(err, fsm.ErrUnknownTransition) {
				status = http.StatusNotFound
			}
		case errors.Is(err, gamekit.ErrConflict):
			status, refused = http.StatusConflict, err.Error()
		case f.invalid(err):
		default:
			a.fail(w, r, s, err)
			return
		}
		// Show the monster as it is now, which may not be as it was read.
		if now, err := a.monsters.Monster(r.Context(), before.ID); err == nil {
			before = now
		}
	}
	health := newForm(nil, "health_points")
	health.values.Set("health_points", strconv.Itoa(before.HealthPoints))
	if name != enemies.Attack && f.Invalid() {
		refused = strings.Join(append(f.Errors("user"), f.General()...), " ")
		f = newForm(nil, "user")
	}
	a.showMonster(w, r, s, status, before, health, f, refused)
}

func (a *Admin) monsterDeletePage(w http.ResponseWriter, r *http.Request, s *session) {
	m, ok := object(a, w, r, s, a.monsters.Monster)
	if !ok {
		return
	}
	a.render(w, r, s, http.StatusOK, "delete", "Delete monster", deleteView{
		Noun: "monster", Name: fmt.Sprintf("#%d (%s, %d health points)", m.ID, m.State, m.HealthPoints),
		Consequences: []string{"Its history stays in the database for analytics, but is no longer shown."},
		Action:       a.path("monsters", m.ID, "delete"), Cancel: a.path("monsters", m.ID) + "/"})
}

func (a *Admin) monsterDelete(w http.ResponseWriter, r *http.Request, s *session) {
	m, ok := object(a, w, r, s, a.monsters.Monster)
	if !ok {
		return
	}
	if err := a.monsters.DeleteMonster(r.Context(), m.ID); err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete", "monster", m.ID, m, nil)
	redirect(w, r, a.path("monsters")+"/", "deleted")
}
