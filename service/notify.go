package service

// Notifications (issue #9 §4). The event hook notifyHook works out who is told what
// about each event and writes one row per recipient and channel to the message log
// (table notifications), in the event's transaction: a message exists if and only if
// its event committed. The sender (jobs.Citizen) claims due rows with a lease, hands
// them to the channels of package notify and records the outcome: at least once, with
// retries. In-app messages are read from the log itself: the staff workbench and the
// citizen's tracking page show them.
//
// Who is told what:
//
//	register      the reporter                                  case_registered
//	reject        the reporter                                  case_rejected
//	merge         the duplicate's reporter                      case_merged
//	feedback      the citizens of the case                      dept_replied
//	close         the citizens of the case                      case_closed (please rate)
//	reopen, rate "not fixed"
//	              the citizens of the case                      case_reopened
//	              the handlers of its departments               case_reopened_dept
//	              every supervisor whose scope holds the case   reopen_alert
//	dispatch, sub_dispatch
//	              the handlers of the department                dispatched
//	flag_overdue  the lead department's handlers, supervisors   overdue
//	urge          the lead department's handlers                urged
//
// The citizens of a case are its reporter (unless a grid worker's or a camera's), its
// followers ("me too") and the reporters of the duplicates merged into it: a merged
// report follows its parent's outcome. Citizens get in-app messages (on their tracking
// page) and a text message when they left a phone number (an email when a follower left
// an address); staff get in-app messages, and email, text or webhook when their contact
// (table user_contacts) has one; NotifyConfig.StaffWebhook gets every staff message.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/notify"
	"github.com/gridloop/gridloop/store"
)

// Message templates.
const (
	TplCaseRegistered   = "case_registered"
	TplCaseRejected     = "case_rejected"
	TplCaseMerged       = "case_merged"
	TplDeptReplied      = "dept_replied"
	TplCaseClosed       = "case_closed"
	TplCaseReopened     = "case_reopened"
	TplCaseReopenedDept = "case_reopened_dept"
	TplReopenAlert      = "reopen_alert"
	TplDispatched       = "dispatched"
	TplOverdue          = "overdue"
	TplUrged            = "urged"
	TplRequest          = "request"           // a department asks to return, extend or suspend
	TplRequestDecided   = "request_decided"   // the dispatcher's answer to it
	TplDeadlineExtended = "deadline_extended" // the citizens: an approved extension's new deadline
)

// message is one message before it is fanned out to recipients and channels.
type message struct {
	template, subject, body, link string
}

// recipient is someone a message goes to, with their addresses.
type recipient struct {
	kind         string // store.Recipient*
	id           int64
	phone, email string
	webhook      string
}

// notifyHook is the event hook that writes the messages an event causes.
func (s *Service) notifyHook(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
	if after == nil || ev == nil {
		return nil
	}
	cfg := s.notifyConfig()
	var rows []*store.Notification
	add := func(m message, rs []recipient, staff bool) {
		rows = append(rows, s.fanOut(cfg, after, ev, m, rs, staff)...)
	}
	data := eventData(ev)
	reopened := ev.Action == gl.ActionReopen || (ev.Action == gl.ActionRate && data.Reopened)
	code := after.Code
	switch {
	case ev.Action == gl.ActionRegister:
		add(message{TplCaseRegistered, "问题已立案", fmt.Sprintf("您反映的问题（编号 %s）已立案，正在派遣相关部门处理。", code), s.publicLink(ctx, tx, after)}, reporterOf(after), false)
	case ev.Action == gl.ActionReject:
		add(message{TplCaseRejected, "问题不予立案", fmt.Sprintf("您反映的问题（编号 %s）不予立案：%s", code, ev.Note), ""}, reporterOf(after), false)
	case ev.Action == gl.ActionMerge:
		add(message{TplCaseMerged, "已合并办理", fmt.Sprintf("您反映的问题（编号 %s）与案件 %s 是同一问题，已合并办理。办理进展和结果可在您原来的查询页面查看，办结后也请您评价。", code, after.DuplicateOf), ""}, reporterOf(after), false)
	case ev.Action == gl.ActionFeedback:
		rs, err := s.citizensOf(ctx, tx, after)
		if err != nil {
			return err
		}
		add(message{TplDeptReplied, "部门已答复", fmt.Sprintf("您反映的问题（编号 %s）有了处置答复：%s", code, ev.Note), s.publicLink(ctx, tx, after)}, rs, false)
	case ev.Action == gl.ActionClose:
		rs, err := s.citizensOf(ctx, tx, after)
		if err != nil {
			return err
		}
		days := int(s.policy().ReopenWindow.Hours() / 24)
		add(message{TplCaseClosed, "问题已办结，请评价", fmt.Sprintf("您反映的问题（编号 %s）已办结。问题解决了吗？请在查询页面评价；如未解决，可在 %d 天内申请重新办理。", code, days), s.publicLink(ctx, tx, after)}, rs, false)
	case reopened:
		rs, err := s.citizensOf(ctx, tx, after)
		if err != nil {
			return err
		}
		add(message{TplCaseReopened, "问题已重新办理", fmt.Sprintf("您反映的问题（编号 %s）已重新办理，由原承办部门继续处理。", code), s.publicLink(ctx, tx, after)}, rs, false)
		staff, err := s.staffDirectory(ctx, tx)
		if err != nil {
			return err
		}
		why := ev.Note
		if why == "" {
			why = "市民反映问题未解决"
		}
		var depts []int64
		for _, a := range after.Assignments {
			depts = append(depts, a.DeptID)
		}
		add(message{TplCaseReopenedDept, "案件重新办理", fmt.Sprintf("案件 %s 结案后%s，已重新办理（第 %d 次），请尽快处置。", code, reopenBy(ev), after.ReopenCount), s.staffLink(code)}, staff.handlersOf(s, depts...), true)
		add(message{TplReopenAlert, "督办提醒：案件重新办理", fmt.Sprintf("督办提醒：案件 %s（%s）结案后%s：「%s」。已第 %d 次重新办理，承办部门：%s。", code, s.catName(ctx, tx, after.CategoryCode), reopenBy(ev), quote(why), after.ReopenCount, s.deptNames(depts)), s.staffLink(code)}, staff.supervisorsOf(s, after), true)
	case ev.Action == gl.ActionDispatch || ev.Action == gl.ActionSubDispatch:
		staff, err := s.staffDirectory(ctx, tx)
		if err != nil {
			return err
		}
		depts := []int64{ev.DeptID}
		if ev.Action == gl.ActionDispatch {
			depts = depts[:0]
			for _, a := range after.Assignments {
				depts = append(depts, a.DeptID)
			}
		}
		for _, d := range depts {
			add(message{TplDispatched, "新派遣案件", fmt.Sprintf("案件 %s（%s）已派遣到%s，请及时签收。", code, s.catName(ctx, tx, after.CategoryCode), s.deptNames([]int64{d})), s.staffLink(code)}, staff.handlersOf(s, d), true)
		}
	case ev.Action == gl.ActionSign:
		if err := s.clearSignReminders(ctx, tx, after, ev); err != nil {
			return err
		}
	case after.Pending != nil && (before == nil || before.Pending == nil):
		if err := s.requestMessage(ctx, tx, after, add); err != nil {
			return err
		}
	case (ev.Action == gl.ActionApprove || ev.Action == gl.ActionDeny) && before != nil && before.Pending != nil:
		if err := s.decisionMessage(ctx, tx, before.Pending, after, ev, add); err != nil {
			return err
		}
	case ev.Action == gl.ActionFlagOverdue:
		staff, err := s.staffDirectory(ctx, tx)
		if err != nil {
			return err
		}
		lead := after.LeadDeptID()
		rs := append(staff.handlersOf(s, lead), staff.supervisorsOf(s, after)...)
		add(message{TplOverdue, "超期提醒", fmt.Sprintf("超期提醒：案件 %s（%s）已超过处置时限，承办部门：%s。", code, s.catName(ctx, tx, after.CategoryCode), s.deptNames([]int64{lead})), s.staffLink(code)}, dedupe(rs), true)
	case ev.Action == gl.ActionUrge:
		staff, err := s.staffDirectory(ctx, tx)
		if err != nil {
			return err
		}
		add(message{TplUrged, "督办", fmt.Sprintf("案件 %s 被督办：%s", code, quote(ev.Note)), s.staffLink(code)}, staff.handlersOf(s, after.LeadDeptID()), true)
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.InsertNotifications(ctx, rows)
}

// quoteLimit bounds the free text a staff message quotes (a reason, an urge): the
// whole of it is on the case page the message links to.
const quoteLimit = 200

// quote is note cut to quoteLimit characters, ending in … when cut.
func quote(note string) string {
	if r := []rune(note); len(r) > quoteLimit {
		return string(r[:quoteLimit]) + "…"
	}
	return note
}

func reopenBy(ev *gl.Event) string {
	if ev.Role == gl.RoleCitizen {
		return "市民反映问题未解决"
	}
	return "由督办人员要求重新办理"
}

// eventFields are the fields of Event.Data the hooks read.
type eventFields struct {
	Satisfaction gl.Satisfaction `json:"satisfaction"`
	Fixed        *bool           `json:"fixed"`
	Reopened     bool            `json:"reopened"`
}

func eventData(ev *gl.Event) eventFields {
	var d eventFields
	if len(ev.Data) > 0 {
		_ = json.Unmarshal(ev.Data, &d)
	}
	return d
}

// fanOut turns one message into log rows: one per recipient and channel.
func (s *Service) fanOut(cfg NotifyConfig, c *gl.Case, ev *gl.Event, m message, rs []recipient, staff bool) []*store.Notification {
	var out []*store.Notification
	row := func(r recipient, channel, to string) {
		out = append(out, &store.Notification{CaseID: c.ID, EventID: ev.ID, RecipientKind: r.kind, RecipientID: r.id,
			Recipient: to, Channel: channel, Template: m.template, Subject: m.subject, Body: m.body, Link: m.link,
			NextAt: ev.At, CreatedAt: ev.At})
	}
	for _, r := range rs {
		row(r, notify.InApp, r.kind+":"+strconv.FormatInt(r.id, 10))
		if r.phone != "" && cfg.SMS {
			row(r, notify.SMS, r.phone)
		}
		if r.email != "" && cfg.Email {
			row(r, notify.Email, r.email)
		}
		if r.webhook != "" {
			row(r, notify.Webhook, r.webhook)
		}
	}
	if staff && cfg.StaffWebhook != "" && len(rs) > 0 {
		row(recipient{kind: store.RecipientWebhook}, notify.Webhook, cfg.StaffWebhook)
	}
	if cfg.BaseURL != "" {
		for _, n := range out {
			if n.Link != "" && n.Link[0] == '/' {
				n.Link = cfg.BaseURL + n.Link
			}
		}
	}
	return out
}

// citizenChannel says whether a case's reporter is a citizen to tell: not a grid
// worker's patrol finding nor a camera's.
func citizenChannel(c *gl.Case) bool {
	return c.Channel != gl.ChannelPatrol && c.Channel != gl.ChannelCamera
}

// reporterOf is the reporter of c, when a citizen.
func reporterOf(c *gl.Case) []recipient {
	if !citizenChannel(c) {
		return nil
	}
	return []recipient{{kind: store.RecipientReporter, id: c.ID, phone: c.ReporterPhone}}
}

// citizensOf are the citizens who follow c's outcome: its reporter, its followers and
// the reporters of the duplicates merged into it.
func (s *Service) citizensOf(ctx context.Context, tx *store.Tx, c *gl.Case) ([]recipient, error) {
	rs := reporterOf(c)
	fs, err := tx.Followers(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		rs = append(rs, recipient{kind: store.RecipientFollower, id: f.ID, phone: f.Phone, email: f.Email})
	}
	dups, err := tx.Duplicates(ctx, c.Code)
	if err != nil {
		return nil, err
	}
	for i := range dups {
		rs = append(rs, reporterOf(&dups[i])...)
	}
	return rs, nil
}

// publicLink is the public page of c when its category is public, else "".
func (s *Service) publicLink(ctx context.Context, tx *store.Tx, c *gl.Case) string {
	cats, err := s.categoryMapIn(ctx, tx)
	if err != nil || !publicCategory(cats, c.CategoryCode) {
		return ""
	}
	return "/public/cases/" + c.Code
}

func (s *Service) staffLink(code string) string { return "/cases/" + code }

func (s *Service) catName(ctx context.Context, tx *store.Tx, code string) string {
	cats, err := s.categoryMapIn(ctx, tx)
	if err == nil {
		if c, ok := cats[code]; ok {
			return c.Name
		}
	}
	if code == "" {
		return "未分类"
	}
	return code
}

func (s *Service) deptNames(ids []int64) string {
	var out string
	for i, id := range ids {
		if i > 0 {
			out += "、"
		}
		if d, ok := s.Depts().Get(id); ok {
			out += d.Name
		} else {
			out += "#" + strconv.FormatInt(id, 10)
		}
	}
	return out
}

func dedupe(rs []recipient) []recipient {
	seen := map[string]bool{}
	out := rs[:0]
	for _, r := range rs {
		k := r.kind + ":" + strconv.FormatInt(r.id, 10)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// staffCache holds the staff and their contacts for a few seconds: the hook reads them
// for every dispatch, sign, request, decision, reopening and overdue flag.
type staffCache struct {
	mu  sync.Mutex
	at  time.Time
	dir *staffDir
}

type staffDir struct {
	users    []gl.User
	contacts map[int64]store.UserContact
}

const staffCacheTTL = 15 * time.Second

// staffDirectory returns the staff, read through tx when the cache is stale.
func (s *Service) staffDirectory(ctx context.Context, tx *store.Tx) (*staffDir, error) {
	sc := &s.citizen.staff
	sc.mu.Lock()
	dir, at := sc.dir, sc.at
	sc.mu.Unlock()
	if dir != nil && time.Since(at) < staffCacheTTL {
		return dir, nil
	}
	// Read without the lock: other transactions must not wait on it while they hold
	// their connections.
	users, err := tx.Users(ctx)
	if err != nil {
		return nil, err
	}
	contacts, err := tx.UserContacts(ctx)
	if err != nil {
		return nil, err
	}
	dir = &staffDir{users: users, contacts: contacts}
	sc.mu.Lock()
	sc.dir, sc.at = dir, time.Now()
	sc.mu.Unlock()
	return dir, nil
}

// forgetStaff drops the cached staff (after a contact changes).
func (s *Service) forgetStaff() {
	s.citizen.staff.mu.Lock()
	s.citizen.staff.dir = nil
	s.citizen.staff.mu.Unlock()
}

func (d *staffDir) recipient(u *gl.User) recipient {
	r := recipient{kind: store.RecipientUser, id: u.ID}
	if c, ok := d.contacts[u.ID]; ok {
		r.phone, r.email, r.webhook = c.Phone, c.Email, c.WebhookURL
	}
	return r
}

// handlersOf are the enabled handlers whose department scope holds one of depts.
func (d *staffDir) handlersOf(s *Service, depts ...int64) []recipient {
	var out []recipient
	tree := s.Depts()
	for i := range d.users {
		u := &d.users[i]
		if u.Disabled || !u.HasRole(gl.RoleHandler) || len(u.DeptScope) == 0 {
			continue
		}
		sub := tree.Subtree(u.DeptScope...)
		if slices.ContainsFunc(depts, func(id int64) bool { return id != 0 && slices.Contains(sub, id) }) {
			out = append(out, d.recipient(u))
		}
	}
	return out
}

// dispatchersOf are the enabled dispatchers whose scope holds c.
func (d *staffDir) dispatchersOf(s *Service, c *gl.Case) []recipient {
	return d.inScope(s, c, gl.RoleDispatcher)
}

// supervisorsOf are the enabled supervisors whose scope holds c.
func (d *staffDir) supervisorsOf(s *Service, c *gl.Case) []recipient {
	return d.inScope(s, c, gl.RoleSupervisor)
}

// inScope are the enabled users with role whose scope holds c.
func (d *staffDir) inScope(s *Service, c *gl.Case, role gl.Role) []recipient {
	var out []recipient
	for i := range d.users {
		u := &d.users[i]
		if u.Disabled || !u.HasRole(role) {
			continue
		}
		if s.NewPrincipal(u).canSee(c) {
			out = append(out, d.recipient(u))
		}
	}
	return out
}

// SetUserContact sets where a staff user is told besides the workbench.
func (s *Service) SetUserContact(ctx context.Context, c store.UserContact) error {
	if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
		return gl.FieldError("phone", "电话号码格式不正确")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 200 {
			return gl.FieldError("email", "电子邮箱格式不正确")
		}
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(c.WebhookURL) > 2000 {
			return gl.FieldError("webhook_url", "回调地址须为 http:// 或 https:// 开头的完整网址")
		}
	}
	c.UpdatedAt = s.now()
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.UserByID(ctx, c.UserID); err != nil {
			return err
		}
		return tx.PutUserContact(ctx, &c)
	})
	s.forgetStaff()
	return err
}

// The sender's side.

// ClaimNotifications leases up to limit due messages for lease.
func (s *Service) ClaimNotifications(ctx context.Context, limit int, lease time.Duration) ([]store.Notification, error) {
	var out []store.Notification
	now := s.now()
	token := newDeliveryID()
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.ClaimNotifications(ctx, now, now.Add(lease), token, limit)
		return err
	})
	return out, err
}

// FinishNotification records an attempt's outcome: sent, failed, or pending again at
// next. It reports whether the claim still held its lease.
func (s *Service) FinishNotification(ctx context.Context, n store.Notification, status, errMsg string, next time.Time) (bool, error) {
	var held bool
	if len(errMsg) > 1000 {
		errMsg = errMsg[:1000]
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		held, err = tx.FinishNotification(ctx, n, status, errMsg, s.now(), next)
		return err
	})
	return held, err
}

// NextNotificationAt is when the earliest pending message is due, or nil.
func (s *Service) NextNotificationAt(ctx context.Context) (*time.Time, error) {
	var next *time.Time
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		next, err = tx.NextNotificationAt(ctx)
		return err
	})
	return next, err
}

// NotifyMessage is the message of a log row, for a channel.
func NotifyMessage(n store.Notification) notify.Message {
	return notify.Message{ID: n.ID, Channel: n.Channel, To: n.Recipient, Template: n.Template, Subject: n.Subject,
		Body: n.Body, Link: n.Link, CaseCode: n.CaseCode, At: n.CreatedAt}
}

// Reading.

// Inbox is a recipient's in-app messages, newest first, and how many are unread: at
// most store.UnreadCap, and UnreadCapped when there are more.
type Inbox struct {
	Unread       int          `json:"unread"`
	UnreadCapped bool         `json:"unread_capped"`
	Items        []InboxEntry `json:"items"`
}

// InboxEntry is one in-app message.
type InboxEntry struct {
	ID        int64     `json:"id"`
	Template  string    `json:"template"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	Link      string    `json:"link,omitempty"`
	CaseCode  string    `json:"case_code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

func inboxOf(list []store.Notification, unread int) *Inbox {
	in := &Inbox{Unread: min(unread, store.UnreadCap), UnreadCapped: unread > store.UnreadCap, Items: []InboxEntry{}}
	for _, n := range list {
		in.Items = append(in.Items, InboxEntry{ID: n.ID, Template: n.Template, Subject: n.Subject, Body: n.Body,
			Link: n.Link, CaseCode: n.CaseCode, CreatedAt: n.CreatedAt, Read: n.ReadAt != nil})
	}
	return in
}

// StaffInbox returns the signed-in user's in-app messages (at most limit, default 20).
func (s *Service) StaffInbox(ctx context.Context, p *Principal, limit int) (*Inbox, error) {
	if p == nil || p.User == nil {
		return nil, gl.Errorf(gl.EUNAUTHORIZED, "请先登录")
	}
	return s.inbox(ctx, store.RecipientUser, p.User.ID, limit)
}

func (s *Service) inbox(ctx context.Context, kind string, id int64, limit int) (*Inbox, error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	var list []store.Notification
	var unread int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		list, unread, err = tx.Inbox(ctx, kind, id, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inboxOf(list, unread), nil
}

// MarkStaffInboxRead marks the user's in-app messages up to id upTo as read (0: all).
func (s *Service) MarkStaffInboxRead(ctx context.Context, p *Principal, upTo int64) error {
	if p == nil || p.User == nil {
		return gl.Errorf(gl.EUNAUTHORIZED, "请先登录")
	}
	if upTo <= 0 {
		upTo = 1<<62 - 1
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.MarkRead(ctx, store.RecipientUser, p.User.ID, upTo, s.now())
	})
}

// NotificationLog returns a page of the message log, newest first, with phone numbers
// and email addresses masked.
func (s *Service) NotificationLog(ctx context.Context, f store.NotificationFilter, caseCode string) ([]store.Notification, int, error) {
	switch f.Status {
	case "", store.NotifyPending, store.NotifySent, store.NotifyFailed:
	default:
		return nil, 0, gl.FieldError("status", "状态须为 pending、sent 或 failed")
	}
	switch f.Channel {
	case "", notify.InApp, notify.Email, notify.SMS, notify.Webhook:
	default:
		return nil, 0, gl.FieldError("channel", "渠道须为 inapp、email、sms 或 webhook")
	}
	if f.Limit < 0 || f.Offset < 0 || f.Limit > store.MaxLimit {
		return nil, 0, gl.FieldError("limit", "分页参数无效")
	}
	var out []store.Notification
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		if caseCode != "" {
			c, err := tx.CaseByCode(ctx, caseCode)
			if err != nil {
				return err
			}
			f.CaseID = c.ID
		}
		var err error
		out, total, err = tx.NotificationLog(ctx, f)
		return err
	})
	for i := range out {
		switch out[i].Channel {
		case notify.SMS:
			out[i].Recipient = MaskPhone(out[i].Recipient)
		case notify.Email:
			out[i].Recipient = maskPersonal(out[i].Recipient, "")
		}
	}
	return out, total, err
}
