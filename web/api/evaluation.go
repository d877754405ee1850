package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/service"
)

// The evaluation, the command dashboard and the live feed (docs/evaluation.md).

func (a *API) evaluation(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	q := r.URL.Query()
	eq := service.EvalQuery{Dim: evaluation.Dimension(q.Get("dim")), Period: evaluation.Period(q.Get("period")),
		Start: q.Get("start"), Level: q.Get("level"), Parent: q.Get("parent")}
	var err error
	if eq.Subtree, err = boolParam(q.Get("subtree"), "subtree"); err != nil {
		return err
	}
	if eq.Top, err = boolParam(q.Get("top"), "top"); err != nil {
		return err
	}
	if eq.Limit, err = intParam(q.Get("limit"), "limit", 0); err != nil {
		return err
	}
	if eq.Offset, err = intParam(q.Get("offset"), "offset", 0); err != nil {
		return err
	}
	ev, err := a.Svc.Evaluate(r.Context(), p, eq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

func boolParam(s, name string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, gl.FieldError(name, "%s 须为 true 或 false", name)
	}
	return b, nil
}

func (a *API) indicators(w http.ResponseWriter, _ *http.Request, _ *service.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"items": evaluation.Indicators, "counters": evaluation.CounterFields})
	return nil
}

func (a *API) weights(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	all, err := a.Svc.AllWeights(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"weights": all})
	return nil
}

func (a *API) putWeights(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var in struct {
		Weights evaluation.Weights `json:"weights"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	subject := r.PathValue("role")
	got, err := a.Svc.SetWeights(r.Context(), p, subject, in.Weights)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"subject": subject, "weights": got})
	return nil
}

func (a *API) dashboard(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	d, err := a.Svc.DashboardOf(r.Context(), p, workbookBy(r.URL.Query().Get("sections")))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, d)
	return nil
}

// Live feed timing; tests shorten them.
var (
	// StreamPoll is how often a stream polls for new events.
	StreamPoll = time.Second
	// StreamHeartbeat is how often a quiet stream sends a comment, so that proxies keep
	// the connection open and a dead client is noticed.
	StreamHeartbeat = 15 * time.Second
)

func (a *API) eventStream(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	return EventStream(a.Svc, w, r, p)
}

// EventStream serves the live feed of p's new events as server-sent events until the
// client goes away: "event: case_event" with the event's id (a reconnecting browser
// sends it back as Last-Event-ID and resumes after it) and a service.FeedEvent as data;
// a comment line every StreamHeartbeat. With ?max_seconds=N (1–3600) the stream ends
// after N seconds, for clients that reconnect on a schedule. The UI mounts it behind
// its own session sign-in, since a browser's EventSource cannot send an Authorization
// header.
func EventStream(svc *service.Service, w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	ctx := r.Context()
	if v := r.URL.Query().Get("max_seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3600 {
			return gl.FieldError("max_seconds", "max_seconds 须为 1 到 3600 之间的整数")
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
		defer cancel()
	}
	after := int64(-1)
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			after = n
		}
	}
	feed, err := svc.NewFeed(ctx, p, after)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\n: gridloop event stream, cursor %d\n\n", feed.Cursor())
	if err := rc.Flush(); err != nil {
		return nil
	}
	poll := time.NewTicker(StreamPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-poll.C:
		}
		for {
			events, more, err := feed.Poll(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				svc.Logger.Error("event stream poll", "err", err)
				break // try again at the next tick
			}
			for _, e := range events {
				b, _ := json.Marshal(e)
				fmt.Fprintf(w, "id: %d\nevent: case_event\ndata: %s\n\n", e.ID, b)
			}
			if len(events) > 0 {
				if err := rc.Flush(); err != nil {
					return nil // the client went away
				}
				lastWrite = time.Now()
			}
			if !more {
				break
			}
		}
		if time.Since(lastWrite) >= StreamHeartbeat {
			fmt.Fprintf(w, ": ping %s\n\n", time.Now().UTC().Format(time.RFC3339))
			if err := rc.Flush(); err != nil {
				return nil
			}
			lastWrite = time.Now()
		}
	}
}

// workbookBy parses the workbook's "by": a comma-separated list.
func workbookBy(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
