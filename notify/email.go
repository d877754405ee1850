package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// SMTP modes of transport security.
const (
	TLSStartTLS = "starttls" // STARTTLS when the server offers it (required for authentication, except on localhost)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // never (a relay on localhost)
)

// EmailChannel sends messages as plain-text UTF-8 email over SMTP (net/smtp).
type EmailChannel struct {
	Host     string
	Port     int    // default 587, or 465 with TLSImplicit
	Username string // with Password: PLAIN authentication
	Password string
	From     string // "gridloop <noreply@example.gov.cn>"
	TLS      string // TLSStartTLS (default), TLSImplicit or TLSNone
	Timeout  time.Duration
	// HelloName is the name given in EHLO (default "localhost").
	HelloName string
	// TLSConfig overrides the TLS configuration (tests, private CAs).
	TLSConfig *tls.Config
}

// EmailFromEnv configures the email channel from the environment, or returns nil when
// GRIDLOOP_SMTP_HOST is not set:
//
//	GRIDLOOP_SMTP_HOST      mail server
//	GRIDLOOP_SMTP_PORT      port (default 587; 465 with GRIDLOOP_SMTP_TLS=tls)
//	GRIDLOOP_SMTP_USER      user name for PLAIN authentication (optional)
//	GRIDLOOP_SMTP_PASSWORD  its password
//	GRIDLOOP_SMTP_FROM      sender address (default gridloop@<host>)
//	GRIDLOOP_SMTP_TLS       starttls (default), tls or none
func EmailFromEnv() (*EmailChannel, error) {
	host := os.Getenv("GRIDLOOP_SMTP_HOST")
	if host == "" {
		return nil, nil
	}
	c := &EmailChannel{Host: host, Username: os.Getenv("GRIDLOOP_SMTP_USER"), Password: os.Getenv("GRIDLOOP_SMTP_PASSWORD"),
		From: os.Getenv("GRIDLOOP_SMTP_FROM"), TLS: strings.ToLower(os.Getenv("GRIDLOOP_SMTP_TLS"))}
	if p := os.Getenv("GRIDLOOP_SMTP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("notify: GRIDLOOP_SMTP_PORT %q is not a port", p)
		}
		c.Port = n
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return nil, fmt.Errorf("notify: GRIDLOOP_SMTP_TLS must be starttls, tls or none, not %q", c.TLS)
	}
	if c.From == "" {
		c.From = "gridloop@" + host
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return nil, fmt.Errorf("notify: GRIDLOOP_SMTP_FROM %q: %v", c.From, err)
	}
	return c, nil
}

func (*EmailChannel) Name() string { return Email }

// Send delivers m to the address m.To. SMTP 5xx replies are permanent failures.
func (c *EmailChannel) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return Permanent(fmt.Errorf("notify: not an email address: %q", m.To))
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return Permanent(fmt.Errorf("notify: sender %q: %v", c.From, err))
	}
	msg, err := c.compose(from, to, m)
	if err != nil {
		return Permanent(err)
	}
	err = c.deliver(ctx, from.Address, to.Address, msg)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return Permanent(err)
	}
	return err
}

func (c *EmailChannel) port() int {
	switch {
	case c.Port > 0:
		return c.Port
	case c.TLS == TLSImplicit:
		return 465
	}
	return 587
}

func (c *EmailChannel) tlsConfig() *tls.Config {
	if c.TLSConfig != nil {
		return c.TLSConfig
	}
	return &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
}

func (c *EmailChannel) deliver(ctx context.Context, from, to string, msg []byte) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.port()))
	dialer := &net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("notify: smtp %s: %w", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	// Give up when ctx does, not only at the deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if c.TLS == TLSImplicit {
		conn = tls.Client(conn, c.tlsConfig())
	}
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		return fmt.Errorf("notify: smtp %s: %w", addr, err)
	}
	defer cl.Close()
	hello := c.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := cl.Hello(hello); err != nil {
		return fmt.Errorf("notify: smtp EHLO: %w", err)
	}
	if c.TLS == "" || c.TLS == TLSStartTLS {
		if ok, _ := cl.Extension("STARTTLS"); ok {
			if err := cl.StartTLS(c.tlsConfig()); err != nil {
				return fmt.Errorf("notify: smtp STARTTLS: %w", err)
			}
		}
	}
	if c.Username != "" {
		// net/smtp refuses PLAIN over an unencrypted connection except to localhost.
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, c.Host)); err != nil {
			return fmt.Errorf("notify: smtp AUTH: %w", err)
		}
	}
	if err := cl.Mail(from); err != nil {
		return fmt.Errorf("notify: smtp MAIL FROM: %w", err)
	}
	if err := cl.Rcpt(to); err != nil {
		return fmt.Errorf("notify: smtp RCPT TO: %w", err)
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("notify: smtp DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: smtp DATA: %w", err)
	}
	if err := cl.Quit(); err != nil {
		// The message was accepted at the end of DATA; a failed QUIT does not undo that.
		return nil
	}
	return nil
}

// compose builds the message: UTF-8 plain text, base64 body, encoded subject.
func (c *EmailChannel) compose(from, to *mail.Address, m Message) ([]byte, error) {
	subject := m.Subject
	if subject == "" {
		subject = "gridloop"
	}
	if strings.ContainsAny(subject, "\r\n") {
		subject = strings.NewReplacer("\r", " ", "\n", " ").Replace(subject)
	}
	domain := "gridloop.local"
	if i := strings.LastIndex(from.Address, "@"); i >= 0 {
		domain = from.Address[i+1:]
	}
	rb := make([]byte, 6)
	rand.Read(rb)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("UTF-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <notification-%d.%s@%s>\r\n", m.ID, hex.EncodeToString(rb), domain)
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=UTF-8\r\n")
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	text := m.Body
	if m.Link != "" {
		text += "\n\n" + m.Link
	}
	text = strings.ReplaceAll(text, "\n", "\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes(), nil
}
