package sqlite

import "testing"

func TestReads(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"SELECT 1", true},
		{"  select n FROM t", true},
		{"-- a comment\nSELECT 1", true},
		{"/* a comment */ SELECT 1", true},
		{"SELECT 1;", true},
		{"SELECT 1; INSERT INTO t VALUES (1)", false},
		{"SELECT 1;\n-- trailing\nDELETE FROM t", false},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", false},
		{"INSERT INTO t VALUES (1) RETURNING id", false},
		{"UPDATE t SET n = 1", false},
		{"PRAGMA journal_mode", false},
		{"-- only a comment", false},
		{"/* unterminated", false},
		{"", false},
	} {
		if got := reads(tc.query); got != tc.want {
			t.Errorf("reads(%q): got %v, want %v", tc.query, got, tc.want)
		}
	}
}
