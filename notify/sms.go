package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Provider sends a text message to a phone number: the seam for a real SMS gateway.
//
// To plug one in (Aliyun SMS, Tencent Cloud SMS, a carrier's CMPP gateway …), implement
// SendSMS with the provider's SDK or HTTP API — most Chinese providers send only
// registered templates, so map the text to the template and its parameters there —
// return Permanent(err) for errors a retry cannot fix (an invalid number, a rejected
// template), and pass it to the sender job (jobs.Citizen's Channels, or
// service.NotifyConfig) in place of LogProvider.
type Provider interface {
	SendSMS(ctx context.Context, phone, text string) error
}

// ProviderFunc adapts a function to Provider.
type ProviderFunc func(ctx context.Context, phone, text string) error

func (f ProviderFunc) SendSMS(ctx context.Context, phone, text string) error {
	return f(ctx, phone, text)
}

// LogProvider is the default Provider: it writes each message to the log instead of
// sending it, with the number masked.
type LogProvider struct{ Log *slog.Logger }

func (p LogProvider) SendSMS(_ context.Context, phone, text string) error {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("sms (log provider: not sent)", "to", MaskPhone(phone), "text", text)
	return nil
}

// SMSChannel sends messages as text messages through a Provider. Signature (e.g.
// "【某市城管】") starts every text; MaxRunes cuts longer texts (default 300).
type SMSChannel struct {
	Provider  Provider
	Signature string
	MaxRunes  int
}

func (*SMSChannel) Name() string { return SMS }

var phoneRe = regexp.MustCompile(`^\+?[0-9]{6,20}$`)

// Send sends the message's body (with its link, if any) to m.To.
func (c *SMSChannel) Send(ctx context.Context, m Message) error {
	phone := strings.NewReplacer(" ", "", "-", "").Replace(m.To)
	if !phoneRe.MatchString(phone) {
		return Permanent(fmt.Errorf("notify: not a phone number: %q", MaskPhone(m.To)))
	}
	if c.Provider == nil {
		return errors.New("notify: no SMS provider")
	}
	text := c.Signature + m.Body
	if m.Link != "" {
		text += " " + m.Link
	}
	limit := c.MaxRunes
	if limit <= 0 {
		limit = 300
	}
	if utf8.RuneCountInString(text) > limit {
		text = string([]rune(text)[:limit-1]) + "…"
	}
	return c.Provider.SendSMS(ctx, phone, text)
}

// MaskPhone hides the middle of a phone number: 138****5678.
func MaskPhone(s string) string {
	r := []rune(s)
	if len(r) < 7 {
		return strings.Repeat("*", len(r))
	}
	keep := 3
	for i := range r[:len(r)-4] {
		if i >= keep {
			r[i] = '*'
		}
	}
	return string(r)
}
