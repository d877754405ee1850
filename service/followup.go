package service

// Followers ("me too"), the citizen's tracking view and follow-ups (回访), issue #9 §1–2.
//
// A citizen who finds their problem among the similar open cases follows it instead of
// reporting it again: Follow records a me_too event (Case.Interest counts them) and
// gives them a tracking token of their own. Their tracking page shows the case's public
// timeline, and when it closes they may answer "fixed? satisfied?" or say "not fixed",
// as the reporter may. The reporter of a duplicate merged into another case sees the
// parent's timeline the same way.
//
// When a case closes a follow-up is written (table followups); a rating or a citizen's
// reopening answers it. The follow-up job (jobs.Citizen) counts the ones still
// unanswered after CitizenSettings.FollowUpDays as the city's policy says, with a
// follow_up event by the system whose data carries the answer it stands for:
//
//	{"answered": false, "counted_as": "satisfied", "satisfaction": "satisfied", "fixed": true}
//	{"answered": false, "counted_as": "unsatisfied", "satisfaction": "unsatisfied", "fixed": false}
//	{"answered": false, "counted_as": "excluded"}
//
// so that 解决率 and 满意率 can count it like a rating (docs/citizen.md).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/notify"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// Citizen roles on a tracking page.
const (
	CitizenReporter = "reporter" // the reporter of the case (or of a duplicate merged into it)
	CitizenFollower = "follower" // a citizen who said "me too"
)

// followerActions are what a follower (or the reporter of a merged duplicate) may do
// on the case they follow.
var followerActions = []gl.Action{gl.ActionRate, gl.ActionReopen}

// FollowInput is a citizen following a case: where to tell them, both optional.
type FollowInput struct {
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// FollowResult is the follower's secret tracking token, shown once.
type FollowResult struct {
	Code          string `json:"code"`
	TrackingToken string `json:"tracking_token"`
	Interest      int    `json:"interest"`
}

func (in *FollowInput) validate() error {
	in.Phone, in.Email = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	if in.Phone != "" && !phonePattern.MatchString(in.Phone) {
		return gl.FieldError("phone", "电话号码格式不正确")
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || len(in.Email) > 200 {
			return gl.FieldError("email", "电子邮箱格式不正确")
		}
	}
	return nil
}

// Follow makes the caller a follower of the open case with code ("me too"): its
// interest counts one more, a public me_too event records it, and the caller gets a
// tracking token of their own. Only cases of public categories may be followed (the
// ones the public sees among similar cases). With an idempotency key a retry gets the
// first answer.
func (s *Service) Follow(ctx context.Context, code string, in FollowInput, idemKey string) (*FollowResult, error) {
	return s.follow(ctx, code, in, idemKey, true, "关注市民")
}

// FollowCall records a repeat call about the open case with code (重复来电) as an
// operator heard it: the caller becomes a follower as with Follow, told of the case's
// progress at in's phone. The case is any p may read, whatever its category.
func (s *Service) FollowCall(ctx context.Context, p *Principal, code string, in FollowInput, idemKey string) (*FollowResult, error) {
	if _, err := s.Case(ctx, p, code); err != nil {
		return nil, err
	}
	return s.follow(ctx, code, in, idemKey, false, "来电市民")
}

// follow makes a follower of the case with code, named name in its event; publicOnly
// refuses cases of categories the public does not see.
func (s *Service) follow(ctx context.Context, code string, in FollowInput, idemKey string, publicOnly bool, name string) (*FollowResult, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	cats, err := s.categoryMap(ctx)
	if err != nil {
		return nil, err
	}
	scope := "follow:" + code
	var res *FollowResult
	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		if idemKey != "" {
			_, body, ok, err := tx.Idempotent(ctx, scope, idemKey)
			if err != nil {
				return err
			}
			if ok {
				res = new(FollowResult)
				return json.Unmarshal(body, res)
			}
		}
		c, err := tx.CaseByCode(ctx, code)
		if err != nil || (publicOnly && !publicCategory(cats, c.CategoryCode)) {
			if err == nil || gl.ErrorCode(err) == gl.ENOTFOUND {
				return gl.Errorf(gl.ENOTFOUND, "案件 %s 不存在或未公开", code)
			}
			return err
		}
		if !c.Status.Open() {
			return gl.Errorf(gl.EINVALIDSTATE, "案件 %s 已%s，无需再关注；如问题仍在，请重新上报", code, c.Status.Label("zh"))
		}
		after, err := s.applyCitizen(ctx, tx, c, workflow.Input{Action: gl.ActionMeToo}, name)
		if err != nil {
			return err
		}
		token, hash := newTrackingToken()
		f := &store.Follower{CaseID: c.ID, TokenHash: hash, Phone: in.Phone, Email: in.Email, CreatedAt: s.now()}
		if err := tx.InsertFollower(ctx, f); err != nil {
			return err
		}
		res = &FollowResult{Code: c.Code, TrackingToken: token, Interest: after.Case.Interest}
		if idemKey != "" {
			body, err := json.Marshal(res)
			if err != nil {
				return err
			}
			return tx.SaveIdempotent(ctx, scope, idemKey, 201, body)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// applyCitizen applies a citizen's action to c as name (not the case's reporter: a
// follower, or the reporter of a merged duplicate) and records it.
func (s *Service) applyCitizen(ctx context.Context, tx *store.Tx, c *gl.Case, in workflow.Input, name string) (*ActResult, error) {
	var cat *gl.Category
	if c.CategoryCode != "" {
		var err error
		if cat, err = tx.CategoryByCode(ctx, c.CategoryCode); err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
			return nil, err
		}
	}
	r, err := workflow.Apply(*c, workflow.Actor{Name: name, Roles: []gl.Role{gl.RoleCitizen}}, in, s.env(s.now(), cat))
	if err != nil {
		return nil, err
	}
	if err := tx.UpdateCase(ctx, &r.Case); err != nil {
		return nil, err
	}
	if err := s.recordEvent(ctx, tx, c, &r.Case, &r.Event); err != nil {
		return nil, err
	}
	return &ActResult{Case: &r.Case, Event: &r.Event}, nil
}

// CitizenView is what a citizen's tracking token shows: the case they reported, or the
// one they follow. For a report merged into another case, Tracking is the parent's
// (its timeline, its actions) and Own is the citizen's own report.
type CitizenView struct {
	Tracking *Tracking `json:"tracking"`
	Role     string    `json:"role"` // reporter or follower
	// Own is the citizen's own report when it was merged into the case shown.
	Own        *Tracking `json:"own,omitempty"`
	MergedInto string    `json:"merged_into,omitempty"`
	Interest   int       `json:"interest"`    // how many said "me too"
	ReopenDays int       `json:"reopen_days"` // the reopen window
	Photos     []string  `json:"photos"`      // what the citizen may see
	Inbox      *Inbox    `json:"inbox"`       // their in-app messages
}

// TrackCitizen returns the view of a tracking token: a reporter's or a follower's.
func (s *Service) TrackCitizen(ctx context.Context, token string) (*CitizenView, error) {
	v := &CitizenView{ReopenDays: s.CitizenSettings().ReopenDays}
	var kind string
	var recipientID int64
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		hash := TrackingHash(token)
		c, err := tx.CaseByTrackingHash(ctx, hash)
		switch {
		case err == nil:
			v.Role, kind, recipientID = CitizenReporter, store.RecipientReporter, c.ID
			parent, err := s.mergedParent(ctx, tx, c)
			if err != nil {
				return err
			}
			if parent == nil {
				v.Tracking, v.Interest, err = s.trackingOf(ctx, tx, c, CitizenReporter)
				if err == nil {
					v.Photos, err = s.citizenPhotos(ctx, tx, c, true)
				}
				return err
			}
			if v.Own, _, err = s.trackingOf(ctx, tx, c, CitizenReporter); err != nil {
				return err
			}
			v.Own.Actions = []gl.Action{}
			v.MergedInto = parent.Code
			if v.Tracking, v.Interest, err = s.trackingOf(ctx, tx, parent, CitizenFollower); err != nil {
				return err
			}
			own, err := s.citizenPhotos(ctx, tx, c, true)
			if err != nil {
				return err
			}
			theirs, err := s.citizenPhotos(ctx, tx, parent, false)
			v.Photos = append(own, theirs...)
			return err
		case gl.ErrorCode(err) != gl.ENOTFOUND:
			return err
		}
		f, err := tx.FollowerByHash(ctx, hash)
		if err != nil {
			return trackingNotFound(err)
		}
		v.Role, kind, recipientID = CitizenFollower, store.RecipientFollower, f.ID
		if c, err = tx.CaseByID(ctx, f.CaseID); err != nil {
			return err
		}
		if v.Tracking, v.Interest, err = s.trackingOf(ctx, tx, c, CitizenFollower); err != nil {
			return err
		}
		v.Photos, err = s.citizenPhotos(ctx, tx, c, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	if v.Inbox, err = s.inbox(ctx, kind, recipientID, 20); err != nil {
		return nil, err
	}
	if v.Photos == nil {
		v.Photos = []string{}
	}
	return v, nil
}

// mergedParent follows a merged case to the case it was merged into (through chains of
// merges), or returns nil for a case that is not merged.
func (s *Service) mergedParent(ctx context.Context, tx *store.Tx, c *gl.Case) (*gl.Case, error) {
	if c.Status != gl.StatusMerged || c.DuplicateOf == "" {
		return nil, nil
	}
	cur := c
	for range 5 {
		p, err := tx.CaseByCode(ctx, cur.DuplicateOf)
		if gl.ErrorCode(err) == gl.ENOTFOUND {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		if p.Status != gl.StatusMerged || p.DuplicateOf == "" {
			return p, nil
		}
		cur = p
	}
	return nil, nil
}

// trackingOf builds the tracking view of c for a reporter or a follower. Followers see
// the departments' replies but not the reporter's own words (supplements).
func (s *Service) trackingOf(ctx context.Context, tx *store.Tx, c *gl.Case, role string) (*Tracking, int, error) {
	var cat *gl.Category
	if c.CategoryCode != "" {
		var err error
		if cat, err = tx.CategoryByCode(ctx, c.CategoryCode); err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
			return nil, 0, err
		}
	}
	evs, err := tx.Events(ctx, c.ID)
	if err != nil {
		return nil, 0, err
	}
	loc := s.Calendar().Location()
	t := s.trackingHead(c, cat)
	if role == CitizenFollower {
		t.Description = maskPersonal(c.Description, c.ReporterName)
		t.Address = maskPersonal(c.Address, c.ReporterName)
	}
	for _, e := range evs {
		if !e.Public {
			continue
		}
		step := TrackingStep{At: e.At.In(loc).Format(trackingLayout), Action: e.Action, Label: e.Action.Label("zh"), Status: e.To}
		switch e.Action {
		case gl.ActionFeedback, gl.ActionReject, gl.ActionReopen, gl.ActionClose, gl.ActionFollowUp:
			step.Note = e.Note
		case gl.ActionSupplement:
			if role == CitizenReporter {
				step.Note = e.Note
			}
		}
		if role == CitizenFollower {
			step.Note = maskPersonal(step.Note, c.ReporterName)
		}
		t.Timeline = append(t.Timeline, step)
	}
	acts := workflow.Available(*c, workflow.Actor{Roles: []gl.Role{gl.RoleCitizen}}, s.env(s.now(), cat))
	if role == CitizenFollower {
		acts = slices.DeleteFunc(acts, func(a gl.Action) bool { return !slices.Contains(followerActions, a) })
	}
	if acts == nil {
		acts = []gl.Action{}
	}
	t.Actions = acts
	return t, c.Interest, nil
}

// citizenPhotos are the photos of c a citizen may see: the departments' feedback
// photos, and with own the report's photos and the reporter's supplements.
func (s *Service) citizenPhotos(ctx context.Context, tx *store.Tx, c *gl.Case, own bool) ([]string, error) {
	evs, err := tx.Events(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	if own {
		out = slices.Clone(c.Photos)
	}
	for _, e := range evs {
		if e.Public && (e.Action == gl.ActionFeedback || (own && e.Action == gl.ActionSupplement)) {
			for _, u := range EventPhotos(e) {
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
	}
	return out, nil
}

// ActAsCitizen applies a citizen's action through their tracking token: the reporter's
// actions on their own case (as ActAsReporter), or, for a follower or the reporter of
// a merged duplicate, rate and reopen on the case they follow.
func (s *Service) ActAsCitizen(ctx context.Context, token string, in workflow.Input) (*ActResult, error) {
	if slices.Contains(gl.SideActions, in.Action) {
		return nil, gl.Errorf(gl.EFORBIDDEN, "不能通过查询码执行「%s」", in.Action.Label("zh"))
	}
	var res *ActResult
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		hash := TrackingHash(token)
		c, err := tx.CaseByTrackingHash(ctx, hash)
		name := "关注市民"
		switch {
		case err == nil:
			parent, err := s.mergedParent(ctx, tx, c)
			if err != nil {
				return err
			}
			if parent == nil {
				res, err = s.apply(ctx, tx, &Principal{ReporterOf: c.ID}, c, in, nil)
				return err
			}
			c, name = parent, "合并案件报告人"
		case gl.ErrorCode(err) != gl.ENOTFOUND:
			return err
		default:
			f, err := tx.FollowerByHash(ctx, hash)
			if err != nil {
				return trackingNotFound(err)
			}
			if c, err = tx.CaseByID(ctx, f.CaseID); err != nil {
				return err
			}
		}
		if !slices.Contains(followerActions, in.Action) {
			return gl.Errorf(gl.EFORBIDDEN, "关注的市民只能评价办理结果或申请重新办理")
		}
		res, err = s.applyCitizen(ctx, tx, c, in, name)
		return err
	})
	return res, err
}

// followUpHook is the event hook of follow-ups: a closing asks, a rating or a
// citizen's reopening answers, a reopening by staff voids the question.
func (s *Service) followUpHook(ctx context.Context, tx *store.Tx, _, after *gl.Case, ev *gl.Event) error {
	switch ev.Action {
	case gl.ActionClose:
		channel := "web"
		if after.ReporterPhone != "" && citizenChannel(after) && s.notifyConfig().SMS {
			channel = "web+" + notify.SMS
		}
		if !citizenChannel(after) {
			fs, err := tx.Followers(ctx, after.ID)
			if err != nil {
				return err
			}
			dups, err := tx.Duplicates(ctx, after.Code)
			if err != nil {
				return err
			}
			if len(fs) == 0 && len(dups) == 0 {
				return nil // a grid worker's or a camera's finding: nobody to ask
			}
		}
		return tx.InsertFollowUp(ctx, &store.FollowUp{CaseID: after.ID, CloseEventID: ev.ID, AskedAt: ev.At, Channel: channel})
	case gl.ActionRate:
		d := eventData(ev)
		_, err := tx.AnswerFollowUps(ctx, after.ID, ev.At, store.FollowUpAnswered, string(d.Satisfaction), d.Fixed, ev.ID)
		return err
	case gl.ActionReopen:
		if ev.Role == gl.RoleCitizen {
			no := false
			_, err := tx.AnswerFollowUps(ctx, after.ID, ev.At, store.FollowUpAnswered, "not_fixed", &no, ev.ID)
			return err
		}
		_, err := tx.AnswerFollowUps(ctx, after.ID, ev.At, store.FollowUpVoid, "", nil, ev.ID)
		return err
	}
	return nil
}

// CountUnansweredFollowUps counts the follow-ups still unanswered after the settings'
// FollowUpDays by the settings' Unanswered policy, each with a follow_up event on its
// case, and returns how many it counted. Safe on many nodes at once: each batch locks
// its rows (SKIP LOCKED on PostgreSQL; SQLite has one writer).
func (s *Service) CountUnansweredFollowUps(ctx context.Context) (int, error) {
	set := s.CitizenSettings()
	system := &Principal{System: true}
	in := workflow.Input{Action: gl.ActionFollowUp}
	label := "不计入满意率和解决率"
	switch set.Unanswered {
	case workflow.CountedSatisfied:
		yes := true
		in.Satisfaction, in.Fixed, label = gl.Satisfied, &yes, "按「已解决、满意」计"
	case workflow.CountedUnsatisfied:
		no := false
		in.Satisfaction, in.Fixed, label = gl.Unsatisfied, &no, "按「未解决、不满意」计"
	}
	in.Note = fmt.Sprintf("结案回访 %d 天未获答复，%s。", set.FollowUpDays, label)
	total := 0
	for {
		n, last := 0, false
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			now := s.now()
			due, err := tx.DueFollowUps(ctx, now.Add(-time.Duration(set.FollowUpDays)*24*time.Hour), 50)
			if err != nil {
				return err
			}
			last = len(due) < 50
			for _, f := range due {
				c, err := tx.CaseByID(ctx, f.CaseID)
				if err != nil {
					return err
				}
				if workflow.Allowed(*c, system.actor(), gl.ActionFollowUp, s.env(now, nil)) != nil {
					// Reopened, or rated without this row being answered: nothing to count.
					if err := tx.CountFollowUp(ctx, f.ID, store.FollowUpVoid, now, 0); err != nil {
						return err
					}
					continue
				}
				res, err := s.apply(ctx, tx, system, c, in, nil)
				if err != nil {
					return err
				}
				if err := tx.CountFollowUp(ctx, f.ID, set.Unanswered, now, res.Event.ID); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if last {
			return total, nil
		}
	}
}

// FollowUps returns the follow-ups of the case with code, for staff.
func (s *Service) FollowUps(ctx context.Context, p *Principal, code string) ([]store.FollowUp, error) {
	c, err := s.Case(ctx, p, code)
	if err != nil {
		return nil, err
	}
	var out []store.FollowUp
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.FollowUps(ctx, c.ID)
		return err
	})
	return out, err
}
