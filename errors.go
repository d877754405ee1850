// Package gridloop holds the domain of a grid-based city case system: cases, their
// events, categories, departments, users and roles. It has no dependencies on HTTP or SQL.
package gridloop

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes. One place (the web layer) maps them to HTTP statuses.
const (
	EINVALID      = "invalid"       // bad input from the caller
	EINVALIDSTATE = "invalid_state" // the case's state does not allow the action
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict" // stale version or duplicate
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ETOOLARGE     = "too_large"
	ETOOMANY      = "too_many_requests" // rate limited or throttled: try again later
	EINTERNAL     = "internal"
)

// Error is the one error type that crosses package boundaries. Message is safe to show
// to the caller; Field names the offending input where there is one.
type Error struct {
	Code    string
	Message string
	Field   string
	// RetryAfter, on an ETOOMANY error, is how long the caller should wait.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("gridloop %s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("gridloop %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// TooMany returns an ETOOMANY error that asks the caller to wait for after.
func TooMany(after time.Duration, format string, args ...any) *Error {
	return &Error{Code: ETOOMANY, Message: fmt.Sprintf(format, args...), RetryAfter: after}
}

// RetryAfterOf is how long err asks the caller to wait: 0 unless it is ETOOMANY.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.Code == ETOOMANY {
		return e.RetryAfter
	}
	return 0
}

// ErrorCode returns the code of err: "" for nil, EINTERNAL for anything that is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err; internal errors get a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "内部错误 (internal error)"
}

// CleanText reports whether s may be stored as text: valid UTF-8 without NUL bytes
// (PostgreSQL refuses both; no field has a use for them).
func CleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// ErrUncleanText is the error for text that CleanText refuses.
func ErrUncleanText(field string) *Error {
	return &Error{Code: EINVALID, Field: field, Message: "含有无效字符（NUL 或非 UTF-8）(the text holds a NUL or bytes that are not UTF-8)"}
}
