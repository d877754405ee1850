// Package web is gridloop's HTTP server: health checks, the JSON API and (later) the pages.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/web/limit"
	"github.com/gridloop/gridloop/web/open311"
	"github.com/gridloop/gridloop/web/ui"
)

// Server serves gridloop over HTTP.
type Server struct {
	Svc *service.Service
	Log *slog.Logger
	// Limits rate-limits public intake (docs/security.md); nil takes the defaults and
	// the environment (limit.FromEnv), limit.Unlimited switches them off.
	Limits *limit.Limits
	http   *http.Server
	ln     net.Listener
}

// Handler returns the whole application's handler.
func (s *Server) Handler() http.Handler {
	limits := s.Limits
	if limits == nil {
		var err error
		if limits, err = limit.FromEnv(); err != nil {
			panic(err) // the environment is read at start: a typo stops the server
		}
	}
	mux := http.NewServeMux()
	(&api.API{Svc: s.Svc, Log: s.Log, Limits: limits}).Register(mux)
	(&open311.Server{Svc: s.Svc, Log: s.Log, Limits: limits}).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Svc.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"status": "unavailable"})
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ready"})
	})
	pages := ui.Must(ui.New(s.Svc, s.Log))
	pages.Limits = limits
	pages.Register(mux)
	return recoverPanics(s.Log, securityHeaders(limitBodies(cleanURLs(mux))))
}

// cleanURLs refuses a request whose path or query holds a NUL or bytes that are not
// UTF-8: no text field may hold them (PostgreSQL cannot store a NUL), and they have
// no business in a URL. Bodies are checked by their decoders.
func cleanURLs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := !gl.CleanText(r.URL.Path)
		if !bad && r.URL.RawQuery != "" {
			for k, vs := range r.URL.Query() {
				bad = bad || !gl.CleanText(k)
				for _, v := range vs {
					bad = bad || !gl.CleanText(v)
				}
			}
		}
		if !bad {
			next.ServeHTTP(w, r)
			return
		}
		msg := "网址含有无效字符（NUL 或非 UTF-8）(the URL holds a NUL or bytes that are not UTF-8)"
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": gl.EINVALID, "message": msg}})
			return
		}
		http.Error(w, msg, http.StatusBadRequest)
	})
}

// Routes are the server's own routes (the health checks), for the permission matrix.
var Routes = []struct {
	Pattern string
	Perm    gl.Permission
}{
	{"GET /healthz", gl.PermPublic},
	{"GET /readyz", gl.PermPublic},
}

// MaxBodyBytes bounds every request body. Each handler bounds its own more tightly
// (1 MiB of JSON, 64 KiB of form, 9 photos of 10 MB); this is the backstop, sized for
// the largest, an admin's boundary import.
const MaxBodyBytes = 600 << 20

func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets what every answer carries: no MIME sniffing, no framing, no
// referrer to other sites, and a CSP that allows nothing (the pages set their own,
// which allows their own scripts and styles only). Over TLS, HSTS.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// Listen binds addr (":0" picks a free port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return nil
}

// URL is the address the server listens on.
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// Serve serves until Shutdown.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				log.Error("panic", "path", r.URL.Path, "panic", v)
				http.Error(w, `{"error":{"code":"internal","message":"内部错误"}}`, http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
