package storage

import (
	"errors"
	"sync"
)

// Class is what a database error means to a store, whatever the driver.
type Class int

// The classes of database error stores act on.
const (
	// Unknown is any other error, or none.
	Unknown Class = iota
	// Conflict: the database aborted the transaction in favour of a
	// concurrent one (serialization failure, deadlock). Running it again
	// may succeed; RunInTx does.
	Conflict
	// Busy: the database was locked by another connection for longer than
	// its timeout (SQLite). RunInTx runs the transaction again, too.
	Busy
	// UniqueViolation: a row with the same unique key exists. Stores turn
	// it into gamekit.ErrConflict, never a 500.
	UniqueViolation
	// ForeignKeyViolation: a row refers to one that does not exist.
	ForeignKeyViolation
)

// A Classifier names the Class of one driver's errors, or returns Unknown
// for errors that are not its driver's.
type Classifier func(error) Class

var (
	classifiersMu sync.RWMutex
	classifiers   []Classifier
)

// RegisterClassifier teaches Classify a driver's errors. The driver
// packages (storage/sqlite, storage/postgres) register theirs; a host on
// another driver whose errors have no SQLState method (mattn/go-sqlite3,
// say) registers a few lines of its own at start.
func RegisterClassifier(c Classifier) {
	classifiersMu.Lock()
	defer classifiersMu.Unlock()
	classifiers = append(classifiers, c)
}

// Classify returns the Class of err. An error anywhere in err's chain with
// a SQLState() string method (pgx's *pgconn.PgError, lib/pq's *pq.Error)
// is classified by its SQLSTATE; other drivers' errors by the registered
// Classifiers.
func Classify(err error) Class {
	if err == nil {
		return Unknown
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		if c := ClassOfSQLState(coded.SQLState()); c != Unknown {
			return c
		}
	}
	classifiersMu.RLock()
	defer classifiersMu.RUnlock()
	for _, classify := range classifiers {
		if c := classify(err); c != Unknown {
			return c
		}
	}
	return Unknown
}

// ClassOfSQLState maps a SQLSTATE code to its Class.
func ClassOfSQLState(code string) Class {
	switch code {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return Conflict
	case "55P03": // lock_not_available
		return Busy
	case "23505":
		return UniqueViolation
	case "23503":
		return ForeignKeyViolation
	}
	return Unknown
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// any database; stores turn it into a conflict.
func IsUniqueViolation(err error) bool { return Classify(err) == UniqueViolation }

// retryable reports whether err only says a concurrent transaction won.
func retryable(err error) bool {
	c := Classify(err)
	return c == Conflict || c == Busy
}

func (c Class) String() string {
	switch c {
	case Conflict:
		return "Conflict"
	case Busy:
		return "Busy"
	case UniqueViolation:
		return "UniqueViolation"
	case ForeignKeyViolation:
		return "ForeignKeyViolation"
	}
	return "Unknown"
}
