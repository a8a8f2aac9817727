package leaderboards

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gamekit/gamekit"
)

// MaxUsernameLength is the longest username a record keeps, in
// characters: Django's, as for players.
const MaxUsernameLength = 150

// Record is a user's score on a board in one period, with its rank. The
// JSON is {"rank":1,"user":7,"username":"alice","score":1200,"subscore":0,
// "metadata":{},"updated_at":"..."}.
type Record struct {
	// Rank is the record's place in its period, from 1: one more than the
	// number of records ranked before it. Records never share a rank:
	// equal scores are ordered by subscore (in the board's order), then
	// by the time of the record (earlier first), then by user id. 0 in an
	// event means the rank was not counted (see StoreOptions.RankDepth).
	Rank     int64  `json:"rank"`
	UserID   int64  `json:"user"`
	Username string `json:"username"`
	Score    int64  `json:"score"`
	Subscore int64  `json:"subscore"`
	// Metadata is the JSON object last submitted with a change of the
	// record ({} when none was).
	Metadata json.RawMessage `json:"metadata"`
	// UpdatedAt is when the record last changed: a Best submit that is no
	// better leaves it, so of two equal scores the earlier ranks first.
	UpdatedAt time.Time `json:"updated_at"`
}

// key is a record's place in the order of its board, as stored: the
// score and subscore multiplied by the board's sign, the time in Unix
// microseconds, the user. Less is better.
type key struct {
	score, subscore, at, user int64
}

// first is before every record's key.
var first = key{-1 << 63, -1 << 63, -1 << 63, -1 << 63}

func (r Record) key(sign int64) key {
	return key{r.Score * sign, r.Subscore * sign, r.UpdatedAt.UnixMicro(), r.UserID}
}

// Submission is a score offered for a record: what CheckSubmit judges.
type Submission struct {
	Score    int64           `json:"score"`
	Subscore int64           `json:"subscore"`
	Metadata json.RawMessage `json:"metadata"`
}

// validSubmit checks what Submit is given, and returns the metadata to
// store: nil (keep what the record has, {} for a new one) or a compact
// JSON object.
func validSubmit(userID int64, username string, score, subscore int64, metadata json.RawMessage) (*string, error) {
	bad := &gamekit.InvalidError{}
	if userID < 1 {
		bad.Add("user", "Ensure this value is greater than or equal to 1.")
	}
	switch {
	case utf8.RuneCountInString(username) > MaxUsernameLength:
		bad.Add("username", "Ensure this field has no more than 150 characters.")
	case !utf8.ValidString(username):
		bad.Add("username", "Enter valid UTF-8 text.")
	case strings.ContainsRune(username, 0):
		bad.Add("username", "Null characters are not allowed.")
	}
	inRange(bad, "score", score)
	inRange(bad, "subscore", subscore)
	var meta *string
	if len(metadata) > 0 && string(metadata) != "null" {
		var obj map[string]any
		var buf bytes.Buffer
		switch {
		case len(metadata) > MaxMetadataBytes:
			bad.Add("metadata", "Ensure this field has no more than "+strconv.Itoa(MaxMetadataBytes)+" bytes.")
		case !utf8.Valid(metadata) || json.Unmarshal(metadata, &obj) != nil || obj == nil:
			bad.Add("metadata", "Enter a JSON object.")
		case bytes.Contains(metadata, []byte(`\u0000`)):
			bad.Add("metadata", "Null characters are not allowed.")
		case json.Compact(&buf, metadata) != nil:
			bad.Add("metadata", "Enter a JSON object.")
		default:
			s := buf.String()
			meta = &s
		}
	}
	return meta, bad.Err()
}

func inRange(bad *gamekit.InvalidError, field string, v int64) {
	if v < -MaxScore || v > MaxScore {
		bad.Add(field, "Ensure this value is between -"+strconv.FormatInt(MaxScore, 10)+" and "+strconv.FormatInt(MaxScore, 10)+".")
	}
}
