package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gamekit/gamekit/internal/browsertest"
	"github.com/gamekit/gamekit/storage/storagetest"
)

// Two players chat on the live page and watch the board of moves: alice
// and bob see each other's words in the global room; alice writes to bob
// alone from the player list, and bob gets it while carol, signed in too,
// hears nothing of it; every move alice makes counts on the moves-today
// board in both tabs.
func TestBrowserSocial(t *testing.T) {
	s := newSite(t, storagetest.Open(t, storagetest.Memory, migrations()...))
	b := browsertest.New(t)
	s.register("bob")
	carolAuth := s.register("carol")

	alice, bob := b.Tab(t), b.Tab(t)
	signInWithForm(t, alice, s.srv.URL, "alice", true)
	signInWithForm(t, bob, s.srv.URL, "bob", false)
	ctx := context.Background()
	aliceUser, err := s.b.accounts.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	bobUser, err := s.b.accounts.UserByUsername(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	aliceID, bobID := aliceUser.ID, bobUser.ID

	// carol listens on the global room and on her own channel, as her
	// page would.
	carol, _ := s.connect(carolAuth)
	if f := carol.Call(fmt.Sprintf(`{"id":1,"verb":"subscribe","channel":"chat.%d"}`, s.b.social.global.ID)); !f.OK {
		t.Fatalf("carol subscribing to the global room: %+v", f.Error)
	}

	// Both pages open on the global room.
	global := `#chat-tabs button[data-kind="public"][aria-selected="true"]`
	waitFor(t, alice, pageWait, global)
	waitFor(t, bob, pageWait, global)
	if got := browsertest.Eval[string](t, alice, `document.querySelector('`+global+`').textContent`); got != "# global" {
		t.Errorf("alice's room tab says %q, want # global", got)
	}

	say := func(tab context.Context, text string) {
		t.Helper()
		browsertest.Do(t, tab,
			chromedp.SendKeys(chromedp.ID("chat-input"), text),
			chromedp.Click(chromedp.ID("chat-send")),
		)
	}
	message := func(sender int64) string { return fmt.Sprintf(`#chat-log li[data-sender="%d"]`, sender) }

	// What alice says, bob reads, as text: her markup stays text.
	say(alice, "hello bob <b>bold?</b>")
	waitFor(t, bob, liveWait, message(aliceID))
	if got := browsertest.Eval[string](t, bob, `document.querySelector('`+message(aliceID)+` .body').textContent`); got != "hello bob <b>bold?</b>" {
		t.Errorf("bob reads %q", got)
	}
	if n := browsertest.Eval[int](t, bob, `document.querySelectorAll("#chat-log b").length`); n != 0 {
		t.Errorf("alice's message made %d <b> elements in bob's page", n)
	}
	say(bob, "hi alice")
	waitFor(t, alice, liveWait, message(bobID))
	if got := browsertest.Eval[string](t, alice, `document.querySelector('`+message(bobID)+`').textContent`); !strings.Contains(got, "bob") || !strings.Contains(got, "hi alice") {
		t.Errorf("alice reads %q", got)
	}

	// alice writes to bob alone, from his player in her list.
	waitFor(t, alice, pageWait, fmt.Sprintf(`#players li[data-user-id="%d"] [data-dm]`, bobID))
	browsertest.Do(t, alice, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#players li[data-user-id="%d"] [data-dm]`, bobID))))
	waitFor(t, alice, liveWait, fmt.Sprintf(`#chat-tabs button[data-kind="dm"][data-peer="%d"][aria-selected="true"]`, bobID))
	say(alice, "a secret for bob")
	waitFor(t, alice, liveWait, fmt.Sprintf(`#chat-log[data-room]:not([data-room=""]) li[data-sender="%d"]`, aliceID))
	// bob's page learns of the conversation and shows that it is unread.
	dmTab := fmt.Sprintf(`#chat-tabs button[data-kind="dm"][data-peer="%d"]`, aliceID)
	waitFor(t, bob, liveWait, dmTab+` .unread`)
	if got := browsertest.Eval[string](t, bob, `document.querySelector("#chat-log").textContent`); strings.Contains(got, "secret") {
		t.Errorf("bob's global room shows the DM: %q", got)
	}
	browsertest.Do(t, bob, chromedp.Click(chromedp.CSS(dmTab)))
	waitUntil(t, bob, liveWait, `document.querySelector("#chat-log").textContent.includes("a secret for bob")`)
	if got := browsertest.Eval[string](t, bob, `document.querySelector('`+dmTab+`').textContent`); got != "@ alice" {
		t.Errorf("bob's DM tab says %q, want @ alice", got)
	}
	// carol heard the global room's two messages, and then her own
	// marker, and nothing of the DM in between.
	carol.Send(fmt.Sprintf(`{"id":2,"route":"chat","verb":"send","args":{"room":%d,"body":"carol was here"}}`, s.b.social.global.ID))
	for {
		f := carol.Read()
		if f.Error != nil {
			t.Fatalf("carol's message: %+v", f.Error)
		}
		if strings.Contains(string(f.Data), "secret") {
			t.Errorf("carol received the DM: %s %s", f.Channel, f.Data)
		}
		if strings.Contains(string(f.Data), "carol was here") && f.Channel != "" {
			break
		}
	}

	// Moves count on the board in both tabs.
	waitFor(t, alice, pageWait, `#players li[data-own="true"] [data-move="right"]`)
	id := browsertest.Eval[string](t, alice, `document.querySelector('#players li[data-own="true"]').dataset.playerId`)
	player := fmt.Sprintf(`#players li[data-player-id=%q]`, id)
	record := func(score int) string {
		return fmt.Sprintf(`#top li[data-user="%d"][data-rank="1"][data-score="%d"]`, aliceID, score)
	}
	waitFor(t, alice, pageWait, `#top li.empty`)
	clickMove(t, alice, player, "right")
	waitFor(t, bob, liveWait, record(1))
	waitFor(t, alice, liveWait, record(1))
	waitFor(t, alice, liveWait, player+`[data-x="1"]`)
	clickMove(t, alice, player, "up")
	waitFor(t, bob, liveWait, record(2))
	waitFor(t, alice, liveWait, record(2))
	waitUntil(t, alice, liveWait, `document.querySelector("#my-rank").dataset.score === "2"`)
	if got := browsertest.Eval[string](t, alice, `document.querySelector("#my-rank").textContent`); got != "You are #1 with 2 moves today." {
		t.Errorf("alice's own line: %q", got)
	}
	if got := browsertest.Eval[string](t, bob, `document.querySelector("#my-rank").textContent`); got != "You have not moved today." {
		t.Errorf("bob's own line: %q", got)
	}
	// bob's page names alice's player by her name now that it knows it.
	if got := browsertest.Eval[string](t, bob, `document.querySelector('`+player+` .owner').textContent`); got != "alice" {
		t.Errorf("bob's list names alice's player's owner %q", got)
	}

	// Back in the global room, alice has every public message, carol's
	// too.
	browsertest.Do(t, alice, chromedp.Click(chromedp.CSS(`#chat-tabs button[data-kind="public"]`)))
	waitUntil(t, alice, liveWait, `document.querySelector("#chat-log").textContent.includes("carol was here")`)
	if n := browsertest.Eval[int](t, alice, `document.querySelectorAll("#chat-log li").length`); n != 3 {
		t.Errorf("alice's global room shows %d messages, want 3", n)
	}
	browsertest.Screenshot(t, alice, "social-alice")
	browsertest.Screenshot(t, bob, "social-bob")
	browsertest.Do(t, bob, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	waitFor(t, bob, liveWait, record(2))
	browsertest.Screenshot(t, bob, "social-bob-phone")
}
