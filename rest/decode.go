package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gamekit/gamekit"
)

// Decode reads r's body, a single JSON object, into dst (a pointer to a
// struct). It refuses, with an error WriteError turns into the right
// status, anything a lenient decoder would quietly accept: a body over
// MaxBodyBytes (413), a body whose content type is missing or not JSON
// (415), and everything Unmarshal refuses (400). Nothing is stored on any
// of these, because the handler never sees a value.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &mediaTypeError{ct}
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return &mediaTypeError{ct} // JSON is UTF-8; a body in another charset would be misread
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return err
	}
	if ct == "" && len(bytes.TrimSpace(body)) > 0 {
		return &mediaTypeError{ct}
	}
	return Unmarshal(body, dst)
}

// mediaTypeError is a body sent without the JSON content type: 415.
type mediaTypeError struct{ contentType string }

func (e *mediaTypeError) Error() string {
	if e.contentType == "" {
		return `Unsupported media type "" in request; send Content-Type: application/json.`
	}
	return fmt.Sprintf("Unsupported media type %q in request.", e.contentType)
}

// Unmarshal is Decode's strict decoding of a body already read. It
// refuses malformed JSON, invalid UTF-8, lone surrogates (\ud800), NUL
// characters in strings, trailing data after the object, a key given
// twice, a key that is not exactly one of dst's field names (encoding/json
// alone would take "Name" for "name", and get around the check for
// repeated keys), and a value of the wrong type or out of range (400 naming
// the field).
func Unmarshal(body []byte, dst any) error {
	if err := checkText(body); err != nil {
		return err
	}
	keys, err := checkObject(body)
	if err != nil {
		return err
	}
	if err := checkKeys(keys, dst); err != nil {
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
// repeats a key (encoding/json would silently keep the last of two), and
// returns the keys of the outermost object.
func checkObject(body []byte) ([]string, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, parseError("the body is empty")
	}
	if trimmed[0] != '{' {
		return nil, parseError("expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var keys []string
	if err := checkValue(dec, 0, &keys); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, parseError("unexpected data after the JSON object")
	}
	return keys, nil
}

// checkValue checks the next value of dec, appending the keys of an
// object at depth 0 to keys.
func checkValue(dec *json.Decoder, depth int, keys *[]string) error {
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
			if depth == 0 {
				*keys = append(*keys, key)
			}
			if err := checkValue(dec, depth+1, keys); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec, depth+1, keys); err != nil {
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

// checkText refuses text encoding/json would quietly turn into U+FFFD
// (invalid UTF-8, a lone surrogate escape such as \ud800) and NUL
// characters (\u0000), which no database column holds.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		return parseError("the body is not valid UTF-8")
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' { // in valid JSON a backslash opens an escape in a string
			continue
		}
		i++ // the escaped character: "\\" is skipped whole
		if i >= len(body) || body[i] != 'u' {
			continue
		}
		r, ok := hex4(body, i+1)
		if !ok {
			continue // malformed: the decoder says so
		}
		i += 4
		switch {
		case r == 0:
			return parseError(nullCharacters)
		case utf16.IsSurrogate(r) && r < 0xdc00: // high: a low one must follow
			if i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				if low, ok := hex4(body, i+3); ok && utf16.IsSurrogate(low) && low >= 0xdc00 {
					i += 6
					continue
				}
			}
			return parseError(`a lone surrogate (\u` + string(body[i-3:i+1]) + `) is not a character`)
		case utf16.IsSurrogate(r):
			return parseError(`a lone surrogate (\u` + string(body[i-3:i+1]) + `) is not a character`)
		}
	}
	return nil
}

// hex4 reads the four hex digits at body[i:].
func hex4(body []byte, i int) (rune, bool) {
	if i+4 > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// checkKeys refuses a key of the outermost object that is not exactly the
// name of one of dst's fields: encoding/json matches names ignoring case.
func checkKeys(keys []string, dst any) error {
	names := fieldNames(reflect.TypeOf(dst))
	if names == nil {
		return nil
	}
	for _, key := range keys {
		if !names[key] {
			return gamekit.Invalid(key, "This field is not allowed.")
		}
	}
	return nil
}

var fieldNamesCache sync.Map // reflect.Type → map[string]bool

// fieldNames returns the JSON names of the fields of the struct t points
// to, or nil when t is not a pointer to a struct that encoding/json decodes
// field by field.
func fieldNames(t reflect.Type) map[string]bool {
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct ||
		t.Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return nil
	}
	if names, ok := fieldNamesCache.Load(t); ok {
		return names.(map[string]bool)
	}
	names := map[string]bool{}
	addFieldNames(t.Elem(), names)
	fieldNamesCache.Store(t, names)
	return names
}

func addFieldNames(t reflect.Type, names map[string]bool) {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			addFieldNames(f.Type, names)
		case !f.IsExported():
		case name == "":
			names[f.Name] = true
		default:
			names[name] = true
		}
	}
}
