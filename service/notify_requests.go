package service

import (
	"context"
	"fmt"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// Messages that ask a staff member for something, and their answers: a department's
// request to the dispatchers and the decision back to the department; and the
// reminders marked read once what they asked is done, so that a workbench's unread
// count is what still waits for its user.

// requestNames are the requests' names in messages.
var requestNames = map[gl.RequestKind]string{
	gl.RequestReturn: "退回", gl.RequestExtension: "延期", gl.RequestSuspension: "挂账",
}

// requestMessage tells the dispatchers whose scope holds the case of its new request.
func (s *Service) requestMessage(ctx context.Context, tx *store.Tx, after *gl.Case, add func(message, []recipient, bool)) error {
	staff, err := s.staffDirectory(ctx, tx)
	if err != nil {
		return err
	}
	req := after.Pending
	what := requestNames[req.Kind]
	if req.Limit != nil {
		what += fmt.Sprintf("（延长 %s）", req.Limit)
	}
	add(message{TplRequest, "待审批：" + requestNames[req.Kind] + "申请",
		fmt.Sprintf("案件 %s（%s）%s申请%s：「%s」，请审批。", after.Code, s.catName(ctx, tx, after.CategoryCode),
			s.deptNames([]int64{req.DeptID}), what, quote(req.Reason)), s.staffLink(after.Code)},
		staff.dispatchersOf(s, after), true)
	return nil
}

// decisionMessage tells the requesting department's handlers the dispatcher's answer
// to req, and marks the request read for every dispatcher (one answered for all). An
// approved return also voids the department's "please sign": the case has left it.
func (s *Service) decisionMessage(ctx context.Context, tx *store.Tx, req *gl.Request, after *gl.Case, ev *gl.Event, add func(message, []recipient, bool)) error {
	staff, err := s.staffDirectory(ctx, tx)
	if err != nil {
		return err
	}
	code, name := after.Code, requestNames[req.Kind]
	var due string // an approved extension's new deadline
	if after.Due != nil {
		due = after.Due.In(s.evalLoc()).Format("2006-01-02 15:04")
	}
	m := message{TplRequestDecided, name + "申请已批准", fmt.Sprintf("案件 %s 的%s申请已批准。", code, name), s.staffLink(code)}
	switch {
	case ev.Action == gl.ActionDeny:
		m.subject = name + "申请未获批准"
		m.body = fmt.Sprintf("案件 %s 的%s申请未获批准：%s。请继续办理。", code, name, quote(strings.TrimRight(ev.Note, "。.！!；; ")))
	case req.Kind == gl.RequestExtension && due != "":
		m.body = fmt.Sprintf("案件 %s 的延期申请已批准，处置时限延至 %s。", code, due)
	}
	handlers := staff.handlersOf(s, req.DeptID)
	add(m, handlers, true)
	if req.Kind == gl.RequestExtension && ev.Action == gl.ActionApprove && due != "" {
		// The case's citizens see the handling deadline on their page: they are told
		// when it moves, not left to find it changed. The department's reason is internal.
		rs, err := s.citizensOf(ctx, tx, after)
		if err != nil {
			return err
		}
		add(message{TplDeadlineExtended, "办理时限延长", fmt.Sprintf("您反映的问题（编号 %s）因处置需要，办理时限延长至 %s。",
			code, due), s.publicLink(ctx, tx, after)}, rs, false)
	}
	if req.Kind == gl.RequestReturn && ev.Action == gl.ActionApprove {
		if err := tx.MarkCaseMessagesRead(ctx, after.ID, TplDispatched, store.RecipientUser, userIDs(handlers), ev.At); err != nil {
			return err
		}
	}
	return tx.MarkCaseMessagesRead(ctx, after.ID, TplRequest, store.RecipientUser, userIDs(staff.dispatchersOf(s, after)), ev.At)
}

// clearSignReminders marks read the "please sign" messages (TplDispatched) of the case
// that the signing department's handlers got. A handler who still has a department of
// theirs to sign for on the case (a co-handler, a bureau over both) keeps the message.
func (s *Service) clearSignReminders(ctx context.Context, tx *store.Tx, after *gl.Case, ev *gl.Event) error {
	staff, err := s.staffDirectory(ctx, tx)
	if err != nil {
		return err
	}
	var waiting []int64
	for _, a := range after.Assignments {
		if a.State == gl.AssignmentDispatched {
			waiting = append(waiting, a.DeptID)
		}
	}
	still := map[int64]bool{}
	if len(waiting) > 0 {
		for _, r := range staff.handlersOf(s, waiting...) {
			still[r.id] = true
		}
	}
	var ids []int64
	for _, id := range userIDs(staff.handlersOf(s, ev.DeptID)) {
		if !still[id] {
			ids = append(ids, id)
		}
	}
	return tx.MarkCaseMessagesRead(ctx, after.ID, TplDispatched, store.RecipientUser, ids, ev.At)
}

// userIDs are the user ids of staff recipients.
func userIDs(rs []recipient) []int64 {
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.id)
	}
	return ids
}
