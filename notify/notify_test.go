package notify

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop/webhook"
)

// smtpServer is a tiny SMTP server for the tests: it speaks enough of RFC 5321 for
// net/smtp (EHLO, MAIL, RCPT, DATA, QUIT, RSET, NOOP), offers no STARTTLS, and keeps
// what it receives. Recipients at "bounce.example" are refused with 550.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []received
}

type received struct {
	from string
	to   []string
	data string
}

func newSMTPServer(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 test.example ESMTP")
	var cur received
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test.example")
			say("250-8BITMIME")
			say("250 SIZE 1000000")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			cur = received{from: angle(line[len("MAIL FROM:"):])}
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to := angle(line[len("RCPT TO:"):])
			if strings.HasSuffix(to, "@bounce.example") {
				say("550 no such user")
				continue
			}
			cur.to = append(cur.to, to)
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.data = b.String()
			s.mu.Lock()
			s.mail = append(s.mail, cur)
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		case cmd == "RSET", cmd == "NOOP":
			say("250 OK")
		default:
			say("502 not implemented")
		}
	}
}

// angle is the address between < and > of a MAIL or RCPT argument.
func angle(s string) string {
	if i, j := strings.Index(s, "<"), strings.Index(s, ">"); i >= 0 && j > i {
		return s[i+1 : j]
	}
	return strings.TrimSpace(s)
}

func TestEmail(t *testing.T) {
	srv := newSMTPServer(t)
	ch := &EmailChannel{Host: "127.0.0.1", Port: srv.port(), From: "某市城管 <noreply@city.example>", Timeout: 5 * time.Second}
	m := Message{ID: 42, Channel: Email, To: "resident@example.com", Template: "case_closed",
		Subject: "您反映的问题已办结", Body: "您反映的问题（编号 2026112300001）已办结。\n问题解决了吗？", Link: "https://city.example/track"}
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := srv.mail
	srv.mu.Unlock()
	if len(got) != 1 || got[0].from != "noreply@city.example" || len(got[0].to) != 1 || got[0].to[0] != "resident@example.com" {
		t.Fatalf("received %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("subject %q (%v)", subject, err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Errorf("content type %q", ct)
	}
	raw, _ := io.ReadAll(msg.Body)
	body, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if want := "您反映的问题（编号 2026112300001）已办结。\r\n问题解决了吗？\r\n\r\nhttps://city.example/track"; string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}

	// A refused recipient is permanent; a bad address too; a server that is not there is not.
	m.To = "nobody@bounce.example"
	if err := ch.Send(context.Background(), m); err == nil || !IsPermanent(err) {
		t.Errorf("refused recipient: %v, want a permanent error", err)
	}
	m.To = "not an address"
	if err := ch.Send(context.Background(), m); !IsPermanent(err) {
		t.Errorf("bad address: %v", err)
	}
	down := &EmailChannel{Host: "127.0.0.1", Port: 1, From: "a@b.example", Timeout: time.Second}
	m.To = "resident@example.com"
	if err := down.Send(context.Background(), m); err == nil || IsPermanent(err) {
		t.Errorf("server down: %v, want a temporary error", err)
	}
}

func TestEmailFromEnv(t *testing.T) {
	t.Setenv("GRIDLOOP_SMTP_HOST", "")
	if c, err := EmailFromEnv(); c != nil || err != nil {
		t.Fatalf("unset: %v %v", c, err)
	}
	t.Setenv("GRIDLOOP_SMTP_HOST", "smtp.example.com")
	t.Setenv("GRIDLOOP_SMTP_TLS", "tls")
	c, err := EmailFromEnv()
	if err != nil || c.port() != 465 || c.From != "gridloop@smtp.example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	t.Setenv("GRIDLOOP_SMTP_PORT", "x")
	if _, err := EmailFromEnv(); err == nil {
		t.Fatal("bad port accepted")
	}
}

func TestSMS(t *testing.T) {
	var gotPhone, gotText string
	ch := &SMSChannel{Signature: "【某市城管】", MaxRunes: 40, Provider: ProviderFunc(func(_ context.Context, phone, text string) error {
		gotPhone, gotText = phone, text
		return nil
	})}
	if err := ch.Send(context.Background(), Message{To: "138 0013 8000", Body: "您反映的问题已立案。", Link: "/track"}); err != nil {
		t.Fatal(err)
	}
	if gotPhone != "13800138000" || gotText != "【某市城管】您反映的问题已立案。 /track" {
		t.Fatalf("sent %q to %q", gotText, gotPhone)
	}
	long := strings.Repeat("很长", 40)
	ch.Send(context.Background(), Message{To: "13800138000", Body: long})
	if n := len([]rune(gotText)); n != 40 || !strings.HasSuffix(gotText, "…") {
		t.Fatalf("long text: %d runes", n)
	}
	if err := ch.Send(context.Background(), Message{To: "call me"}); !IsPermanent(err) {
		t.Fatalf("bad number: %v", err)
	}
	if err := (LogProvider{}).SendSMS(context.Background(), "13800138000", "x"); err != nil {
		t.Fatal(err)
	}
	if got := MaskPhone("13800138000"); got != "138****8000" {
		t.Fatalf("MaskPhone: %s", got)
	}
}

func TestWebhook(t *testing.T) {
	var mu sync.Mutex
	var bodies []Message
	status := 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(r, "s3cret-s3cret-s3cret", time.Minute)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var m Message
		json.Unmarshal(body, &m)
		mu.Lock()
		bodies = append(bodies, m)
		mu.Unlock()
		if r.Header.Get(webhook.HeaderDelivery) != "notification-7" {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	ch := &WebhookChannel{Secret: "s3cret-s3cret-s3cret"}
	m := Message{ID: 7, Channel: Webhook, To: srv.URL + "/hook", Template: "reopen_alert", Body: "督办提醒", CaseCode: "2026112300001"}
	if err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 || bodies[0].Template != "reopen_alert" || bodies[0].CaseCode != m.CaseCode {
		t.Fatalf("received %+v", bodies)
	}
	status = 503
	if err := ch.Send(context.Background(), m); err == nil || IsPermanent(err) {
		t.Errorf("503: %v, want a temporary error", err)
	}
	status = 404
	if err := ch.Send(context.Background(), m); !IsPermanent(err) {
		t.Errorf("404: %v, want a permanent error", err)
	}
	if err := (&WebhookChannel{}).Send(context.Background(), Message{To: "ftp://x"}); !IsPermanent(err) {
		t.Errorf("bad URL: %v", err)
	}
	if err := (InAppChannel{}).Send(context.Background(), Message{To: "user:1"}); err != nil {
		t.Error(err)
	}
	if !errors.Is(Permanent(io.EOF), io.EOF) || Permanent(nil) != nil {
		t.Error("Permanent does not wrap")
	}
}
