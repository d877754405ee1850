package gridloop

// Action is something an actor does to a case; every action that is applied becomes an Event.
type Action string

const (
	ActionReport            Action = "report" // intake; creates the case
	ActionSendVerify        Action = "send_verify"
	ActionVerify            Action = "verify"
	ActionRegister          Action = "register"
	ActionReject            Action = "reject"
	ActionMerge             Action = "merge"
	ActionWithdraw          Action = "withdraw"
	ActionDispatch          Action = "dispatch"
	ActionSign              Action = "sign"
	ActionSubDispatch       Action = "sub_dispatch"
	ActionFeedback          Action = "feedback"
	ActionSendCheck         Action = "send_check"
	ActionCheck             Action = "check"
	ActionClose             Action = "close"
	ActionRate              Action = "rate"
	ActionReopen            Action = "reopen"
	ActionRequestReturn     Action = "request_return"
	ActionRequestExtension  Action = "request_extension"
	ActionRequestSuspension Action = "request_suspension"
	ActionApprove           Action = "approve"
	ActionDeny              Action = "deny"
	ActionResume            Action = "resume"
	ActionComment           Action = "comment"
	ActionSupplement        Action = "supplement"
	ActionUrge              Action = "urge"
	ActionFlagOverdue       Action = "flag_overdue"
	ActionMeToo             Action = "me_too"    // another citizen has the same problem and follows the case
	ActionFollowUp          Action = "follow_up" // the follow-up (回访) went unanswered and is counted by the city's policy
)

// Actions lists every action that applies to an existing case.
var Actions = []Action{
	ActionSendVerify, ActionVerify, ActionRegister, ActionReject, ActionMerge, ActionWithdraw,
	ActionDispatch, ActionSign, ActionSubDispatch, ActionFeedback, ActionSendCheck, ActionCheck,
	ActionClose, ActionRate, ActionReopen, ActionRequestReturn, ActionRequestExtension,
	ActionRequestSuspension, ActionApprove, ActionDeny, ActionResume, ActionComment,
	ActionSupplement, ActionUrge, ActionFlagOverdue,
}

// SideActions apply to an existing case too, but Available never offers them: each has
// an entry point of its own (a citizen following a case they found among the similar
// ones, the follow-up job counting an unanswered follow-up). They record events like
// any action; they change no state.
var SideActions = []Action{ActionMeToo, ActionFollowUp}

var actionLabels = map[Action][2]string{
	ActionReport:            {"上报", "Report"},
	ActionSendVerify:        {"派发核实", "Send to verify"},
	ActionVerify:            {"核实", "Verify"},
	ActionRegister:          {"立案", "Register"},
	ActionReject:            {"不予立案", "Reject"},
	ActionMerge:             {"合并", "Merge"},
	ActionWithdraw:          {"撤回", "Withdraw"},
	ActionDispatch:          {"派遣", "Dispatch"},
	ActionSign:              {"签收", "Sign for"},
	ActionSubDispatch:       {"下派", "Sub-dispatch"},
	ActionFeedback:          {"处置反馈", "Feed back"},
	ActionSendCheck:         {"派发核查", "Send to check"},
	ActionCheck:             {"核查", "Check"},
	ActionClose:             {"结案", "Close"},
	ActionRate:              {"评价", "Rate"},
	ActionReopen:            {"重新办理", "Reopen"},
	ActionRequestReturn:     {"申请退回", "Ask to return"},
	ActionRequestExtension:  {"申请延期", "Ask for extension"},
	ActionRequestSuspension: {"申请挂账", "Ask to suspend"},
	ActionApprove:           {"批准申请", "Approve request"},
	ActionDeny:              {"驳回申请", "Deny request"},
	ActionResume:            {"恢复办理", "Resume"},
	ActionComment:           {"内部备注", "Comment"},
	ActionSupplement:        {"补充信息", "Add information"},
	ActionUrge:              {"督办", "Urge"},
	ActionFlagOverdue:       {"超期", "Overdue"},
	ActionMeToo:             {"市民附议", "Me too"},
	ActionFollowUp:          {"回访结果", "Follow-up"},
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { _, ok := actionLabels[a]; return ok }

// Label is the action's name in lang ("zh" or "en").
func (a Action) Label(lang string) string { return label(actionLabels[a], lang, string(a)) }
