package open311

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// FuzzOpen311Form: what an Open311 client posts or asks for. Whatever the body,
// content type and query, reading the form, the location, the attributes, the paging,
// the time windows and the ids ends in values or a 400/404, never a panic.
func FuzzOpen311Form(f *testing.F) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{Svc: svc}
	cat := &gl.Category{Code: "C0101", Name: "井盖", ClosingCondition: "更换完毕"}
	for _, c := range [][3]string{
		{"service_code=C0101&lat=30.25&long=120.15&attribute%5Burgent%5D=no&first_name=%E5%B0%8F%E6%98%8E&last_name=%E7%8E%8B&phone=13812345678&media_url=https%3A%2F%2Fimg.example%2F1.jpg",
			"application/x-www-form-urlencoded", "page=2&page_size=10&start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00%2B08:00"},
		{"attribute%5Bfloor%5D%5B%5D=1&attribute%5Bfloor%5D%5B%5D=2&address_string=x", "application/x-www-form-urlencoded", "status=open,closed&service_request_id=a,b"},
		{"lat=NaN&long=1e999", "application/x-www-form-urlencoded", "updated_after=yesterday&page=0"},
		{"--b\r\nContent-Disposition: form-data; name=\"lat\"\r\n\r\n30\r\n--b--\r\n", "multipart/form-data; boundary=b", "extensions=maybe"},
		{"", "text/plain", "%zz"},
	} {
		f.Add([]byte(c[0]), c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, body []byte, ctype, query string) {
		r := httptest.NewRequest("POST", "/open311/v2/requests.json?x=1", bytes.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctype)
		ok := func(err error) {
			if err == nil {
				return
			}
			if st := toAPIError(err).status; st != 400 && st != 404 {
				t.Fatalf("status %d: %v", st, err)
			}
		}
		err := parseForm(httptest.NewRecorder(), r)
		ok(err)
		if err != nil {
			return
		}
		form := r.Form
		_, _, err = location(form, form.Get("address_string"))
		ok(err)
		_, err = s.checkAttributes(attributesFor(cat), form)
		ok(err)
		_, _, err = paging(form)
		ok(err)
		_, err = boolParam(form, "extensions")
		ok(err)
		now := time.Now()
		_, err = s.parseWindow(form, "start_date", "end_date", now, maxSpan)
		ok(err)
		_, err = s.parseWindow(form, "updated_after", "updated_before", now, 0)
		ok(err)
		if v := form.Get("media_url"); v != "" {
			ok(checkURL(v))
		}
		listParam(form, "service_request_id")
		personName(form.Get("first_name"), form.Get("last_name"))
		updateIDPattern.MatchString(form.Get("update_id"))
	})
}
