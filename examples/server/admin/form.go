package admin

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gamekit/gamekit"
)

// form is a submitted (or empty) form as a page shows it again: what was
// typed, and the messages for each field. Its field names are the API's,
// so a *gamekit.InvalidError from a store lands next to the field it names.
type form struct {
	values  url.Values
	fields  []string // the fields the page shows, which get their own messages
	errs    map[string][]string
	general []string // messages for the form as a whole
}

func newForm(values url.Values, fields ...string) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{values: values, fields: fields, errs: map[string][]string{}}
}

// parseForm reads a posted form of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request, fields ...string) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return newForm(r.PostForm, fields...), nil
}

// Value is what was typed in the field.
func (f *form) Value(name string) string { return f.values.Get(name) }

// Checked reports whether a checkbox was ticked.
func (f *form) Checked(name string) bool { return f.values.Get(name) != "" }

// Errors are the messages for one field.
func (f *form) Errors(name string) []string { return f.errs[name] }

// General are the messages for the form as a whole.
func (f *form) General() []string { return f.general }

// Invalid reports whether any message was added.
func (f *form) Invalid() bool { return len(f.errs) > 0 || len(f.general) > 0 }

// add records a message for a field, or for the form when the page does
// not show that field.
func (f *form) add(field, msg string) {
	if slices.Contains(f.fields, field) {
		f.errs[field] = append(f.errs[field], msg)
		return
	}
	f.general = append(f.general, fmt.Sprintf("%s: %s", field, msg))
}

// invalid adds the messages of a *gamekit.InvalidError and reports whether
// err was one (or any other invalid input, shown for the whole form).
func (f *form) invalid(err error) bool {
	var bad *gamekit.InvalidError
	switch {
	case errors.As(err, &bad):
		for _, field := range slices.Sorted(maps.Keys(bad.Fields)) {
			for _, msg := range bad.Fields[field] {
				f.add(field, msg)
			}
		}
		return true
	case errors.Is(err, gamekit.ErrInvalid):
		f.general = append(f.general, err.Error())
		return true
	}
	return false
}

// number reads a field as a finite or infinite float, as JSON would carry
// it; the store decides what is in range. It adds DRF's message when the
// text is no number.
func (f *form) number(field string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(f.Value(field)), 64)
	if err != nil {
		f.add(field, "A valid number is required.")
		return 0, false
	}
	return v, true
}

// integer reads a field as a whole number.
func (f *form) integer(field string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(f.Value(field)), 10, 64)
	if err != nil {
		f.add(field, "A valid integer is required.")
		return 0, false
	}
	return v, true
}

// ids reads every value of a multi-valued field (checkboxes) as ids,
// ignoring what is not one: a page only offers ids it listed.
func ids(values []string) []int64 {
	var out []int64
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
