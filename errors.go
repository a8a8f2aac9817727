package gamekit

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The error kinds. Every package wraps one of them, so callers and the HTTP
// and realtime layers can decide with errors.Is what happened without knowing
// which package failed.
var (
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrInvalid         = errors.New("invalid input")
	ErrRateLimited     = errors.New("rate limited")
)

// Errorf returns an error of the given kind whose message is the formatted
// text alone, so a package can say "inventory: item not found" and still
// satisfy errors.Is(err, ErrNotFound). A %w verb in format wraps as usual.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// InvalidError reports bad input field by field, so an API can tell a
// client exactly what to fix. It is of kind ErrInvalid.
type InvalidError struct {
	Fields map[string][]string
}

// Add records a message against a field.
func (e *InvalidError) Add(field, message string) {
	if e.Fields == nil {
		e.Fields = make(map[string][]string)
	}
	e.Fields[field] = append(e.Fields[field], message)
}

// Err returns e when any field has a message, and nil otherwise, so
// validation code can collect messages and return e.Err() at the end.
func (e *InvalidError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input:")
	for _, field := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, " %s: %s;", field, strings.Join(e.Fields[field], " "))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns an InvalidError with one message for one field.
func Invalid(field, message string) error {
	e := &InvalidError{}
	e.Add(field, message)
	return e
}

// RateLimitError says a caller must wait before trying again. It is of kind
// ErrRateLimited; HTTP turns RetryAfter into a Retry-After header.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("rate limited: retry in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// OptionError is how every constructor refuses an option: a programming
// error, reported once at start rather than on the first request, in one
// style: "players: StoreOptions.Rate is -1: want a positive number of
// moves, or 0 for the default".
type OptionError struct {
	// Option is the package and the field: "players: StoreOptions.Rate".
	Option string
	// Value is what was given.
	Value any
	// Want says what is accepted.
	Want string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s is %v: want %s", e.Option, e.Value, e.Want)
}
