package service_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

func TestCanonicalTrackingToken(t *testing.T) {
	const old = "kQ3x-_9aBcDeFgHiJkLmNoPq" // issued before: base64url, case-sensitive
	for _, tc := range []struct{ in, want string }{
		{"7K3M-Q9TX-2HPA-W8RD", "7K3MQ9TX2HPAW8RD"},
		{"7K3MQ9TX2HPAW8RD", "7K3MQ9TX2HPAW8RD"},
		{"  7k3m q9tx 2hpa w8rd ", "7K3MQ9TX2HPAW8RD"}, // read out, typed in small letters
		{"7K3M－Q9TX－2HPA－W8RD", "7K3MQ9TX2HPAW8RD"},    // full-width hyphens
		{"７Ｋ３Ｍ　ｑ９ｔｘ　２ＨＰＡ　Ｗ８ＲＤ", "7K3MQ9TX2HPAW8RD"},    // a Chinese keyboard's full-width forms
		{"7K3M-Q9TX-2HPA-W8R0", "7K3MQ9TX2HPAW8R0"},
		{"7K3M-Q9TX-2HPA-W8RO", "7K3MQ9TX2HPAW8R0"}, // O is 0
		{"IK3M-Q9TX-2HPA-W8RL", "1K3MQ9TX2HPAW8R1"}, // I and L are 1
		{old, old},
		{" " + old + "\n", old},
		{"7K3M-Q9TX-2HPA-W8R", "7K3M-Q9TX-2HPA-W8R"},     // 15: not a token of ours, left as typed
		{"7K3M-Q9TX-2HPA-W8RDX", "7K3M-Q9TX-2HPA-W8RDX"}, // 17
		{"7K3M-Q9TX-2HPA-W8RU", "7K3M-Q9TX-2HPA-W8RU"},   // U is not in the alphabet
		{"7K3M/Q9TX/2HPA/W8RD", "7K3M/Q9TX/2HPA/W8RD"},   // other separators are not ours
		{"", ""},
	} {
		if got := service.CanonicalTrackingToken(tc.in); got != tc.want {
			t.Errorf("CanonicalTrackingToken(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if service.TrackingHash(old) != service.HashSecret(old) {
		t.Error("an older token no longer hashes as it was stored")
	}
	for in, want := range map[string]string{
		"7k3mq9tx2hpaw8rd":    "7K3M-Q9TX-2HPA-W8RD",
		"7K3M-Q9TX-2HPA-W8RD": "7K3M-Q9TX-2HPA-W8RD",
		old:                   old,
		"no/such/token/xx":    "no/such/token/xx",
	} {
		if got := service.DisplayTrackingToken(in); got != want {
			t.Errorf("DisplayTrackingToken(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTrackingTokenAsTyped: a reporter's token is four groups of four unambiguous
// capitals and digits, and it opens the case however the citizen types it; one wrong
// character does not.
func TestTrackingTokenAsTyped(t *testing.T) {
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		seen := map[string]bool{}
		for i := range 3 {
			r := c.report("曙光路路灯不亮，第"+string(rune('一'+i))+"盏", "C0104", lat, lng, "")
			tok := r.TrackingToken
			if !shape.MatchString(tok) || seen[tok] {
				t.Fatalf("token %q: not four groups of four, or repeated", tok)
			}
			seen[tok] = true
		}
		r := c.report("曙光路口井盖缺失", "C0101", lat, lng, "")
		tok := r.TrackingToken
		typed := strings.NewReplacer("-", " ", "0", "o", "1", "l").Replace(strings.ToLower(tok))
		for _, as := range []string{tok, strings.ReplaceAll(tok, "-", ""), typed, "  " + typed + " "} {
			v, err := c.svc.TrackCitizen(ctx, as)
			if err != nil || v.Tracking.Code != r.Case.Code {
				t.Fatalf("token typed as %q: %+v %v", as, v, err)
			}
		}
		if _, err := c.svc.ActAsCitizen(ctx, typed, workflow.Input{Action: gl.ActionSupplement, Note: "井盖在路口东侧"}); err != nil {
			t.Fatalf("supplement with the token as typed: %v", err)
		}
		wrong := []byte(tok)
		if wrong[0] == 'A' {
			wrong[0] = 'B'
		} else {
			wrong[0] = 'A'
		}
		if _, err := c.svc.TrackCitizen(ctx, string(wrong)); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Fatalf("one character wrong: %v", err)
		}
	})
}
