package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/enemies"
)

func TestMonsterList(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		calm := e.mustMonster(t)
		angry := e.mustMonster(t)
		if _, err := e.monsters.Fire(ctx, angry.ID, enemies.Attack, enemies.Args{User: &e.alice.ID}, 0); err != nil {
			t.Fatal(err)
		}
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/monsters/"), http.StatusOK, "wandering", "attacking", "1–2 of 2")
		res := c.get("/admin/monsters/?state=attacking")
		expect(t, res, http.StatusOK, fmt.Sprintf(`href="/admin/monsters/%d/"`, angry.ID), "1–1 of 1", `<option value="attacking" selected>`)
		absent(t, res, fmt.Sprintf(`href="/admin/monsters/%d/"`, calm.ID))
		// An unknown state is no filter.
		expect(t, c.get("/admin/monsters/?state=sleeping"), http.StatusOK, "1–2 of 2")
		res = c.get("/admin/monsters/?sort=-state")
		if i, j := strings.Index(res.body, "<td>attacking</td>"), strings.Index(res.body, "<td>wandering</td>"); i < 0 || j < 0 || i > j {
			t.Errorf("sorted by state descending, attacking (at %d) is not before wandering (at %d)", i, j)
		}
	})
}

func TestMonsterAdd(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		c := e.signIn(t, "root")
		expect(t, c.get("/admin/monsters/add"), http.StatusOK, "Add monster", `value="10"`)
		res := c.post("/admin/monsters/add", url.Values{"state": {"sleeping"}, "health_points": {"-3"}, "user_being_attacked": {"nobody"}})
		expect(t, res, http.StatusBadRequest, `"sleeping" is not a valid choice.`, `There is no user "nobody"`, `value="-3"`)
		res = c.post("/admin/monsters/add", url.Values{"state": {"wandering"}, "health_points": {"-3"}})
		expect(t, res, http.StatusBadRequest, "Ensure this value is greater than or equal to 0.")
		expect(t, c.post("/admin/monsters/add", url.Values{"state": {"wandering"}, "health_points": {"ten"}}), http.StatusBadRequest,
			"A valid integer is required.")
		if n, _ := e.monsters.CountMonsters(context.Background(), enemies.ListOptions{}); n != 0 {
			t.Fatalf("refused forms created %d monsters", n)
		}

		// An evading monster with little health looks for aid at once, as
		// the store decides.
		res = c.post("/admin/monsters/add", url.Values{"state": {"evading"}, "health_points": {"3"}, "user_being_attacked": {"alice"}})
		list, _ := e.monsters.Monsters(context.Background(), enemies.ListOptions{})
		if len(list) != 1 || list[0].State != enemies.LookingForAid || *list[0].UserBeingAttacked != e.alice.ID {
			t.Fatalf("monsters: %+v", list)
		}
		m := list[0]
		expectRedirect(t, res, fmt.Sprintf("/admin/monsters/%d/?done=added", m.ID))
		checkAudit(t, e.lastAudit(t), e.root, "add", "monster", m.ID, "",
			fmt.Sprintf(`{"id":%d,"state":"looking for aid","user_being_attacked":%d,"health_points":3}`, m.ID, e.alice.ID))
	})
}

func TestMonsterTransitions(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.mustMonster(t)
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/monsters/%d/", m.ID)

		// Wandering: attack is the one button, with its argument; the others
		// say why they are refused.
		res := c.get(path)
		expect(t, res, http.StatusOK, fmt.Sprintf(`action="%sfire/attack"`, path), `name="user"`,
			`fsm: transition "evade" not allowed from wandering`, `fsm: transition "wander" not allowed from wandering`,
			"Automatic transitions: look_for_aid.", "No transitions yet.")
		absent(t, res, fmt.Sprintf(`action="%sfire/evade"`, path))
		// The diagram, with the monster's state highlighted, and its sources.
		expect(t, res, http.StatusOK, `<svg class="diagram"`, `<g class="current"><rect`, ">wandering</text>",
			"stateDiagram-v2", "digraph {", "look_for_aid [health_points <= 5]")
		// An arrow per edge of the machine, labelled, the automatic one
		// dashed, the one leaving the current state (attack) highlighted.
		_, edges := enemies.Machine().Diagram()
		if got := strings.Count(res.body, `<path class="edge`); got != len(edges) {
			t.Errorf("the diagram draws %d arrows, want %d", got, len(edges))
		}
		expect(t, res, http.StatusOK, `<path class="edge auto"`, `<path class="edge active"`,
			`<text class="label"`, ">look_for_aid [health_points <= 5]</text>")
		if got := strings.Count(res.body, `<path class="edge active"`); got != 1 {
			t.Errorf("%d arrows leave wandering, want 1", got)
		}

		// Attack needs a user, and says so next to the field.
		res = c.post(path+"fire/attack", url.Values{"user": {""}})
		expect(t, res, http.StatusBadRequest, "This field is required.")
		res = c.post(path+"fire/attack", url.Values{"user": {"ghost"}})
		expect(t, res, http.StatusBadRequest, `There is no user "ghost"`, `value="ghost"`)

		expectRedirect(t, c.post(path+"fire/attack", url.Values{"user": {"alice"}}), path+"?done=fired")
		got, _ := e.monsters.Monster(ctx, m.ID)
		if got.State != enemies.Attacking || got.UserBeingAttacked == nil || *got.UserBeingAttacked != e.alice.ID {
			t.Fatalf("after attack: %+v", got)
		}
		checkAudit(t, e.lastAudit(t), e.root, "fire attack", "monster", m.ID,
			fmt.Sprintf(`{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, m.ID),
			fmt.Sprintf(`{"id":%d,"state":"attacking","user_being_attacked":%d,"health_points":10}`, m.ID, e.alice.ID))

		// Attacking: wander and evade are the buttons; the history names
		// the admin who fired.
		res = c.get(path)
		expect(t, res, http.StatusOK, fmt.Sprintf(`action="%sfire/wander"`, path), fmt.Sprintf(`action="%sfire/evade"`, path),
			`fsm: transition "attack" not allowed from attacking`, ">alice</a> (user #", "<td>attack</td><td>wandering</td><td>attacking</td><td>root</td>")

		expectRedirect(t, c.post(path+"fire/evade", nil), path+"?done=fired")
		if got, _ := e.monsters.Monster(ctx, m.ID); got.State != enemies.Evading {
			t.Fatalf("after evade: %v", got.State)
		}

		// A transition the state refuses (a stale page's button) shows why.
		res = c.post(path+"fire/attack", url.Values{"user": {"alice"}})
		expect(t, res, http.StatusConflict, `<strong>Refused:</strong> fsm: transition "attack" not allowed from evading`, "<strong>evading</strong>")
		res = c.post(path+"fire/look_for_aid", nil)
		expect(t, res, http.StatusConflict, `<strong>Refused:</strong> fsm: transition "look_for_aid" from evading: guard "health_points <= 5" failed`)
		res = c.post(path+"fire/dance", nil)
		expect(t, res, http.StatusNotFound, `<strong>Refused:</strong> fsm: unknown transition "dance"`)
		if got, _ := e.monsters.Monster(ctx, m.ID); got.State != enemies.Evading {
			t.Fatalf("refused transitions changed the state to %v", got.State)
		}
		expect(t, c.post("/admin/monsters/999/fire/evade", nil), http.StatusNotFound, "There is no such object")

		// Health: the automatic transition fires by itself.
		expect(t, c.post(path, url.Values{"health_points": {"x"}}), http.StatusBadRequest, "A valid integer is required.", `value="x"`)
		expect(t, c.post(path, url.Values{"health_points": {"-1"}}), http.StatusBadRequest, "Ensure this value is greater than or equal to 0.")
		expectRedirect(t, c.post(path, url.Values{"health_points": {"4"}}), path+"?done=saved")
		got, _ = e.monsters.Monster(ctx, m.ID)
		if got.State != enemies.LookingForAid || got.HealthPoints != 4 {
			t.Fatalf("after setting health: %+v", got)
		}
		entry := e.lastAudit(t)
		if entry.Action != "change" || !strings.Contains(string(entry.After), `"looking for aid"`) {
			t.Errorf("audit entry of the health change: %s %s", entry.Action, entry.After)
		}
		res = c.get(path)
		expect(t, res, http.StatusOK, "<td>look_for_aid</td><td>evading</td><td>looking for aid</td><td>automatic</td>",
			fmt.Sprintf(`action="%sfire/wander"`, path))
	})
}

func TestMonsterHistoryPages(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.mustMonster(t)
		for range 30 { // 60 transitions: two pages of 50
			if _, err := e.monsters.Fire(ctx, m.ID, enemies.Attack, enemies.Args{User: &e.alice.ID}, e.root.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := e.monsters.Fire(ctx, m.ID, enemies.Wander, enemies.Args{}, e.root.ID); err != nil {
				t.Fatal(err)
			}
		}
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/monsters/%d/", m.ID)
		// The last page first, so the latest transitions show.
		expect(t, c.get(path), http.StatusOK, "51–60 of 60", "Page 2 of 2", "<td class=\"num\">61</td>")
		expect(t, c.get(path+"?hpage=1"), http.StatusOK, "1–50 of 60", "<td class=\"num\">2</td>")
	})
}

func TestMonsterDelete(t *testing.T) {
	run(t, nil, func(t *testing.T, e *env) {
		m := e.mustMonster(t)
		c := e.signIn(t, "root")
		path := fmt.Sprintf("/admin/monsters/%d/delete", m.ID)
		expect(t, c.get(path), http.StatusOK, "Delete monster?", "wandering, 10 health points")
		expectRedirect(t, c.post(path, nil), "/admin/monsters/?done=deleted")
		if _, err := e.monsters.Monster(context.Background(), m.ID); !errors.Is(err, gamekit.ErrNotFound) {
			t.Errorf("monster after delete: %v", err)
		}
		checkAudit(t, e.lastAudit(t), e.root, "delete", "monster", m.ID,
			fmt.Sprintf(`{"id":%d,"state":"wandering","user_being_attacked":null,"health_points":10}`, m.ID), "")
	})
}
