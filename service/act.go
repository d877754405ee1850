package service

import (
	"context"
	"slices"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// ActResult is the case after an action and the event that recorded it.
type ActResult struct {
	Case  *gl.Case  `json:"case"`
	Event *gl.Event `json:"event"`
}

// Act applies a workflow action to the case with code. With version set, the action is
// refused with ECONFLICT unless the case is still at that version.
func (s *Service) Act(ctx context.Context, p *Principal, code string, in workflow.Input, version *int) (*ActResult, error) {
	var res *ActResult
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByCode(ctx, code)
		if err != nil {
			return err
		}
		if !p.canSee(c) {
			return gl.Errorf(gl.ENOTFOUND, "案件 %s 不存在", code)
		}
		res, err = s.apply(ctx, tx, p, c, in, version)
		return err
	})
	return res, err
}

// ActAsReporter applies a reporter's action (supplement, rate, reopen, withdraw) to the
// case whose tracking token this is.
func (s *Service) ActAsReporter(ctx context.Context, token string, in workflow.Input) (*ActResult, error) {
	if slices.Contains(gl.SideActions, in.Action) { // me_too is for other citizens (Follow)
		return nil, gl.Errorf(gl.EFORBIDDEN, "报告人不能执行「%s」", in.Action.Label("zh"))
	}
	var res *ActResult
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.CaseByTrackingHash(ctx, TrackingHash(token))
		if err != nil {
			return trackingNotFound(err)
		}
		res, err = s.apply(ctx, tx, &Principal{ReporterOf: c.ID}, c, in, nil)
		return err
	})
	return res, err
}

func trackingNotFound(err error) error {
	if gl.ErrorCode(err) == gl.ENOTFOUND {
		return gl.Errorf(gl.ENOTFOUND, "查询码无效，请核对后重试")
	}
	return err
}

func (s *Service) apply(ctx context.Context, tx *store.Tx, p *Principal, c *gl.Case, in workflow.Input, version *int) (*ActResult, error) {
	if version != nil && *version != c.Version {
		return nil, gl.Errorf(gl.ECONFLICT, "案件已被他人修改（当前版本 %d，提交版本 %d），请刷新后重试", c.Version, *version)
	}
	catCode := c.CategoryCode
	if in.Action == gl.ActionRegister && in.CategoryCode != "" {
		catCode = in.CategoryCode
	}
	var cat *gl.Category
	if catCode != "" {
		var err error
		cat, err = tx.CategoryByCode(ctx, catCode)
		if gl.ErrorCode(err) == gl.ENOTFOUND {
			return nil, gl.FieldError("category_code", "未知的问题类别「%s」", catCode)
		} else if err != nil {
			return nil, err
		}
	}
	if in.Action == gl.ActionMerge && in.ParentCode != "" {
		parent, err := tx.CaseByCode(ctx, in.ParentCode)
		if gl.ErrorCode(err) == gl.ENOTFOUND || (err == nil && !p.canSee(parent)) {
			return nil, gl.FieldError("parent_code", "要合并到的案件 %s 不存在", in.ParentCode)
		} else if err != nil {
			return nil, err
		}
		if !parent.Status.Open() || parent.Status == gl.StatusMerged {
			return nil, gl.FieldError("parent_code", "案件 %s 已办结，不能合并到它", in.ParentCode)
		}
	}
	if in.Action == gl.ActionRegister && cat != nil {
		// The routing rules suggest the department the dispatcher will see preselected.
		suggested, err := s.suggestDept(ctx, tx, cat.Code, c.AreaCode)
		if err != nil {
			return nil, err
		}
		cc := *c
		cc.SuggestedDeptID = suggested
		c = &cc
	}
	r, err := workflow.Apply(*c, p.actor(), in, s.env(s.now(), cat))
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

// Available lists what p may do to c now, for the UI.
func (s *Service) Available(p *Principal, c *gl.Case) []gl.Action {
	return workflow.Available(*c, p.actor(), s.env(s.now(), nil))
}
