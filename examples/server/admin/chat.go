package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/chat"
	"github.com/gamekit/gamekit/rest"
)

// moderator is the identity the admin acts with in chat: the signed-in
// admin, whom the store lets read every room, delete any message and mute.
func (s *session) moderator() gamekit.Identity {
	return gamekit.Identity{UserID: s.user.ID, Username: s.user.Username, Admin: true}
}

// roomKinds are the kinds the room list filters by, with their labels.
var roomKinds = []struct {
	kind  chat.Kind
	label string
}{{"", "Every kind"}, {chat.Public, "Public"}, {chat.Group, "Group"}, {chat.Direct, "Direct message"}}

// roomList lists the rooms by id, searchable by name and filtered by kind.
func (a *Admin) roomList(w http.ResponseWriter, r *http.Request, s *session) {
	q := search(r)
	kind := chat.Kind(r.URL.Query().Get("kind"))
	f := &filter{Name: "kind", Label: "Kind"}
	known := false
	for _, k := range roomKinds {
		f.Options = append(f.Options, option{Value: string(k.kind), Label: k.label, Selected: k.kind == kind})
		known = known || k.kind == kind
	}
	if !known {
		a.fail(w, r, s, gamekit.Invalid("kind", `Choose "public", "group" or "dm".`))
		return
	}
	page, offset := pageOf(r, "page", a.pageSize)
	opts := chat.RoomListOptions{Search: q, Kind: kind}
	l, err := readPage(r.Context(), pageRequest{page: page, size: a.pageSize, offset: offset, sort: "id", counted: q == ""},
		func(ctx context.Context, _ string, limit, offset int) ([]chat.Room, error) {
			o := opts
			o.Limit, o.Offset = limit, offset
			return a.chat.Rooms(ctx, o)
		},
		func(ctx context.Context) (int, error) { return a.chat.CountRooms(ctx, opts) })
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := listView{Noun: "room", Search: "Search names", SearchValue: q, Filter: f,
		Columns: sortable(r, "", []string{"ID", "Kind", "Name", "Members", "Messages", "Last message"}, make([]string, 6)),
		Pager:   newPager(r, "page", page, a.pageSize, len(l.rows), l.more, l.total),
		Note:    "Public rooms are made by the game server; groups by players; a direct message's room by its first message. Mutes in force are under Mutes."}
	for _, room := range l.rows {
		last := "never"
		if room.LastMessage != nil {
			last = formatTime(*room.LastMessage)
		}
		members := strconv.Itoa(room.Members)
		if room.Kind == chat.Public {
			members = "everyone"
		}
		v.Rows = append(v.Rows, listRow{URL: a.path("chat", room.ID) + "/", Cells: []string{
			strconv.FormatInt(room.ID, 10), string(room.Kind), roomName(room), members, strconv.FormatInt(room.Messages, 10), last}})
	}
	a.render(w, r, s, http.StatusOK, "list", "Chat rooms", v)
}

// roomName is what the pages call a room: its name, or a DM's two users.
func roomName(room chat.Room) string {
	if low, high, ok := room.Users(); ok {
		return fmt.Sprintf("DM of users #%d and #%d", low, high)
	}
	return room.Name
}

type roomView struct {
	Room    chat.Room
	Name    string
	Owner   string
	Members []chat.Member
	// Messages are a page of history, oldest first, as a moderator sees
	// it: the bodies of messages a moderator deleted are kept.
	Messages  []messageRow
	OlderURL  string
	NewestURL string
	Mutes     []muteRow
	Mute      muteFormView
	Actions   []link
}

type messageRow struct {
	ID                 int64
	At, Username, Body string
	Sender             int64
	Edited             bool
	// Deleted says who deleted it ("" when nobody did): "sender", whose
	// deletion erases the body, or "moderator", whose deletion keeps it
	// for these pages.
	Deleted   string
	DeletedAt string
	DeleteURL string
}

// muteFormView is the form to mute a user, and the page it is on: a
// room's (Back, its id) or the mutes page (0).
type muteFormView struct {
	Form   *form
	Action string
	Back   int64
}

func (a *Admin) muteForm(f *form, back int64) muteFormView {
	return muteFormView{Form: f, Action: a.path("chat", "mutes", "add"), Back: back}
}

type muteRow struct {
	UserURL    string
	UnmuteURL  string
	User       int64
	Username   string
	Room       int64 // 0: every room
	RoomURL    string
	Until      string
	Reason     string
	By         string
	UnmuteBack int64 // the room page to come back to, 0 for the mutes page
}

// muteFields are the fields of the mute form.
var muteFields = []string{"user", "room", "until", "reason"}

// newMuteForm is an empty mute form for room (0: every room).
func newMuteForm(room int64) *form {
	f := newForm(nil, muteFields...)
	f.values.Set("until", "1h")
	if room != 0 {
		f.values.Set("room", strconv.FormatInt(room, 10))
	}
	return f
}

// roomPage shows a room as a moderator reads it: its members, a page of
// its history with every message's delete button, and its mutes with a
// form to mute a user there or everywhere. ?before= pages back.
func (a *Admin) roomPage(w http.ResponseWriter, r *http.Request, s *session) {
	room, ok := a.room(w, r, s)
	if !ok {
		return
	}
	a.renderRoom(w, r, s, room, http.StatusOK, newMuteForm(room.ID))
}

// room reads the room the path names.
func (a *Admin) room(w http.ResponseWriter, r *http.Request, s *session) (chat.Room, bool) {
	return object(a, w, r, s, func(ctx context.Context, id int64) (chat.Room, error) {
		return a.chat.Room(ctx, id, s.moderator())
	})
}

func (a *Admin) renderRoom(w http.ResponseWriter, r *http.Request, s *session, room chat.Room, status int, mute *form) {
	ctx, by := r.Context(), s.moderator()
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	history, err := a.chat.History(ctx, room.ID, by, chat.HistoryOptions{Before: max(before, 0), Limit: a.pageSize, Moderation: true})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v := roomView{Room: room, Name: roomName(room), Mute: a.muteForm(mute, room.ID), Actions: []link{
		{"Every room", a.path("chat") + "/"},
		{"Mutes", a.path("chat", "mutes") + "/"},
		{"Audit trail", a.auditURL("room", room.ID)},
	}}
	if room.OwnerID != 0 {
		v.Owner = a.username(ctx, room.OwnerID)
	}
	if room.Kind != chat.Public {
		if v.Members, err = a.chat.Members(ctx, room.ID, by, a.pageSize, 0); err != nil {
			a.fail(w, r, s, err)
			return
		}
	}
	for _, m := range history {
		row := messageRow{ID: m.ID, At: formatTime(m.Created), Username: m.Username, Sender: m.Sender, Body: m.Body, Edited: m.Edited != nil}
		switch {
		case m.Deleted == nil:
			row.DeleteURL = a.path("chat", room.ID, "messages", m.ID, "delete")
		case m.DeletedBy == m.Sender:
			row.Deleted, row.DeletedAt = "sender", formatTime(*m.Deleted)
		default:
			row.Deleted, row.DeletedAt = "moderator", formatTime(*m.Deleted)
		}
		v.Messages = append(v.Messages, row)
	}
	if len(history) == a.pageSize {
		v.OlderURL = fmt.Sprintf("%s?before=%d", a.path("chat", room.ID)+"/", history[0].ID)
	}
	if before > 0 {
		v.NewestURL = a.path("chat", room.ID) + "/"
	}
	mutes, err := a.chat.Mutes(ctx, by, chat.MuteListOptions{Room: room.ID, Limit: a.pageSize})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	v.Mutes = a.muteRows(ctx, mutes, room.ID)
	a.render(w, r, s, status, "room", "Room "+v.Name, v)
}

// username names a user for a page, "" when the user is gone.
func (a *Admin) username(ctx context.Context, id int64) string {
	u, err := a.acc.User(ctx, id)
	if err != nil {
		return ""
	}
	return u.Username
}

func (a *Admin) muteRows(ctx context.Context, mutes []chat.Mute, back int64) []muteRow {
	names := map[int64]string{}
	name := func(id int64) string {
		n, ok := names[id]
		if !ok {
			n = a.username(ctx, id)
			names[id] = n
		}
		return n
	}
	rows := make([]muteRow, 0, len(mutes))
	for _, m := range mutes {
		row := muteRow{UserURL: a.path("users", m.User) + "/", UnmuteURL: a.path("chat", "mutes", "remove"), User: m.User, Username: name(m.User), Room: m.Room, Until: formatTime(m.Until), Reason: m.Reason,
			By: name(m.By), UnmuteBack: back}
		if m.Room != 0 {
			row.RoomURL = a.path("chat", m.Room) + "/"
		}
		rows = append(rows, row)
	}
	return rows
}

// messageSnapshot is a message as the audit trail records it, its body
// included (the moderator's deletion keeps it).
type messageSnapshot struct {
	ID        int64      `json:"id"`
	Room      int64      `json:"room"`
	Sender    int64      `json:"sender"`
	Username  string     `json:"username"`
	Body      string     `json:"body"`
	Created   time.Time  `json:"created"`
	Deleted   *time.Time `json:"deleted,omitempty"`
	DeletedBy int64      `json:"deleted_by,omitempty"`
}

func snapMessage(m chat.Message) messageSnapshot {
	return messageSnapshot{ID: m.ID, Room: m.Room, Sender: m.Sender, Username: m.Username, Body: m.Body,
		Created: m.Created, Deleted: m.Deleted, DeletedBy: m.DeletedBy}
}

// message reads message id of room as a moderator sees it.
func (a *Admin) message(ctx context.Context, room, id int64, by gamekit.Identity) (chat.Message, error) {
	page, err := a.chat.History(ctx, room, by, chat.HistoryOptions{Since: id - 1, Limit: 1, Moderation: true})
	if err != nil {
		return chat.Message{}, err
	}
	if len(page) == 0 || page[0].ID != id {
		return chat.Message{}, chat.ErrMessageNotFound
	}
	return page[0], nil
}

// messageDelete deletes a message as a moderator: its body is kept for
// these pages and hidden from everyone else.
func (a *Admin) messageDelete(w http.ResponseWriter, r *http.Request, s *session) {
	room, ok := a.room(w, r, s)
	if !ok {
		return
	}
	id, err := rest.ID(r, "message")
	var before chat.Message
	if err == nil {
		before, err = a.message(r.Context(), room.ID, id, s.moderator())
	}
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	back := a.path("chat", room.ID) + "/"
	if before.Deleted != nil { // deleted already: nothing changes, nothing to audit
		redirect(w, r, back, "deleted")
		return
	}
	after, err := a.chat.DeleteMessage(r.Context(), room.ID, id, s.moderator())
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	a.record(r, s, "delete message", "room", room.ID, snapMessage(before), snapMessage(after))
	redirect(w, r, back, "deleted")
}

type mutesView struct {
	Mutes []muteRow
	Mute  muteFormView
	Pager pager
}

// muteList lists the mutes in force, soonest to end first, with a form
// to mute a user.
func (a *Admin) muteList(w http.ResponseWriter, r *http.Request, s *session) {
	a.renderMutes(w, r, s, http.StatusOK, newMuteForm(0))
}

func (a *Admin) renderMutes(w http.ResponseWriter, r *http.Request, s *session, status int, f *form) {
	page, offset := pageOf(r, "page", a.pageSize)
	mutes, err := a.chat.Mutes(r.Context(), s.moderator(), chat.MuteListOptions{Limit: a.pageSize + 1, Offset: offset})
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	more := len(mutes) > a.pageSize
	mutes = mutes[:min(len(mutes), a.pageSize)]
	total := -1
	if !more {
		total = offset + len(mutes)
	}
	v := mutesView{Mutes: a.muteRows(r.Context(), mutes, 0), Mute: a.muteForm(f, 0),
		Pager: newPager(r, "page", page, a.pageSize, len(mutes), more, total)}
	a.render(w, r, s, status, "mutes", "Mutes", v)
}

// muteBack reads the page a mute form came from: a room's (its id), or
// the mutes page (0).
func muteBack(f *form) int64 {
	back, err := strconv.ParseInt(f.Value("back"), 10, 64)
	if err != nil || back < 0 {
		return 0
	}
	return back
}

// muteAdd mutes a user in a room, or in every room, until a time. A form
// the store refuses is shown again, on the page it came from.
func (a *Admin) muteAdd(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, muteFields...)
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	back := muteBack(f)
	ctx := r.Context()
	u, userOK, err := a.findUser(ctx, f, "user")
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	m := chat.Mute{User: u.ID, Reason: f.Value("reason")}
	roomOK := true
	if text := strings.TrimSpace(f.Value("room")); text != "" {
		if m.Room, err = strconv.ParseInt(text, 10, 64); err != nil || m.Room < 1 {
			f.add("room", "Give a room's id, or leave it empty for every room.")
			roomOK = false
		}
	}
	until, untilOK := readUntil(f, a.now())
	m.Until = until
	if userOK && roomOK && untilOK {
		previous := a.mute(ctx, s, m.User, m.Room)
		saved, err := a.chat.Mute(ctx, s.moderator(), m)
		if err == nil {
			var before any
			if previous != nil {
				before = snapMute(*previous)
			}
			a.record(r, s, "mute", "user", saved.User, before, snapMute(saved))
			redirect(w, r, a.muteReturn(back), "muted")
			return
		}
		if !f.invalid(err) {
			if errors.Is(err, gamekit.ErrNotFound) {
				f.add("room", fmt.Sprintf("There is no room #%d.", m.Room))
			} else {
				a.fail(w, r, s, err)
				return
			}
		}
	}
	a.showMuteForm(w, r, s, back, f)
}

// showMuteForm shows a refused mute form again on the page it came from.
func (a *Admin) showMuteForm(w http.ResponseWriter, r *http.Request, s *session, back int64, f *form) {
	if back == 0 {
		a.renderMutes(w, r, s, http.StatusBadRequest, f)
		return
	}
	room, err := a.chat.Room(r.Context(), back, s.moderator())
	if err != nil {
		a.renderMutes(w, r, s, http.StatusBadRequest, f)
		return
	}
	a.renderRoom(w, r, s, room, http.StatusBadRequest, f)
}

func (a *Admin) muteReturn(back int64) string {
	if back == 0 {
		return a.path("chat", "mutes") + "/"
	}
	return a.path("chat", back) + "/"
}

// mute finds the mute of user in room (0: every room), in force or
// ended, or nil.
func (a *Admin) mute(ctx context.Context, s *session, user, room int64) *chat.Mute {
	mutes, err := a.chat.Mutes(ctx, s.moderator(), chat.MuteListOptions{User: user, Room: room, Expired: true})
	if err != nil {
		return nil
	}
	for _, m := range mutes {
		if m.Room == room {
			return &m
		}
	}
	return nil
}

// muteSnapshot is a mute as the audit trail records it.
type muteSnapshot struct {
	User   int64     `json:"user"`
	Room   *int64    `json:"room"` // null: every room
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

func snapMute(m chat.Mute) muteSnapshot {
	snap := muteSnapshot{User: m.User, Until: m.Until.UTC(), Reason: m.Reason}
	if m.Room != 0 {
		snap.Room = &m.Room
	}
	return snap
}

// muteRemove lifts a user's mute in a room, or their mute everywhere.
func (a *Admin) muteRemove(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := parseForm(w, r, "user", "room")
	if err != nil {
		a.fail(w, r, s, gamekit.Invalid("form", err.Error()))
		return
	}
	user, userOK := f.integer("user")
	room := int64(0)
	roomOK := true
	if text := strings.TrimSpace(f.Value("room")); text != "" && text != "0" {
		room, roomOK = f.integer("room")
	}
	if !userOK || !roomOK {
		a.fail(w, r, s, gamekit.Invalid("form", "The form names no mute."))
		return
	}
	previous := a.mute(r.Context(), s, user, room)
	if err := a.chat.Unmute(r.Context(), s.moderator(), room, user); err != nil {
		a.fail(w, r, s, err)
		return
	}
	var before any
	if previous != nil {
		before = snapMute(*previous)
	}
	a.record(r, s, "unmute", "user", user, before, nil)
	redirect(w, r, a.muteReturn(muteBack(f)), "unmuted")
}

// untilLayouts are the times the mute form reads, in UTC.
var untilLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", time.RFC3339, "2006-01-02"}

// readUntil reads when a mute ends: a duration from now ("30m", "2h",
// "7d") or a time in UTC ("2026-12-03 20:00"). The store checks that it
// is in the future.
func readUntil(f *form, now time.Time) (time.Time, bool) {
	text := strings.TrimSpace(f.Value("until"))
	if days, ok := strings.CutSuffix(text, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 3650 {
			return now.Add(time.Duration(n) * 24 * time.Hour), true
		}
	}
	if d, err := time.ParseDuration(text); err == nil && d > 0 {
		return now.Add(d), true
	}
	for _, layout := range untilLayouts {
		if t, err := time.ParseInLocation(layout, text, time.UTC); err == nil {
			return t, true
		}
	}
	f.add("until", "Enter a duration from now (30m, 2h, 7d) or a time in UTC (2026-12-03 20:00).")
	return time.Time{}, false
}
