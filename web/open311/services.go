package open311

import (
	"cmp"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
)

// discovery answers GET discovery.
func (s *Server) discovery(r *http.Request, _ []string) (int, any, any, error) {
	d := discovery{
		Changeset:  Changeset,
		Contact:    cmp.Or(s.Contact, "城市管理指挥中心 (city management command centre): ask your gridloop administrator"),
		KeyService: cmp.Or(s.KeyService, "api_key is a gridloop API token of a staff account: an administrator issues it with `gridloop user token -db STORE NAME`"),
		Endpoints: []endpoint{{
			Specification: Specification,
			URL:           s.baseURL(r),
			Changeset:     Changeset,
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	}
	return http.StatusOK, d, d, nil
}

// baseURL is the endpoint's public URL: BaseURL, or the request's scheme and host.
func (s *Server) baseURL(r *http.Request) string {
	if s.BaseURL != "" {
		return strings.TrimSuffix(s.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + Prefix
}

// services answers GET services: every active category is a service.
func (s *Server) services(r *http.Request, _ []string) (int, any, any, error) {
	cats, err := s.Svc.Categories(r.Context())
	if err != nil {
		return 0, nil, nil, err
	}
	out := []serviceItem{}
	for _, c := range cats {
		if !c.Active {
			continue
		}
		out = append(out, serviceItem{
			ServiceCode: c.Code,
			ServiceName: c.Name,
			Description: text(c.FilingCondition),
			Metadata:    len(attributesFor(&c)) > 0,
			Type:        "realtime",
			Keywords:    text(strings.Join(strings.Fields(c.Keywords), ", ")),
			Group:       text(c.MajorName),
		})
	}
	slices.SortFunc(out, func(a, b serviceItem) int { return cmp.Compare(a.ServiceCode, b.ServiceCode) })
	return http.StatusOK, servicesDoc{Services: out}, out, nil
}

// activeCategory returns the active category code, or a 404.
func (s *Server) activeCategory(r *http.Request, code string) (*gl.Category, error) {
	cats, err := s.Svc.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.Code == code && c.Active {
			return &c, nil
		}
	}
	return nil, notFound("service_code %q not found", code)
}

// serviceDefinition answers GET services/{code}.
func (s *Server) serviceDefinition(r *http.Request, args []string) (int, any, any, error) {
	cat, err := s.activeCategory(r, args[0])
	if err != nil {
		return 0, nil, nil, err
	}
	d := serviceDefinition{ServiceCode: cat.Code, Attributes: []attribute{}}
	for i, a := range attributesFor(cat) {
		d.Attributes = append(d.Attributes, attribute{
			Variable: a.variable, Code: a.code, Datatype: a.datatype, Required: a.required,
			DatatypeDescription: text(a.datatypeDescription), Order: i + 1, Description: a.description,
			Values: a.values,
		})
	}
	return http.StatusOK, d, d, nil
}

// Attribute datatypes of GeoReport v2.
const (
	typeString = "string"
	typeNumber = "number"
	typeDate   = "datetime"
	typeText   = "text"
	typeSingle = "singlevaluelist"
	typeMulti  = "multivaluelist"
)

// attrDef is one attribute of a service definition. Categories have no extra fields of
// their own yet, so every category offers this package's set (docs/open311.md).
type attrDef struct {
	code, datatype      string
	label               string // the attribute's short name in the case description
	description         string
	datatypeDescription string
	variable, required  bool
	values              []value
	maxRunes            int // string and text
}

var commonAttributes = []attrDef{
	{code: "urgent", datatype: typeSingle, label: "是否紧急", variable: true, required: true,
		description:         "是否危及人身或财产安全、需要紧急处置？(Is anyone or anything in danger right now?)",
		datatypeDescription: "选择一项 (choose one)",
		values:              []value{{"yes", "是"}, {"no", "否"}}},
	{code: "hazards", datatype: typeMulti, label: "影响", variable: true,
		description:         "问题造成了哪些影响？(What does the problem affect?)",
		datatypeDescription: "可多选 (choose any)",
		values: []value{{"traffic", "影响车辆通行"}, {"pedestrians", "危及行人"},
			{"school", "临近学校或幼儿园"}, {"night", "夜间无照明"}}},
	{code: "floor", datatype: typeNumber, label: "楼层", variable: true,
		description:         "问题在建筑物内时的楼层（地面为 1，地下为负数）(floor, if inside a building; ground floor is 1)",
		datatypeDescription: "数字，例如 3 或 -1 (a number)"},
	{code: "observed_at", datatype: typeDate, label: "发现时间", variable: true,
		description:         "发现问题的时间 (when the problem was seen)",
		datatypeDescription: "W3C 日期时间，例如 2025-01-02T08:30:00+08:00 (W3C datetime with zone)"},
	{code: "landmark", datatype: typeString, label: "附近地标", variable: true, maxRunes: 200,
		description:         "附近的地标、门牌或店铺名称 (a nearby landmark, house number or shop)",
		datatypeDescription: "一行文字，不超过 200 字 (one line, at most 200 characters)"},
	{code: "details", datatype: typeText, label: "补充说明", variable: true, maxRunes: 2000,
		description:         "其他需要处置人员知道的情况 (anything else the crew should know)",
		datatypeDescription: "文字，可换行，不超过 2000 字 (text, at most 2000 characters)"},
}

// attributesFor is the definition of a category's service: the common attributes, then
// the category's closing condition as an informational (variable=false) attribute.
func attributesFor(cat *gl.Category) []attrDef {
	out := slices.Clone(commonAttributes)
	if cat.ClosingCondition != "" {
		out = append(out, attrDef{code: "closing_condition", datatype: typeText, label: "结案条件",
			description: "结案条件 (when the case is closed)：" + cat.ClosingCondition})
	}
	return out
}

// postedAttributes collects attribute[code]=v and attribute[code][]=v from the form.
func postedAttributes(form url.Values) map[string][]string {
	out := map[string][]string{}
	for k, vs := range form {
		inner, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		inner = strings.TrimSuffix(inner, "[]")
		code, ok := strings.CutSuffix(inner, "]")
		if !ok || code == "" {
			continue
		}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				out[code] = append(out[code], v)
			}
		}
	}
	return out
}

// checkAttributes validates the posted attributes against the definition and returns
// them as lines for the case description, in the definition's order. Unknown codes and
// values for informational attributes are ignored, as clients may send extra ones.
func (s *Server) checkAttributes(defs []attrDef, form url.Values) ([]string, error) {
	posted := postedAttributes(form)
	var lines []string
	for _, d := range defs {
		vals := posted[d.code]
		if !d.variable {
			continue
		}
		name := "attribute[" + d.code + "]"
		if len(vals) == 0 {
			if d.required {
				return nil, badRequest("%s is required (%s)", name, d.label)
			}
			continue
		}
		if d.datatype != typeMulti && len(vals) > 1 {
			return nil, badRequest("%s takes one value, got %d", name, len(vals))
		}
		v := vals[0]
		shown := v
		switch d.datatype {
		case typeNumber:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, badRequest("%s must be a number, got %q", name, v)
			}
			shown = strconv.FormatFloat(f, 'f', -1, 64)
		case typeDate:
			t, _, err := s.parseW3C(v)
			if err != nil {
				return nil, badRequest("%s: %v", name, err)
			}
			shown = s.w3c(t)
		case typeString:
			if strings.ContainsAny(v, "\r\n") {
				return nil, badRequest("%s is one line of text; it may not contain line breaks", name)
			}
			fallthrough
		case typeText:
			if n := utf8.RuneCountInString(v); n > d.maxRunes {
				return nil, badRequest("%s is %d characters long; at most %d", name, n, d.maxRunes)
			}
		case typeSingle, typeMulti:
			var names []string
			for _, v := range vals {
				i := slices.IndexFunc(d.values, func(x value) bool { return x.Key == v })
				if i < 0 {
					keys := make([]string, len(d.values))
					for j, x := range d.values {
						keys[j] = x.Key
					}
					return nil, badRequest("%s: %q is not one of %s", name, v, strings.Join(keys, ", "))
				}
				if !slices.Contains(names, d.values[i].Name) {
					names = append(names, d.values[i].Name)
				}
			}
			shown = strings.Join(names, "、")
		}
		lines = append(lines, d.label+"："+shown)
	}
	return lines, nil
}
