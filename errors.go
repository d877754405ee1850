// Package gridloop holds the domain of a grid-based city case system: cases, their
// events, categories, departments, users and roles. It has no dependencies on HTTP or SQL.
package gridloop

import (
	"errors"
	"fmt"
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
	EINTERNAL     = "internal"
)

// Error is the one error type that crosses package boundaries. Message is safe to show
// to the caller; Field names the offending input where there is one.
type Error struct {
	Code    string
	Message string
	Field   string
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
