//go:build !unix

package sqlite

import "errors"

// mapWALIndex is not written for this system: every read of a version runs
// its query.
func mapWALIndex(name string) (*walIndex, error) {
	return nil, errors.New("sqlite: WAL index not mapped on this system")
}
