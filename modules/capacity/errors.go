package capacity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Sentinel errors classify every problem this package reports. Match them
// with errors.Is; the typed errors below (FieldError, EntryError,
// DuplicateOverrideError) carry the details and are matched with errors.As.
var (
	// ErrInvalidYAML: an entry is not well-formed YAML (syntax error,
	// duplicate key, unsupported construct).
	ErrInvalidYAML = errors.New("invalid YAML")
	// ErrUnknownField: an entry sets a field this package does not know,
	// usually a typo such as kvCacheTreshold.
	ErrUnknownField = errors.New("unknown field")
	// ErrWrongType: a field (or the whole entry) has the wrong YAML type, for
	// example a quoted number "0.8" where a number is expected, a YAML 1.1
	// boolean such as no where a string is expected, a number in a YAML 1.1
	// notation (010, 0x10, 1_000) or a value with a YAML tag (!!binary).
	ErrWrongType = errors.New("wrong type")
	// ErrNotFinite: a numeric field is NaN or infinite (.nan, .inf).
	ErrNotFinite = errors.New("not a finite number")
	// ErrOutOfRange: a numeric field is outside its allowed range.
	ErrOutOfRange = errors.New("out of range")
	// ErrInconsistent: kvCacheThreshold is below kvSpareTrigger.
	ErrInconsistent = errors.New("inconsistent thresholds")
	// ErrMissingField: an override lacks model_id or namespace.
	ErrMissingField = errors.New("missing required field")
	// ErrFieldNotAllowed: the default entry names a model_id or namespace.
	ErrFieldNotAllowed = errors.New("field not allowed")
	// ErrInvalidValue: a string field has a value that can never match, such
	// as an empty model_id or a namespace that is not a valid name.
	ErrInvalidValue = errors.New("invalid value")
	// ErrDuplicateOverride: two overrides name the same model and namespace.
	ErrDuplicateOverride = errors.New("duplicate override")
	// ErrDefaultKeyMisspelt: a skipped entry's key is "default" in another
	// case or with spaces ("Default", " default"), so it was read as an
	// override. It comes with the entry's other problems, as a hint.
	ErrDefaultKeyMisspelt = errors.New(`key resembles "default"`)
	// ErrWindowOverlap: two windows of one entry's schedules can be active
	// at the same time.
	ErrWindowOverlap = errors.New("overlapping windows")
)

// FieldError is one problem with one field of an entry or a configuration.
// Error returns Message, which names the field and the offending value;
// Unwrap returns Err, one of the sentinel errors above.
type FieldError struct {
	// Field is the YAML name of the field, e.g. "kvCacheThreshold"; empty
	// when the problem concerns the entry as a whole.
	Field string
	// Err is the sentinel classifying the problem.
	Err error
	// Message is the full, human-readable description.
	Message string
}

func (e FieldError) Error() string { return e.Message }

func (e FieldError) Unwrap() error { return e.Err }

func fieldErrorf(field string, sentinel error, format string, args ...any) error {
	return FieldError{Field: field, Err: sentinel, Message: fmt.Sprintf(format, args...)}
}

// DuplicateOverrideError reports an override that was skipped because an
// override with a lexicographically smaller key already configures the same
// model and namespace. It matches ErrDuplicateOverride with errors.Is.
type DuplicateOverrideError struct {
	ModelID   string
	Namespace string
	// Winner is the key of the override that is applied instead.
	Winner string
}

func (e DuplicateOverrideError) Error() string {
	return fmt.Sprintf("duplicate override for model_id %s in namespace %s: entry %s already configures it (the lexicographically first key wins)",
		quoteInput(e.ModelID), quoteInput(e.Namespace), quoteInput(e.Winner))
}

// Is reports whether target is ErrDuplicateOverride.
func (e DuplicateOverrideError) Is(target error) bool { return target == ErrDuplicateOverride }

// EntryError is one ConfigMap entry that was skipped. Error returns only the
// reason (several reasons are joined with "; "), without the key, because
// callers log it as error=<reason> next to key=<Key>. Unwrap returns Err, so
// errors.Is and errors.As see the sentinels and FieldErrors inside.
type EntryError struct {
	// Key is the ConfigMap data key of the entry.
	Key string
	// Err holds every problem found in the entry (errors.Join of them when
	// there are several).
	Err error
}

func (e EntryError) Error() string {
	if e.Err == nil {
		return "invalid entry"
	}
	return strings.Join(reasons(e.Err, nil), "; ")
}

// reasons flattens joined errors (at any depth) into their messages, so that
// an entry's problems fit on one log line.
func reasons(err error, out []string) []string {
	var multi interface{ Unwrap() []error }
	if !errors.As(err, &multi) {
		return append(out, err.Error())
	}
	for _, inner := range multi.Unwrap() {
		out = reasons(inner, out)
	}
	return out
}

func (e EntryError) Unwrap() error { return e.Err }

// EntryWarning is an accepted entry with a caveat the user should know about,
// for example a queueSpareTrigger above queueLengthThreshold.
type EntryWarning struct {
	// Key is the ConfigMap data key of the entry.
	Key string
	// Message explains the caveat and its consequence.
	Message string
}

// maxQuoted is how many characters of a user's value a reason quotes.
const maxQuoted = 64

// quoteInput is how every reason quotes a value the user wrote (a field
// name, a string, a key): Go-quoted, and cut after maxQuoted characters with
// "…(N bytes)" giving the full length, so that a reason stays a few hundred
// bytes long whatever the input (a ConfigMap value may be megabytes).
func quoteInput(s string) string {
	prefix, cut := cutChars(s, maxQuoted)
	if !cut {
		return strconv.Quote(s)
	}
	return strconv.Quote(prefix) + ellipsis(len(s))
}

// clipInput is quoteInput without the quotes, for a plain scalar that a
// reason shows as written, such as a number: 010, 1e309. Such a scalar holds
// no quote or control character.
func clipInput(s string) string {
	prefix, cut := cutChars(s, maxQuoted)
	if !cut {
		return s
	}
	return prefix + ellipsis(len(s))
}

// clipMessage bounds a message that comes from a third-party parser and may
// embed input, keeping its first n characters.
func clipMessage(s string, n int) string {
	prefix, cut := cutChars(s, n)
	if !cut {
		return s
	}
	return prefix + ellipsis(len(s))
}

func ellipsis(n int) string { return "…(" + strconv.Itoa(n) + " bytes)" }

// cutChars returns the first n characters (runes) of s and whether s is
// longer. It never splits a UTF-8 sequence.
func cutChars(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if i >= len(s) {
			return s, false
		}
	}
	return s[:i], true
}
