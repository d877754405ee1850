package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/web/limit"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 1 << 20

// StatusOf maps an error code to its HTTP status: the one place that does so.
func StatusOf(code string) int {
	switch code {
	case gl.EINVALID:
		return http.StatusBadRequest
	case gl.EINVALIDSTATE:
		return http.StatusUnprocessableEntity
	case gl.ENOTFOUND:
		return http.StatusNotFound
	case gl.ECONFLICT:
		return http.StatusConflict
	case gl.EFORBIDDEN:
		return http.StatusForbidden
	case gl.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case gl.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case gl.ETOOMANY:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError answers with the error's status and a JSON body; only internal errors are logged.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := gl.ErrorCode(err)
	if code == gl.EINTERNAL {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var e *gl.Error
	field := ""
	if errors.As(err, &e) {
		field = e.Field
	}
	if code == gl.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridloop"`)
	}
	limit.RetryAfterHeader(w, err)
	writeJSON(w, StatusOf(code), errorBody{errorDetail{Code: code, Message: gl.ErrorMessage(err), Field: field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// decode reads one JSON object from the body into v, strictly: unknown fields, trailing
// data, a wrong content type and oversize bodies are all refused with a clear error.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return gl.Errorf(gl.EINVALID, "请求体须为 JSON（Content-Type: application/json）")
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		if err != nil {
			return decodeError(err)
		}
		return gl.Errorf(gl.EINVALID, "请求体只能包含一个 JSON 对象")
	}
	if field, ok := uncleanText(reflect.ValueOf(v), ""); ok {
		return gl.ErrUncleanText(field)
	}
	return nil
}

// uncleanText finds a string in v that gl.CleanText refuses (a "\u0000" in the JSON)
// and names its field by its JSON name.
func uncleanText(v reflect.Value, field string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return uncleanText(v.Elem(), field)
		}
	case reflect.String:
		return field, !gl.CleanText(v.String())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // raw bytes (json.RawMessage) are not text
		}
		for i := range v.Len() {
			if f, bad := uncleanText(v.Index(i), field); bad {
				return f, true
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if f, bad := uncleanText(k, field); bad {
				return f, true
			}
			if f, bad := uncleanText(v.MapIndex(k), field); bad {
				return f, true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name := field
			if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); tag != "" && tag != "-" {
				name = tag
			} else if !sf.Anonymous {
				name = sf.Name
			}
			if f, bad := uncleanText(v.Field(i), name); bad {
				return f, true
			}
		}
	}
	return "", false
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return gl.Errorf(gl.ETOOLARGE, "请求体超过 %d 字节的上限", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return gl.Errorf(gl.EINVALID, "请求体为空，须为 JSON 对象")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return gl.Errorf(gl.EINVALID, "JSON 格式错误：%v", err)
	case errors.As(err, &typeErr):
		return gl.FieldError(typeErr.Field, "字段类型错误：应为 %s", typeErr.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return gl.FieldError(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "未知字段")
	}
	return gl.Errorf(gl.EINVALID, "无法解析请求体：%v", err)
}
