// Package notify delivers gridloop's messages to people through pluggable channels:
// in-app (the message log is the inbox), email over SMTP, SMS through a Provider, and
// webhooks (POST JSON). It knows nothing of cases or the database: the service writes
// each message to its log in the transaction of the event that caused it, and a job
// hands the logged messages to the channels here, retrying failures (at least once).
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel names.
const (
	InApp   = "inapp"
	Email   = "email"
	SMS     = "sms"
	Webhook = "webhook"
)

// Message is one message to one recipient on one channel.
type Message struct {
	ID       int64     `json:"id"`       // the log row: the same on every retry (de-duplicate on it)
	Channel  string    `json:"channel"`  // InApp, Email, SMS or Webhook
	To       string    `json:"to"`       // the address on the channel: email, phone number, URL, or user:<id>
	Template string    `json:"template"` // what kind of message, e.g. "case_closed"
	Subject  string    `json:"subject,omitempty"`
	Body     string    `json:"body"`
	Link     string    `json:"link,omitempty"` // where to look: a page of this site
	CaseCode string    `json:"case_code,omitempty"`
	At       time.Time `json:"at"` // when the message was written
}

// Channel sends messages one way. Send returns nil once the message is handed over
// (accepted by the mail server, the SMS provider, the webhook receiver); an error
// wrapped with Permanent will not be retried.
type Channel interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// Channels is a set of channels by name.
type Channels map[string]Channel

// Add puts c in the set under its name.
func (cs Channels) Add(c Channel) Channels {
	cs[c.Name()] = c
	return cs
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying will not fix (a malformed address, a
// 4xx answer of a webhook, a 5xx reply of a mail server).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// InAppChannel is the in-app inbox: the logged message is the message, shown on the
// staff workbench and on the citizen's tracking page, so sending it only marks it sent.
type InAppChannel struct{}

func (InAppChannel) Name() string { return InApp }

func (InAppChannel) Send(_ context.Context, m Message) error {
	if m.To == "" {
		return Permanent(fmt.Errorf("notify: in-app message %d without a recipient", m.ID))
	}
	return nil
}
