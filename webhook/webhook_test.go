package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"d1","event":{"action":"register"}}`)
	now := time.Unix(1_780_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign("s3cret-s3cret-s3cret", now.Unix(), body)
	// A known vector, so that receivers in other languages can check themselves:
	// HMAC-SHA256(key "k", "1.{}").
	if got := Sign("k", 1, []byte("{}")); got != "sha256=3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158" {
		t.Fatalf("Sign: %s", got)
	}
	for _, tc := range []struct {
		name, secret, ts, header string
		body                     []byte
		at                       time.Time
		want                     error
	}{
		{"good", "s3cret-s3cret-s3cret", ts, sig, body, now, nil},
		{"rotation: one of several", "s3cret-s3cret-s3cret", ts, "sha256=00ff, " + sig, body, now, nil},
		{"wrong secret", "another-secret-xxxx", ts, sig, body, now, ErrSignature},
		{"body changed", "s3cret-s3cret-s3cret", ts, sig, append([]byte(" "), body...), now, ErrSignature},
		{"timestamp changed", "s3cret-s3cret-s3cret", strconv.FormatInt(now.Unix()+1, 10), sig, body, now, ErrSignature},
		{"no signature", "s3cret-s3cret-s3cret", ts, "", body, now, ErrNoSignature},
		{"bad timestamp", "s3cret-s3cret-s3cret", "yesterday", sig, body, now, ErrTimestamp},
		{"too old", "s3cret-s3cret-s3cret", ts, sig, body, now.Add(6 * time.Minute), ErrTimestamp},
		{"from the future", "s3cret-s3cret-s3cret", ts, sig, body, now.Add(-6 * time.Minute), ErrTimestamp},
		{"just in time", "s3cret-s3cret-s3cret", ts, sig, body, now.Add(5 * time.Minute), nil},
	} {
		if err := verifyAt(tc.at, tc.secret, tc.ts, tc.body, tc.header, DefaultTolerance); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := Verify("s3cret-s3cret-s3cret", ts, body, sig, 0); err != nil {
		t.Errorf("tolerance 0 skips the time check: %v", err)
	}
}

func TestPost(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := VerifyRequest(r, "secret-secret-secret", time.Minute)
		got, gotBody = r, b
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case r.URL.Path == "/fail":
			http.Error(w, strings.Repeat("错", 300), http.StatusInternalServerError)
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "/", http.StatusFound)
		case r.URL.Path == "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	}))
	defer srv.Close()
	body := []byte(`{"id":"d-1"}`)
	res := Post(context.Background(), nil, srv.URL+"/", "secret-secret-secret", "d-1", "register", body, time.Now())
	if !res.OK() || res.StatusCode != 200 || string(gotBody) != string(body) || got.Header.Get(HeaderDelivery) != "d-1" ||
		got.Header.Get(HeaderEvent) != "register" || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("post: %+v %s %v", res, gotBody, got.Header)
	}
	if res := Post(context.Background(), nil, srv.URL+"/", "wrong-secret-wrong", "d-1", "", body, time.Now()); res.OK() || res.StatusCode != 401 {
		t.Fatalf("a bad signature is refused: %+v", res)
	}
	if res := Post(context.Background(), nil, srv.URL+"/", "secret-secret-secret", "d-1", "", body, time.Now().Add(-time.Hour)); res.OK() {
		t.Fatalf("an old timestamp is refused: %+v", res)
	}
	res = Post(context.Background(), nil, srv.URL+"/fail", "secret-secret-secret", "d-1", "", body, time.Now())
	if res.OK() || res.StatusCode != 500 || !strings.HasPrefix(res.Err, "HTTP 500: 错") || len(res.Err) > 260 {
		t.Fatalf("a 500: %+v", res)
	}
	if res := Post(context.Background(), nil, srv.URL+"/redirect", "secret-secret-secret", "d-1", "", body, time.Now()); res.OK() || res.StatusCode != 302 {
		t.Fatalf("a redirect is not followed: %+v", res)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if res := Post(ctx, nil, srv.URL+"/slow", "secret-secret-secret", "d-1", "", body, time.Now()); res.OK() || res.StatusCode != 0 || res.Err == "" {
		t.Fatalf("a timeout: %+v", res)
	}
	if res := Post(context.Background(), nil, "http://127.0.0.1:1/", "s", "d-1", "", body, time.Now()); res.OK() || res.Err == "" {
		t.Fatalf("a refused connection: %+v", res)
	}
}
