// Package web is gridloop's HTTP server: health checks, the JSON API and (later) the pages.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/web/open311"
	"github.com/gridloop/gridloop/web/ui"
)

// Server serves gridloop over HTTP.
type Server struct {
	Svc  *service.Service
	Log  *slog.Logger
	http *http.Server
	ln   net.Listener
}

// Handler returns the whole application's handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	(&api.API{Svc: s.Svc, Log: s.Log}).Register(mux)
	(&open311.Server{Svc: s.Svc, Log: s.Log}).Register(mux)
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
	ui.Must(ui.New(s.Svc, s.Log)).Register(mux)
	return recoverPanics(s.Log, mux)
}

// Listen binds addr (":0" picks a free port).
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute}
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
