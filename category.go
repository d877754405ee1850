package gridloop

import "github.com/gridloop/gridloop/worktime"

// CategoryKind separates the standard's components (部件) from events (事件).
type CategoryKind string

const (
	KindComponent CategoryKind = "component" // 部件
	KindEvent     CategoryKind = "event"     // 事件
)

// Category is a minor class of problem with the standard triple of filing condition,
// handling limit and closing condition (GB/T 30428.8), plus a response limit.
type Category struct {
	Code             string         `json:"code"` // e.g. "0101"
	Kind             CategoryKind   `json:"kind"`
	MajorCode        string         `json:"major_code"`
	MajorName        string         `json:"major_name"`
	Name             string         `json:"name"`
	FilingCondition  string         `json:"filing_condition"`  // 立案条件
	ClosingCondition string         `json:"closing_condition"` // 结案条件
	HandlingLimit    worktime.Limit `json:"handling_limit"`    // 处置时限
	UrgentLimit      worktime.Limit `json:"urgent_limit"`      // 紧急时的处置时限
	ResponseLimit    worktime.Limit `json:"response_limit"`    // 签收时限
	Urgent           bool           `json:"urgent"`            // urgent by default (e.g. 井盖缺失)
	Public           bool           `json:"public"`            // shown on the public board
	Keywords         string         `json:"keywords,omitempty"`
	Active           bool           `json:"active"`
}

// Limit is the handling limit for a case of this category.
func (c *Category) Limit(urgent bool) worktime.Limit {
	if (urgent || c.Urgent) && c.UrgentLimit.Value > 0 {
		return c.UrgentLimit
	}
	return c.HandlingLimit
}

// Validate checks what an admin typed.
func (c *Category) Validate() error {
	switch {
	case len(c.Code) < 2 || len(c.Code) > 16:
		return FieldError("code", "类别代码须为 2–16 位")
	case c.Kind != KindComponent && c.Kind != KindEvent:
		return FieldError("kind", "类型须为 component（部件）或 event（事件）")
	case c.Name == "":
		return FieldError("name", "类别名称不能为空")
	case !c.HandlingLimit.Unit.Valid() || c.HandlingLimit.Value <= 0:
		return FieldError("handling_limit", "处置时限无效")
	case !c.ResponseLimit.Unit.Valid() || c.ResponseLimit.Value <= 0:
		return FieldError("response_limit", "签收时限无效")
	case c.UrgentLimit.Value < 0 || (c.UrgentLimit.Value > 0 && !c.UrgentLimit.Unit.Valid()):
		return FieldError("urgent_limit", "紧急处置时限无效")
	}
	return nil
}
