package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/examples/server/accounts"
	"github.com/gamekit/gamekit/gifts"
	"github.com/gamekit/gamekit/internal/apitest"
	"github.com/gamekit/gamekit/internal/browsertest"
	"github.com/gamekit/gamekit/realtime"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// liveWait bounds the wait for a move to show in another tab. The page is
// event-driven (it never polls), so the move shows when the players event
// arrives, well within a second on a laptop; the deadline is generous
// because two Chromium tabs, the server and the race detector share a
// two-core machine here, and it only turns "never" into a failure.
const liveWait = 10 * time.Second

// pageWait bounds the slower steps: loading the page, signing in (bcrypt)
// and connecting.
const pageWait = time.Minute

// A move in one tab shows in another: alice registers and bob signs in
// with the page's form, alice moves her player with the Move buttons, and
// bob's tab follows, with no buttons of its own for alice's player.
func TestBrowserLiveMoves(t *testing.T) {
	s := newSite(t, storagetest.Open(t, storagetest.Memory, migrations()...))
	b := browsertest.New(t) // after the site, so it closes first, and with it the pages' connections
	s.register("bob")       // the password is password("bob")

	alice, bob := b.Tab(t), b.Tab(t)
	signInWithForm(t, alice, s.srv.URL, "alice", true)
	signInWithForm(t, bob, s.srv.URL, "bob", false)

	// alice's page lists her player as hers, with buttons; its id is what
	// bob's page must follow.
	waitFor(t, alice, pageWait, `#players li[data-own="true"] [data-move="right"]`)
	id := browsertest.Eval[string](t, alice, `document.querySelector('#players li[data-own="true"]').dataset.playerId`)
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("alice's player id %q", id)
	}
	player := fmt.Sprintf(`#players li[data-player-id=%q]`, id)
	at := func(x, y int) string { return fmt.Sprintf(`%s[data-x="%d"][data-y="%d"]`, player, x, y) }

	waitFor(t, bob, pageWait, at(0, 0))
	waitFor(t, bob, pageWait, `#players li[data-own="true"] [data-move]`)
	if n := browsertest.Eval[int](t, bob, `document.querySelectorAll('`+player+` [data-move]').length`); n != 0 {
		t.Errorf("bob's page has %d move buttons for alice's player, want none", n)
	}
	if n := browsertest.Eval[int](t, bob, `document.querySelectorAll('#players li[data-own="true"] [data-move]').length`); n != 4 {
		t.Errorf("bob's page has %d move buttons for his own player, want 4", n)
	}

	click := func(direction string) { clickMove(t, alice, player, direction) }
	// Right is x + 1.
	click("right")
	waitFor(t, bob, liveWait, at(1, 0))
	// Left is x - 1: twice from 1 is -1. Each move starts from the position
	// the server confirmed, so wait for alice's page to have it.
	click("left")
	waitFor(t, alice, liveWait, at(0, 0))
	click("left")
	waitFor(t, bob, liveWait, at(-1, 0))
	// Up is y + 1.
	click("up")
	waitFor(t, bob, liveWait, at(-1, 1))
	if got := browsertest.Eval[string](t, bob, `document.querySelector('`+player+` [data-position]').textContent`); got != "(-1, 1)" {
		t.Errorf("bob's page shows alice's player at %q, want (-1, 1)", got)
	}
	// The board draws her where the list says: y grows upwards.
	if got := browsertest.Eval[string](t, bob, `(c => c.getAttribute("cx") + "," + c.getAttribute("cy"))(document.querySelector('#board [data-player-id="`+id+`"] circle'))`); got != "-1,-1" {
		t.Errorf("bob's board draws alice's player at SVG (%s), want (-1,-1)", got)
	}

	// What the monsters and the gift scheduler publish reaches the feed:
	// a transition fired over the API, and a gift on alice's private
	// channel (published as the scheduler does, through the hub).
	if status, _, body := s.do(basic("admin", adminPassword), "POST", "/api/monsters/1/attack/", `{"user":1}`); status != 200 {
		t.Fatalf("attack: %d %s", status, body)
	}
	waitFor(t, alice, liveWait, `#feed li[data-channel="monsters"][data-event="updated"]`)
	waitFor(t, bob, liveWait, `#feed li[data-channel="monsters"][data-event="updated"]`)
	aliceUser, err := s.b.accounts.UserByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	gift := gamekit.Event{Channel: realtime.UserChannel(aliceUser.ID), Name: gifts.EventGift,
		Data: gifts.Gift{Schedule: "gifts", Tick: 1, At: time.Now()}}
	if err := s.b.hub.Publish(context.Background(), gift); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alice, liveWait, `#feed li[data-event="gift"]`)
	if n := browsertest.Eval[int](t, bob, `document.querySelectorAll('#feed li[data-event="gift"]').length`); n != 0 {
		t.Errorf("bob's feed shows %d of alice's gifts", n)
	}

	browsertest.Screenshot(t, alice, "alice")
	browsertest.Screenshot(t, bob, "bob")
	browsertest.Do(t, bob, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	waitFor(t, bob, liveWait, at(-1, 1))
	browsertest.Screenshot(t, bob, "bob-phone")

	// Signing out revokes the token and forgets it; a wrong password is
	// refused with the server's words.
	token := browsertest.Eval[string](t, bob, `JSON.parse(sessionStorage.getItem("gamekit.session")).token`)
	browsertest.Do(t, bob, chromedp.Click(chromedp.ID("signout")))
	waitUntil(t, bob, pageWait, `document.querySelector("#signin-error").textContent === "Signed out."`)
	if status, _, body := s.do("Bearer "+token, "GET", "/api/inventories/", ""); status != 401 {
		t.Errorf("bob's token after signing out: got %d %s, want 401", status, body)
	}
	if left := browsertest.Eval[bool](t, bob, `sessionStorage.getItem("gamekit.session") !== null`); left {
		t.Error("bob's session is still in sessionStorage after signing out")
	}
	browsertest.Do(t, bob,
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("password"), "not his password"),
		chromedp.Click(chromedp.ID("signin-button")),
	)
	waitUntil(t, bob, pageWait, `document.querySelector("#signin-error").textContent.includes("Unable to log in")`)
}

// signInWithForm opens the page and signs in through its form, pressing
// Register first when register is set, and waits for the live connection.
func signInWithForm(t *testing.T, tab context.Context, url, username string, register bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, pageWait)
	defer cancel()
	button := "signin-button"
	if register {
		button = "register-button"
	}
	browsertest.Do(t, ctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password(username)),
		chromedp.Click(chromedp.ID(button)),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-state="open"]`)),
	)
}

// waitFor waits until an element matching selector is in the tab's page
// and visible, failing the test after d.
func waitFor(t *testing.T, tab context.Context, d time.Duration, selector string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, d)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		status := browsertest.Eval[string](t, tab, `document.querySelector("#status").textContent`)
		t.Fatalf("waiting %s for %s: %v (status: %q)", d, selector, err, status)
	}
}

// waitUntil waits until the JavaScript expression is true in the tab's
// page, failing the test after d.
func waitUntil(t *testing.T, tab context.Context, d time.Duration, expression string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expression)); err != nil {
		t.Fatalf("waiting %s for %s: %v", d, expression, err)
	}
}

func password(username string) string { return "p4ssword-" + username }

// When the server goes away (a restart: the hub closes every connection
// with 1001), the pages say so, reconnect to the new server with a fresh
// ticket, subscribe again and keep following moves.
func TestBrowserReconnects(t *testing.T) {
	db := storagetest.Open(t, storagetest.Memory, migrations()...)
	var live atomic.Pointer[backend] // the server answering now
	start := func() *backend {
		b, err := newBackend(db, config{register: true}, slog.New(slog.DiscardHandler), accounts.Options{BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.stop(context.Background()) })
		live.Store(b)
		return b
	}
	first := start()
	s := &site{t: t, b: first, srv: apitest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		live.Load().handler.ServeHTTP(w, r)
	}))}
	s.register("alice")
	s.register("bob")
	b := browsertest.New(t)
	alice, bob := b.Tab(t), b.Tab(t)
	signInWithForm(t, alice, s.srv.URL, "alice", false)
	signInWithForm(t, bob, s.srv.URL, "bob", false)
	waitFor(t, alice, pageWait, `#players li[data-own="true"] [data-move="right"]`)
	id := browsertest.Eval[string](t, alice, `document.querySelector('#players li[data-own="true"]').dataset.playerId`)
	player := fmt.Sprintf(`#players li[data-player-id=%q]`, id)
	waitFor(t, bob, pageWait, player+`[data-x="0"]`)

	// The restart: a new server on the same database takes the requests,
	// and the old one closes its connections. Its tickets die with it.
	start()
	if err := first.stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, tab := range []context.Context{alice, bob} {
		waitFor(t, tab, pageWait, `#feed li[data-channel="connection"][data-event="closed"]`)
		waitFor(t, tab, pageWait, `#feed li[data-channel="connection"][data-event="open"]`)
		waitFor(t, tab, pageWait, `#status[data-state="open"]`)
		// The new server's channels start a new epoch (its broker is
		// new), so the pages cannot resume and reload the list: wait for
		// that, so what follows is seen through the new subscription
		// alone.
		waitFor(t, tab, pageWait, `#feed li[data-channel="connection"][data-event="reload"]`)
		waitFor(t, tab, pageWait, `#players[aria-busy="false"]`)
	}
	if got := browsertest.Eval[string](t, bob, `document.querySelector('#feed li[data-event="closed"]').textContent`); !strings.Contains(got, "going away") {
		t.Errorf("bob's feed says %q about the restart, want the server going away", got)
	}
	clickMove(t, alice, player, "right")
	waitFor(t, bob, liveWait, player+`[data-x="1"][data-y="0"]`)
}

// clickMove presses a move button of player (a selector of its <li>) in
// tab. The page makes one move at a time and ignores a click while its
// last move awaits the server's answer, which comes after the other pages
// hear of the move (the server announces it, then counts it on the
// board): so it first waits for that answer.
func clickMove(t *testing.T, tab context.Context, player, direction string) {
	t.Helper()
	waitUntil(t, tab, pageWait, `!document.querySelector('`+player+`').dataset.busy`)
	browsertest.Do(t, tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s [data-move=%q]`, player, direction))))
}
