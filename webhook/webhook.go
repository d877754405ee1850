// Package webhook is the wire protocol of gridloop's outbound webhooks, for both ends:
// gridloop signs and posts deliveries with it, and a receiver verifies them with it.
// It depends on the standard library only, so a receiver can import it alone.
//
// Every delivery is one HTTP POST of a JSON Payload with three headers:
//
//	X-Gridloop-Delivery:  the delivery id, the same on every retry (de-duplicate on it)
//	X-Gridloop-Timestamp: the Unix time of this attempt, in seconds
//	X-Gridloop-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>
//
// Delivery is at least once: a receiver may see a delivery id more than once (a retry
// after a timeout, a manual replay) and must answer 2xx only when it has kept the event.
// Deliveries are not ordered; Event.Seq orders the events of one case.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderDelivery  = "X-Gridloop-Delivery"
	HeaderTimestamp = "X-Gridloop-Timestamp"
	HeaderSignature = "X-Gridloop-Signature"
	HeaderEvent     = "X-Gridloop-Event" // the event's action, e.g. "register"
)

// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// MaxBodyBytes bounds the body VerifyRequest reads.
const MaxBodyBytes = 1 << 20

// Errors of Verify.
var (
	ErrNoSignature = errors.New("webhook: no signature")
	ErrSignature   = errors.New("webhook: signature does not match")
	ErrTimestamp   = errors.New("webhook: timestamp missing, malformed or outside the tolerance")
)

// Sign returns the X-Gridloop-Signature value for body sent at timestamp (Unix seconds):
// "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with secret.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery: timestamp is the X-Gridloop-Timestamp header, body the raw
// request body, header the X-Gridloop-Signature header (a comma-separated list of
// "sha256=<hex>" is accepted, for secret rotation: one match is enough). The timestamp
// must be within tolerance of the current time; tolerance <= 0 skips that check (not
// advised: it lets a recorded delivery be replayed later). The comparison is
// constant-time.
func Verify(secret, timestamp string, body []byte, header string, tolerance time.Duration) error {
	return verifyAt(time.Now(), secret, timestamp, body, header, tolerance)
}

func verifyAt(now time.Time, secret, timestamp string, body []byte, header string, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	want := Sign(secret, ts, body)
	ok := false
	for _, sig := range strings.Split(header, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(sig)), []byte(want)) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
			return ErrTimestamp
		}
	}
	return nil
}

// VerifyRequest reads r's body (at most MaxBodyBytes) and verifies it with Verify. It
// returns the body, which the caller decodes only when err is nil.
func VerifyRequest(r *http.Request, secret string, tolerance time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: read body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("webhook: body over %d bytes", MaxBodyBytes)
	}
	err = Verify(secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature), tolerance)
	return body, err
}

// Payload is the JSON body of a delivery.
type Payload struct {
	// ID is the delivery id (also in X-Gridloop-Delivery): one per (subscription,
	// event), the same on every retry and replay.
	ID             string `json:"id"`
	SubscriptionID int64  `json:"subscription_id"`
	Event          Event  `json:"event"`
	Case           Case   `json:"case"`
}

// Event is the case event that a delivery announces, as recorded.
type Event struct {
	ID          int64           `json:"id"`
	Seq         int             `json:"seq"` // 1, 2, 3… within the case
	Action      string          `json:"action"`
	ActionLabel string          `json:"action_label"`
	Role        string          `json:"role"`
	Actor       string          `json:"actor,omitempty"`
	From        string          `json:"from,omitempty"`
	To          string          `json:"to"`
	DeptID      int64           `json:"dept_id,omitempty"`
	Note        string          `json:"note,omitempty"`
	Public      bool            `json:"public"`
	Data        json.RawMessage `json:"data,omitempty"`
	At          time.Time       `json:"at"`
}

// Case is a public-safe summary of the case after the event: no reporter name, phone
// or tracking token.
type Case struct {
	Code         string     `json:"code"`
	Status       string     `json:"status"`
	StatusLabel  string     `json:"status_label"`
	Version      int        `json:"version"`
	Channel      string     `json:"channel"`
	CategoryCode string     `json:"category_code,omitempty"`
	Urgent       bool       `json:"urgent"`
	Description  string     `json:"description"`
	Address      string     `json:"address,omitempty"`
	Lat          float64    `json:"lat"`
	Lng          float64    `json:"lng"`
	AreaCode     string     `json:"area_code,omitempty"`
	GridCode     string     `json:"grid_code,omitempty"`
	LeadDeptID   int64      `json:"lead_dept_id,omitempty"`
	DeptIDs      []int64    `json:"dept_ids,omitempty"` // lead and co-handlers
	DuplicateOf  string     `json:"duplicate_of,omitempty"`
	Due          *time.Time `json:"due,omitempty"`
	Overdue      bool       `json:"overdue"`
	ReworkCount  int        `json:"rework_count"`
	ReopenCount  int        `json:"reopen_count"`
	Satisfaction string     `json:"satisfaction,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
}

// Result is the outcome of one delivery attempt.
type Result struct {
	StatusCode int           // 0 when no HTTP answer came
	Err        string        // why the attempt failed; "" on success
	Duration   time.Duration // from sending the request to reading the answer
}

// OK reports whether the receiver took the delivery (a 2xx answer).
func (r Result) OK() bool { return r.Err == "" && r.StatusCode >= 200 && r.StatusCode < 300 }

// Post sends one attempt of a delivery: body to url, signed with secret at now. Redirects
// are not followed (a 3xx is a failure). A non-2xx answer is a failure whose Err quotes
// the start of the answer. ctx bounds the whole attempt.
func Post(ctx context.Context, client *http.Client, url, secret, deliveryID, event string, body []byte, now time.Time) Result {
	start := time.Now()
	res := Result{}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		res.Err = err.Error()
		return res
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gridloop-webhook/1")
	req.Header.Set(HeaderDelivery, deliveryID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	if event != "" {
		req.Header.Set(HeaderEvent, event)
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		res.Duration = time.Since(start)
		res.Err = err.Error()
		return res
	}
	// A 2xx whose body breaks off still counts: the receiver answered.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res.Duration = time.Since(start)
	res.StatusCode = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res.Err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "")); s != "" {
			if len(s) > 200 {
				s = s[:200] + "…"
				s = strings.ToValidUTF8(s, "")
			}
			res.Err += ": " + s
		}
	}
	return res
}
