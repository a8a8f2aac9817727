package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/gamekit/gamekit"
)

// Decode reads r's body, a single JSON object, into dst (a pointer to a
// struct). It refuses, with an error WriteError turns into the right
// status, anything a lenient decoder would quietly accept: a body over
// MaxBodyBytes (413), a content type other than JSON (415 as 400), malformed
// JSON, trailing data after the object, a key given twice, a key dst has no
// field for, and a value of the wrong type or out of range (400 naming the
// field). Nothing is stored on any of these, because the handler never
// sees a value.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return gamekit.Errorf(gamekit.ErrInvalid, "Unsupported media type %q in request; send application/json.", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return err
	}
	return Unmarshal(body, dst)
}

// Unmarshal is Decode's strict decoding of a body already read.
func Unmarshal(body []byte, dst any) error {
	if err := checkObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

// maxDepth bounds the nesting of a body, so a megabyte of "[" costs
// nothing; our bodies are flat.
const maxDepth = 32

// checkObject makes sure body is exactly one JSON object in which no object
// repeats a key; encoding/json would silently keep the last of two.
func checkObject(body []byte) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return parseError("the body is empty")
	}
	if trimmed[0] != '{' {
		return parseError("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := checkValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return parseError("unexpected data after the JSON object")
	}
	return nil
}

func checkValue(dec *json.Decoder, depth int) error {
	if depth > maxDepth {
		return parseError("nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return parseError(err.Error())
	}
	switch tok {
	case json.Delim('{'):
		seen := make(map[string]bool)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return parseError(err.Error())
			}
			key := tok.(string) // inside an object the decoder yields only string keys here
			if seen[key] {
				return gamekit.Invalid(key, "This key appears more than once.")
			}
			seen[key] = true
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return parseError(err.Error())
	}
	return nil
}

func parseError(msg string) error {
	return gamekit.Errorf(gamekit.ErrInvalid, "JSON parse error - %s", msg)
}

// decodeError turns encoding/json's complaints into per-field messages in
// DRF's words.
func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return parseError("expected a JSON object")
		}
		return gamekit.Invalid(field, expected(typeErr.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return gamekit.Invalid(field, "This field is not allowed.")
	default:
		return parseError(err.Error())
	}
}

// expected says what a field of type t takes.
func expected(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "A valid number is required."
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "A valid integer is required."
	case reflect.String:
		return "Not a valid string."
	case reflect.Bool:
		return "Must be a valid boolean."
	case reflect.Slice, reflect.Array:
		return "Expected a list of items but got a different type."
	default:
		return "Invalid value."
	}
}
