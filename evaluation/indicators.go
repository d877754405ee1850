package evaluation

import "slices"

// Indicator is one rate computed from a bucket's counters. Value returns the rate in
// [0, 1], or ok = false when the denominator is 0 (shown as "—", sent as null).
type Indicator struct {
	ID          string `json:"id"`
	Name        string `json:"name"`    // 中文名
	NameEn      string `json:"name_en"` // English name
	Definition  string `json:"definition"`
	Numerator   string `json:"numerator"`   // in counter names
	Denominator string `json:"denominator"` // in counter names
	// LowerIsBetter marks rates where less is better (返工率, 退回率, 延期率); a score
	// counts 1 − value for them.
	LowerIsBetter bool `json:"lower_is_better,omitempty"`
	// Dims are the dimensions the indicator is meant for; the figures exist in every
	// bucket but mean little elsewhere.
	Dims  []Dimension                    `json:"dims"`
	Value func(Counters) (float64, bool) `json:"-"`
}

// Indicator IDs.
const (
	RegistrationRate   = "registration_rate"
	HandlingRate       = "handling_rate"
	HandledOnTimeRate  = "handled_on_time_rate"
	ClosingRate        = "closing_rate"
	ClosedOnTimeRate   = "closed_on_time_rate"
	ReworkRate         = "rework_rate"
	ReturnRate         = "return_rate"
	DispatchAccuracy   = "dispatch_accuracy"
	ExtensionRate      = "extension_rate"
	SignOnTimeRate     = "sign_on_time_rate"
	ResponseRate       = "response_rate"
	ResolutionRate     = "resolution_rate"
	SatisfactionRate   = "satisfaction_rate"
	ValidReportRate    = "valid_report_rate"
	VerifyOnTimeRate   = "verify_on_time_rate"
	CheckOnTimeRate    = "check_on_time_rate"
	RegisterOnTimeRate = "register_on_time_rate"
	DispatchOnTimeRate = "dispatch_on_time_rate"
	ClosePromptRate    = "close_prompt_rate"
)

func ratio(num, den int64) (float64, bool) {
	if den <= 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

var (
	places    = []Dimension{DimCity, DimArea, DimGrid, DimRespGrid}
	deptDims  = []Dimension{DimCity, DimArea, DimGrid, DimRespGrid, DimDepartment}
	gridDims  = []Dimension{DimCity, DimArea, DimGrid, DimRespGrid, DimGridMember}
	staffDims = []Dimension{DimCity, DimUser, DimRole}
)

// Indicators are the evaluation's rates, in the order dashboards show them. The
// period of a figure is the period of the event that counts both its numerator and its
// denominator (docs/indicators.md).
var Indicators = []Indicator{
	{
		ID: RegistrationRate, Name: "立案率", NameEn: "Registration rate",
		Definition: "立案数 ÷ 受理决定数。受理决定指本期内对上报作出的立案、不予立案、合并（重复上报）决定；撤回的不计。",
		Numerator:  "registered", Denominator: "registered + rejected + merged",
		Dims: slices.Concat(places, []Dimension{DimGridMember}),
		Value: func(c Counters) (float64, bool) {
			return ratio(c.Registered, c.Registered+c.Rejected+c.Merged)
		},
	},
	{
		ID: HandlingRate, Name: "处置率", NameEn: "Handling rate",
		Definition: "处置数 ÷ 应处置数。处置数：本期内全部承办部门反馈完毕、案件进入「已处置」的次数（返工、重办后再次处置另计一次）；应处置数：处置数 + 本期内超过处置时限仍未处置的案件数（超期标记）。超期后才处置的案件，超期当期计入分母，处置当期再计入分子和分母。",
		Numerator:  "handled", Denominator: "should_handle = handled + overdue",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.Handled, c.ShouldHandle) },
	},
	{
		ID: HandledOnTimeRate, Name: "按期处置率", NameEn: "On-time handling rate",
		Definition: "按期处置数 ÷ 应处置数。按期处置：案件进入「已处置」时未超过处置时限（含批准的延期、挂账顺延）。应处置数同处置率。",
		Numerator:  "handled_on_time", Denominator: "should_handle",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.HandledOnTime, c.ShouldHandle) },
	},
	{
		ID: ClosingRate, Name: "结案率", NameEn: "Closing rate",
		Definition: "结案数 ÷ 应结案数。结案数：本期内值班长结案的次数（重办后再次结案另计）；应结案数：结案数 + 本期内超过处置时限仍未处置的案件数（超期标记）。",
		Numerator:  "closed", Denominator: "should_close = closed + overdue",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.Closed, c.ShouldClose) },
	},
	{
		ID: ClosedOnTimeRate, Name: "按期结案率", NameEn: "On-time closing rate",
		Definition: "按期结案数 ÷ 应结案数。按期结案：结案时案件从未被标记超期，且在处置时限内处置完毕。应结案数同结案率。",
		Numerator:  "closed_on_time", Denominator: "should_close",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.ClosedOnTime, c.ShouldClose) },
	},
	{
		ID: ReworkRate, Name: "返工率", NameEn: "Rework rate",
		Definition: "返工数 ÷ 核查数。返工：本期内网格员核查不通过、案件退回承办部门重新处置的次数；核查数：本期内全部核查次数（通过与不通过）。",
		Numerator:  "rework", Denominator: "check_tasks", LowerIsBetter: true,
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.Rework, c.CheckTasks) },
	},
	{
		ID: ReturnRate, Name: "退回率", NameEn: "Return rate",
		Definition: "退回数 ÷ 派遣结果数。退回数：本期内批准的退回申请数；派遣结果数：本期内主办部门签收数 + 退回数（签收后又退回的案件两项各计一次）。",
		Numerator:  "returned", Denominator: "accepted + returned", LowerIsBetter: true,
		Dims: deptDims,
		Value: func(c Counters) (float64, bool) {
			return ratio(c.Returned, c.Accepted+c.Returned)
		},
	},
	{
		ID: DispatchAccuracy, Name: "准确派遣率", NameEn: "Dispatch accuracy",
		Definition: "1 − 退回率 = 主办部门签收数 ÷（主办部门签收数 + 退回数）。",
		Numerator:  "accepted", Denominator: "accepted + returned",
		Dims: []Dimension{DimCity, DimArea, DimDepartment},
		Value: func(c Counters) (float64, bool) {
			return ratio(c.Accepted, c.Accepted+c.Returned)
		},
	},
	{
		ID: ExtensionRate, Name: "延期率", NameEn: "Extension rate",
		Definition: "延期处置数 ÷ 应处置数。延期处置数：应处置数中，案件此前获批过延期的项数（计数时看案件累计的批准延期次数是否大于 0）。",
		Numerator:  "extended", Denominator: "should_handle", LowerIsBetter: true,
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.Extended, c.ShouldHandle) },
	},
	{
		ID: SignOnTimeRate, Name: "签收及时率", NameEn: "On-time signing rate",
		Definition: "按时签收数 ÷ 签收数。本期内主办和协办部门的每一次签收，在派遣时确定的签收时限内的为按时。",
		Numerator:  "signed_on_time", Denominator: "signed",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.SignedOnTime, c.Signed) },
	},
	{
		ID: ResponseRate, Name: "响应率", NameEn: "Response rate",
		Definition: "按时响应数 ÷ 应响应数（北京接诉即办「三率」之一）。按时响应：主办部门在签收时限内签收；应响应数：本期内主办部门签收数 + 超过处置时限主办部门仍未签收的案件数。",
		Numerator:  "responded", Denominator: "accepted + unresponded",
		Dims: deptDims,
		Value: func(c Counters) (float64, bool) {
			return ratio(c.Responded, c.Accepted+c.Unresponded)
		},
	},
	{
		ID: ResolutionRate, Name: "解决率", NameEn: "Resolution rate",
		Definition: "已解决数 ÷ 评价数（北京「三率」之一）。本期内诉求人对结案的评价中，表示问题已解决的比例。",
		Numerator:  "resolved", Denominator: "rated",
		Dims:  deptDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.Resolved, c.Rated) },
	},
	{
		ID: SatisfactionRate, Name: "满意率", NameEn: "Satisfaction rate",
		Definition: "（满意数 + 基本满意数）÷ 评价数（北京「三率」之一）。本期内诉求人的评价中，满意和基本满意的比例。",
		Numerator:  "satisfied + basic", Denominator: "rated",
		Dims: deptDims,
		Value: func(c Counters) (float64, bool) {
			return ratio(c.Satisfied+c.Basic, c.Rated)
		},
	},
	{
		ID: ValidReportRate, Name: "有效上报率", NameEn: "Valid report rate",
		Definition: "有效上报数 ÷ 巡查上报受理数。网格员巡查上报的案件，本期内作出受理决定的（立案、不予立案、合并）中立案的比例。",
		Numerator:  "patrol_valid", Denominator: "patrol",
		Dims:  gridDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.PatrolValid, c.Patrol) },
	},
	{
		ID: VerifyOnTimeRate, Name: "按时核实率", NameEn: "On-time verification rate",
		Definition: "按时核实数 ÷ 核实数。本期内网格员提交的核实，在核实环节时限（派发核实起 1 小时，按城市策略）内的比例。",
		Numerator:  "verified_on_time", Denominator: "verify_tasks",
		Dims:  gridDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.VerifiedOnTime, c.VerifyTasks) },
	},
	{
		ID: CheckOnTimeRate, Name: "按时核查率", NameEn: "On-time check rate",
		Definition: "按时核查数 ÷ 核查数。本期内网格员提交的核查，在核查环节时限（派发核查起 2 小时，按城市策略）内的比例。",
		Numerator:  "checked_on_time", Denominator: "check_tasks",
		Dims:  gridDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.CheckedOnTime, c.CheckTasks) },
	},
	{
		ID: RegisterOnTimeRate, Name: "按时立案率", NameEn: "On-time registration rate",
		Definition: "按时立案数 ÷ 立案数。本期内的立案，在受理环节时限（进入待受理起 30 分钟，按城市策略）内的比例。",
		Numerator:  "registered_on_time", Denominator: "registered",
		Dims:  staffDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.RegisteredOnTime, c.Registered) },
	},
	{
		ID: DispatchOnTimeRate, Name: "按时派遣率", NameEn: "On-time dispatch rate",
		Definition: "按时派遣数 ÷ 派遣数。本期内的派遣，在派遣环节时限（立案或退回起 30 分钟，按城市策略）内的比例。",
		Numerator:  "dispatched_on_time", Denominator: "dispatched",
		Dims:  staffDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.DispatchedOnTime, c.Dispatched) },
	},
	{
		ID: ClosePromptRate, Name: "结案及时率", NameEn: "Prompt closing rate",
		Definition: "及时结案数 ÷ 结案数。本期内的结案，在结案环节时限（核查通过起 30 分钟，按城市策略）内的比例；即值班长考核中的「按时结案率」，与按期结案率（看处置时限）不同。",
		Numerator:  "closed_promptly", Denominator: "closed",
		Dims:  staffDims,
		Value: func(c Counters) (float64, bool) { return ratio(c.ClosedPromptly, c.Closed) },
	},
}

var indicatorByID = func() map[string]*Indicator {
	m := make(map[string]*Indicator, len(Indicators))
	for i := range Indicators {
		m[Indicators[i].ID] = &Indicators[i]
	}
	return m
}()

// IndicatorByID returns the indicator with id.
func IndicatorByID(id string) (Indicator, bool) {
	p, ok := indicatorByID[id]
	if !ok {
		return Indicator{}, false
	}
	return *p, true
}

// Values computes every indicator of c: a nil entry where the denominator is 0, so
// that JSON shows null.
func Values(c Counters) map[string]*float64 {
	out := make(map[string]*float64, len(Indicators))
	for _, ind := range Indicators {
		if v, ok := ind.Value(c); ok {
			out[ind.ID] = &v
		} else {
			out[ind.ID] = nil
		}
	}
	return out
}
