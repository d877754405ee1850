package ui

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/web/api"
)

// FuzzForms: every form post of the pages is read by parseForm or parseUpload, then
// turned into a workflow action, a report's coordinates, a user or a token. Whatever
// the body and content type, that ends in values or a caller's error (4xx), never a
// panic.
func FuzzForms(f *testing.F) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("description", "<img src=x onerror=alert(1)>")
	mw.WriteField("lat", "30.259")
	fw, _ := mw.CreateFormFile("photos", "a.jpg")
	fw.Write([]byte("\xff\xd8\xff\xe0 not really a jpeg"))
	mw.Close()
	f.Add(mp.Bytes(), mw.FormDataContentType())
	for _, s := range []string{
		"description=%E8%B7%AF%E7%81%AF&lat=30.27&lng=120.1&reporter_phone=13812345678&idem=abc",
		"version=2&category_code=C0104&urgent=1&note=x", "dept_id=3&co_dept_ids=4&co_dept_ids=x",
		"limit_value=3&limit_unit=work_day", "valid=yes&passed=no", "lat=NaN&lng=Inf", "lat=1e400",
		"name=t&ttl_days=99999999999999999999&permissions=case.read&dept_scope=1&area_scope=3301%2C%E3%80%81",
		"roles=admin&roles=nobody&dept_scope=-1&area_scope=abc", "%zz", "a=%", "",
	} {
		f.Add([]byte(s), "application/x-www-form-urlencoded")
	}
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--"), "multipart/form-data; boundary=x")
	f.Fuzz(func(t *testing.T, body []byte, ctype string) {
		r := httptest.NewRequest("POST", "/cases/X/actions/register", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		fm, _, err := parseUpload(httptest.NewRecorder(), r)
		check := func(what string, err error) {
			if err == nil {
				return
			}
			if st := api.StatusOf(gl.ErrorCode(err)); st < 400 || st >= 500 {
				t.Fatalf("%s: %v (status %d)", what, err, st)
			}
		}
		check("parse", err)
		if err != nil {
			return
		}
		for _, a := range gl.Actions {
			_, _, err := actionInput(a, fm)
			check(string(a), err)
		}
		fields := map[string]string{}
		parseCoord(fm.V("lat"), "lat", "bad", fields)
		parseCoord(fm.V("lng"), "lng", "bad", fields)
		_, err = tokenOptions(fm)
		check("token", err)
		check("user", userFromForm(fm, &gl.User{}))
		boolField(fm.V("valid"))
		localPath(fm.V("next"))
	})
}
