package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gridloop/gridloop/webhook"
)

// WebhookChannel posts each message as JSON (the Message) to the URL in m.To: for a
// group chat bot, an OA system, a pager. With a Secret the request carries the same
// headers as gridloop's case webhooks (package webhook: X-Gridloop-Timestamp and an
// HMAC-SHA256 X-Gridloop-Signature), with X-Gridloop-Event "notification" and
// X-Gridloop-Delivery "notification-<id>". A 2xx answer is success; 4xx (but 408 and
// 429) is permanent; anything else is retried.
type WebhookChannel struct {
	Client *http.Client // nil: a client with Timeout
	Secret string
	// Timeout bounds one attempt when Client is nil (default 10s).
	Timeout time.Duration
}

func (*WebhookChannel) Name() string { return Webhook }

func (c *WebhookChannel) Send(ctx context.Context, m Message) error {
	u, err := url.Parse(m.To)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Permanent(fmt.Errorf("notify: not a webhook URL: %q", m.To))
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.To, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "gridloop-notify/1")
	req.Header.Set(webhook.HeaderEvent, "notification")
	req.Header.Set(webhook.HeaderDelivery, "notification-"+strconv.FormatInt(m.ID, 10))
	if c.Secret != "" {
		ts := time.Now().Unix()
		req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(c.Secret, ts, body))
	}
	client := c.Client
	if client == nil {
		t := c.Timeout
		if t <= 0 {
			t = 10 * time.Second
		}
		client = &http.Client{Timeout: t}
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook %s: %w", u.Host, err)
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != 408 && res.StatusCode != 429:
		return Permanent(fmt.Errorf("notify: webhook %s answered %d", u.Host, res.StatusCode))
	}
	return fmt.Errorf("notify: webhook %s answered %d", u.Host, res.StatusCode)
}
