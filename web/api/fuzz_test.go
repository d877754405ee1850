package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// FuzzDecode: every JSON body of the API goes through decode. Whatever the bytes and
// content type, it fills the target or fails with a caller's error (invalid or
// too_large) that maps to a 4xx status, never panics; and the audit log's redaction of
// a body never lets a password through.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"description":"井盖缺失","lat":30.25,"lng":120.15,"reporter_phone":"13812345678"}`,
		`{"action":"dispatch","dept_id":3,"co_dept_ids":[4,5],"version":2,"note":"<script>alert(1)</script>"}`,
		`{"code":"C0101","name":"井盖","handling":{"value":2,"unit":"work_day"}}`,
		`{"url":"https://example.com/hook","secret":"0123456789abcdef","events":["*"]}`,
		`{"weights":{"rework_rate":1e308}}`, `{"lat":"30"}`, `{} {}`, `[]`, `null`, ``, `{"a":`, "\xff\xfe",
		`{"description":"x","photos":["/photos/0123456789abcdef0123456789abcdef"],"password":"hunter2-hunter2"}`,
	} {
		f.Add([]byte(s), "application/json")
	}
	f.Add([]byte(`description=x`), "application/x-www-form-urlencoded")
	targets := []func() any{
		func() any { return &service.ReportInput{} },
		func() any { return &actionBody{} },
		func() any { return &gl.Category{} },
		func() any { return &gl.Department{} },
		func() any { return &service.RoutingRuleInput{} },
		func() any { return &service.WebhookInput{} },
		func() any { return &struct{ Reason string }{} },
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		for _, mk := range targets {
			r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
			r.Header.Set("Content-Type", ctype)
			err := decode(httptest.NewRecorder(), r, mk())
			if err == nil {
				continue
			}
			if code := gl.ErrorCode(err); code != gl.EINVALID && code != gl.ETOOLARGE {
				t.Fatalf("decode(%q) into %T: code %s: %v", body, mk(), code, err)
			}
			if st := StatusOf(gl.ErrorCode(err)); st < 400 || st >= 500 {
				t.Fatalf("status %d", st)
			}
		}
		red, _ := json.Marshal(RedactJSON(body, false))
		if bytes.Contains(body, []byte(`"password":"hunter2`)) && bytes.Contains(red, []byte("hunter2")) {
			t.Fatalf("redaction let a password through: %s", red)
		}
		if strings.Contains(strings.ToLower(string(red)), "password") && bytes.Contains(red, []byte("hunter2")) {
			t.Fatalf("redaction let a password through: %s", red)
		}
	})
}

// FuzzWriteError: an error message built from the caller's input is written as
// JSON that parses, whatever it holds.
func FuzzWriteError(f *testing.F) {
	f.Add("未知操作「<script>」", "field\"")
	f.Fuzz(func(t *testing.T, msg, field string) {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/", nil), nil, gl.FieldError(field, "%s", msg))
		var v errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != http.StatusBadRequest {
			t.Fatalf("%d %s: %v", w.Code, w.Body, err)
		}
		if bytes.Contains(w.Body.Bytes(), []byte("<")) {
			t.Fatalf("an unescaped < in JSON: %s", w.Body)
		}
	})
}
