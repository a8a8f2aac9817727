package chat

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gamekit/gamekit"
)

// Message is one message in a room. Its JSON is
//
//	{"id":42,"room":1,"sender":7,"username":"alice","body":"gg",
//	 "created":"2026-12-03T20:00:00.123456Z","edited":null,"deleted":null,"deleted_by":null}
//
// A deleted message keeps its place in history with "body": "",
// "deleted" set and "deleted_by" "sender" or "moderator".
type Message struct {
	ID   int64
	Room int64
	// Sender and Username are the sender's user id and username, from the
	// identity they posted with.
	Sender   int64
	Username string
	// Body is the text: at most StoreOptions.MaxBodyLength characters of
	// valid UTF-8 with no control character but newline and tab. It is ""
	// once the message is deleted, except in History for a moderator when
	// a moderator deleted it.
	Body    string
	Created time.Time
	// Edited is when the sender last changed the body; nil if never.
	Edited *time.Time
	// Deleted is when the message was deleted; nil if it was not.
	Deleted *time.Time
	// DeletedBy is the user who deleted it: the sender, or a moderator.
	DeletedBy int64
}

// MarshalJSON writes the message as the API shows it (see Message).
func (m Message) MarshalJSON() ([]byte, error) {
	type view struct {
		ID        int64      `json:"id"`
		Room      int64      `json:"room"`
		Sender    int64      `json:"sender"`
		Username  string     `json:"username"`
		Body      string     `json:"body"`
		Created   time.Time  `json:"created"`
		Edited    *time.Time `json:"edited"`
		Deleted   *time.Time `json:"deleted"`
		DeletedBy *string    `json:"deleted_by"`
	}
	v := view{ID: m.ID, Room: m.Room, Sender: m.Sender, Username: m.Username, Body: m.Body,
		Created: m.Created, Edited: m.Edited, Deleted: m.Deleted}
	if m.Deleted != nil {
		by := "moderator"
		if m.DeletedBy == m.Sender {
			by = "sender"
		}
		v.DeletedBy = &by
	}
	return json.Marshal(v)
}

// DefaultMaxBodyLength is the longest body, in characters, unless
// StoreOptions.MaxBodyLength says otherwise.
const DefaultMaxBodyLength = 2000

// checkBody validates a message body, trimmed of surrounding white space
// (as Django REST framework trims a CharField): not blank, valid UTF-8,
// no control character but newline and tab (no NUL, no carriage return,
// no escape sequences), at most max characters.
func checkBody(body string, max int) (string, error) {
	if !utf8.ValidString(body) {
		return "", gamekit.Invalid("body", "Enter valid UTF-8 text.")
	}
	body = strings.TrimSpace(body)
	for _, r := range body {
		if r == '\n' || r == '\t' {
			continue
		}
		if r == 0 {
			return "", gamekit.Invalid("body", "Null characters are not allowed.")
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return "", gamekit.Invalid("body", "Control characters other than newline and tab are not allowed.")
		}
	}
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return "", gamekit.Invalid("body", "This field may not be blank.")
	case n > max:
		return "", gamekit.Invalid("body", "Ensure this field has no more than "+strconv.Itoa(max)+" characters.")
	}
	return body, nil
}
