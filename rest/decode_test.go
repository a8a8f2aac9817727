package rest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gamekit/gamekit"
	"github.com/gamekit/gamekit/rest"
)

type body struct {
	Name   *string  `json:"name"`
	Weight *float64 `json:"weight"`
	Items  *[]int64 `json:"items"`
	User   *int64   `json:"user"`
}

func TestUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in    string
		field string // the field named by the error; "" for a whole-body error, "-" for success
	}{
		{`{"name":"Guitar","weight":2.0}`, "-"},
		{` {"items":[1,2,3],"user":7} `, "-"},
		{`{}`, "-"},
		{`{"name":"a","name":"b"}`, "name"},
		{`{"items":[{"x":1,"x":2}]}`, "x"},
		{`{"colour":"red"}`, "colour"},
		{`{"weight":"heavy"}`, "weight"},
		{`{"weight":1e999}`, "weight"},
		{`{"user":1.5}`, "user"},
		{`{"user":99999999999999999999}`, "user"},
		{`{"items":[1,"2"]}`, "items"},
		{`{"items":{}}`, "items"},
		{`{"name":1}`, "name"},
		{`{"weight":NaN}`, ""},
		{`{"weight":-Infinity}`, ""},
		{`{"name":"x"} trailing`, ""},
		{`{"name":"x"}{"name":"y"}`, ""},
		{`{"name":"x"`, ""},
		{`[]`, ""},
		{`"text"`, ""},
		{`null`, ""},
		{``, ""},
		{`{"items":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, ""},
	} {
		var b body
		err := rest.Unmarshal([]byte(tc.in), &b)
		var invalid *gamekit.InvalidError
		switch {
		case tc.field == "-":
			if err != nil {
				t.Errorf("Unmarshal(%s): got %v, want success", tc.in, err)
			}
		case !errors.Is(err, gamekit.ErrInvalid):
			t.Errorf("Unmarshal(%s): got %v, want an invalid-input error", tc.in, err)
		case tc.field == "":
			if errors.As(err, &invalid) {
				t.Errorf("Unmarshal(%s): got field errors %v, want a whole-body error", tc.in, invalid.Fields)
			}
		case !errors.As(err, &invalid) || len(invalid.Fields[tc.field]) == 0:
			t.Errorf("Unmarshal(%s): got %v, want a message for %q", tc.in, err, tc.field)
		}
	}
}

// FuzzUnmarshal checks that the strict decoder never panics, and that what
// it accepts is what encoding/json would decode, with no key repeated.
func FuzzUnmarshal(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Guitar","weight":2.0}`, `{"items":[1,2],"user":3}`, `{"name":"a","name":"b"}`,
		`{"weight":1e999}`, `{"x":1}`, `{} {}`, `[`, `{"items":[[[]]]}`, `{"name":"\u00e9\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict body
		err := rest.Unmarshal(data, &strict)
		if err != nil {
			if !errors.Is(err, gamekit.ErrInvalid) {
				t.Fatalf("Unmarshal(%q): error of no kind: %v", data, err)
			}
			return
		}
		var lenient body
		if err := json.Unmarshal(data, &lenient); err != nil {
			t.Fatalf("strict accepted %q, encoding/json refused: %v", data, err)
		}
		if fmt.Sprint(deref(strict)) != fmt.Sprint(deref(lenient)) {
			t.Fatalf("Unmarshal(%q): got %v, encoding/json got %v", data, deref(strict), deref(lenient))
		}
	})
}

func deref(b body) []any {
	var out []any
	if b.Name != nil {
		out = append(out, *b.Name)
	}
	if b.Weight != nil {
		out = append(out, *b.Weight)
	}
	if b.Items != nil {
		out = append(out, *b.Items)
	}
	if b.User != nil {
		out = append(out, *b.User)
	}
	return out
}
