package admin

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// AuditEntry is one change made through the admin: who made it, when, what
// it did to which object, and the object before and after as JSON (nil
// when it did not exist: before an add, after a delete). Sign-ins and
// sign-outs are entries too, of the object type "session".
type AuditEntry struct {
	ID       int64
	At       time.Time
	UserID   int64
	Username string
	// Action is what was done: "add", "change", "delete", "set admin",
	// "set password", "add items", "fire attack", "sign in", ...
	Action string
	// ObjectType is "user", "item", "inventory", "monster", "player",
	// "room" (of chat), "leaderboard" or "session"; ObjectID its id, 0
	// for a session and for an object whose id is not a number (a
	// leaderboard's), which ObjectKey names instead.
	ObjectType string
	ObjectID   int64
	ObjectKey  string
	Before     json.RawMessage
	After      json.RawMessage
}

// auditRecord is an entry as stored, its JSON as text.
type auditRecord struct {
	bun.BaseModel `bun:"table:gamekit_admin_audit,alias:audit"`

	ID         int64 `bun:",pk,autoincrement"`
	At         time.Time
	UserID     int64
	Username   string
	Action     string
	ObjectType string
	ObjectID   int64
	ObjectKey  string
	BeforeJSON sql.NullString
	AfterJSON  sql.NullString
}

func (rec *auditRecord) entry() AuditEntry {
	e := AuditEntry{ID: rec.ID, At: rec.At.UTC(), UserID: rec.UserID, Username: rec.Username,
		Action: rec.Action, ObjectType: rec.ObjectType, ObjectID: rec.ObjectID, ObjectKey: rec.ObjectKey}
	if rec.BeforeJSON.Valid {
		e.Before = json.RawMessage(rec.BeforeJSON.String)
	}
	if rec.AfterJSON.Valid {
		e.After = json.RawMessage(rec.AfterJSON.String)
	}
	return e
}

func nullJSON(raw json.RawMessage) sql.NullString {
	return sql.NullString{String: string(raw), Valid: raw != nil}
}

// AuditOptions select and page audit entries, newest first.
type AuditOptions struct {
	// ObjectType and ObjectID (or ObjectKey), when set, keep the entries
	// of one kind of object, or of one object.
	ObjectType string
	ObjectID   int64
	ObjectKey  string
	// Limit defaults to DefaultPageSize; Offset skips entries.
	Limit, Offset int
}

// auditLog is the audit table.
type auditLog struct {
	db  bun.IDB
	now func() time.Time
}

func (l *auditLog) add(ctx context.Context, e *AuditEntry) error {
	rec := auditRecord{
		At:     l.now().UTC().Truncate(time.Microsecond), // as precise as PostgreSQL keeps it
		UserID: e.UserID, Username: e.Username, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, ObjectKey: e.ObjectKey,
		BeforeJSON: nullJSON(e.Before), AfterJSON: nullJSON(e.After),
	}
	if _, err := l.db.NewInsert().Model(&rec).Returning("id").Exec(ctx); err != nil {
		return err
	}
	e.ID, e.At = rec.ID, rec.At
	return nil
}

func (l *auditLog) query(opts AuditOptions) *bun.SelectQuery {
	q := l.db.NewSelect().Model((*auditRecord)(nil))
	if opts.ObjectType != "" {
		q.Where("audit.object_type = ?", opts.ObjectType)
	}
	if opts.ObjectID != 0 {
		q.Where("audit.object_id = ?", opts.ObjectID)
	}
	if opts.ObjectKey != "" {
		q.Where("audit.object_key = ?", opts.ObjectKey)
	}
	return q
}

// Audit lists the audit trail, newest first.
func (a *Admin) Audit(ctx context.Context, opts AuditOptions) ([]AuditEntry, error) {
	var recs []auditRecord
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	err := a.audit.query(opts).Model(&recs).OrderExpr("audit.id DESC").
		Limit(int64(limit)).Offset(int64(max(opts.Offset, 0))).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: audit: %w", err)
	}
	entries := make([]AuditEntry, len(recs))
	for i := range recs {
		entries[i] = recs[i].entry()
	}
	return entries, nil
}

// CountAudit counts the entries opts select.
func (a *Admin) CountAudit(ctx context.Context, opts AuditOptions) (int, error) {
	n, err := a.audit.query(opts).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("admin: count audit: %w", err)
	}
	return int(n), nil
}

// record writes the audit entry of a change that was made. The stores own
// their transactions (they announce changes after committing), so the
// entry is written just after the change, not in its transaction; if it
// cannot be written the change stands, and the failure is logged as an
// error for the operator, with the entry, so nothing is lost silently.
func (a *Admin) record(r *http.Request, s *session, action, objectType string, objectID int64, before, after any) {
	a.recordEntry(r, &AuditEntry{UserID: s.user.ID, Username: s.user.Username, Action: action,
		ObjectType: objectType, ObjectID: objectID, Before: snapshot(before), After: snapshot(after)})
}

// recordKeyed is record for an object named by a key, not a number.
func (a *Admin) recordKeyed(r *http.Request, s *session, action, objectType, key string, before, after any) {
	a.recordEntry(r, &AuditEntry{UserID: s.user.ID, Username: s.user.Username, Action: action,
		ObjectType: objectType, ObjectKey: key, Before: snapshot(before), After: snapshot(after)})
}

func (a *Admin) recordEntry(r *http.Request, e *AuditEntry) {
	if err := a.audit.add(background(r), e); err != nil {
		a.logger.ErrorContext(r.Context(), "admin: audit entry not written", "err", err,
			"user", e.UserID, "action", e.Action, "object_type", e.ObjectType, "object_id", e.ObjectID,
			"object_key", e.ObjectKey, "before", string(e.Before), "after", string(e.After))
	}
}

// snapshot is v as JSON, nil for nil.
func snapshot(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the pages escape; the trail keeps "<" as typed
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		enc.Encode(map[string]string{"error": err.Error()})
	}
	b := bytes.TrimSpace(buf.Bytes())
	if string(b) == "null" {
		return nil
	}
	return b
}

type auditView struct {
	Filter  string
	Entries []auditRow
	Pager   pager
}

type auditRow struct {
	At, Who, Action, Object, ObjectURL string
	Before, After                      string
}

// auditPage lists the audit trail, newest first; ?type= and ?id= narrow it
// to a kind of object or one object.
func (a *Admin) auditPage(w http.ResponseWriter, r *http.Request, s *session) {
	opts := AuditOptions{ObjectType: r.URL.Query().Get("type"), ObjectKey: r.URL.Query().Get("key")}
	opts.ObjectID, _ = strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	page, offset := pageOf(r, "page", a.pageSize)
	opts.Limit, opts.Offset = a.pageSize+1, offset
	entries, err := a.Audit(r.Context(), opts)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	total, err := a.CountAudit(r.Context(), opts)
	if err != nil {
		a.fail(w, r, s, err)
		return
	}
	more := len(entries) > a.pageSize
	entries = entries[:min(len(entries), a.pageSize)]
	v := auditView{Pager: newPager(r, "page", page, a.pageSize, len(entries), more, total)}
	if opts.ObjectType != "" {
		v.Filter = opts.ObjectType
		if opts.ObjectID != 0 {
			v.Filter += fmt.Sprintf(" #%d", opts.ObjectID)
		}
		if opts.ObjectKey != "" {
			v.Filter += " " + opts.ObjectKey
		}
	}
	for _, e := range entries {
		row := auditRow{At: e.At.Format(timeLayout), Who: e.Username, Action: e.Action,
			Before: indentJSON(e.Before), After: indentJSON(e.After)}
		switch {
		case e.ObjectType == "session":
		case e.ObjectKey != "":
			row.Object = e.ObjectType + " " + e.ObjectKey
			if e.Action != "delete" {
				row.ObjectURL = a.path(plural(e.ObjectType), url.PathEscape(e.ObjectKey)) + "/"
			}
		default:
			row.Object = fmt.Sprintf("%s #%d", e.ObjectType, e.ObjectID)
			if e.Action != "delete" {
				row.ObjectURL = a.path(plural(e.ObjectType), e.ObjectID) + "/"
			}
		}
		v.Entries = append(v.Entries, row)
	}
	a.render(w, r, s, http.StatusOK, "audit", "Audit trail", v)
}

// timeLayout is how pages show times: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 UTC"

func indentJSON(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// plural is the section of the admin that lists objects of a type.
func plural(objectType string) string {
	switch objectType {
	case "inventory":
		return "inventories"
	case "room":
		return "chat"
	}
	return objectType + "s"
}
