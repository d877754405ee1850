package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	gl "github.com/gridloop/gridloop"
)

// maxFormBytes bounds every form post.
const maxFormBytes = 64 << 10

// form is what the user typed, kept to re-render a form after an error.
type form url.Values

// V is the first value of field k.
func (f form) V(k string) string { return url.Values(f).Get(k) }

// Has reports whether field k holds v (checkboxes, radios, multi-selects).
func (f form) Has(k, v string) bool { return slices.Contains(f[k], v) }

// parseForm reads a url-encoded body of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) (form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, gl.Errorf(gl.EINVALID, "表单无法解析或过大")
	}
	return form(r.PostForm), checkText(form(r.PostForm))
}

// checkText refuses a form with a NUL or bytes that are not UTF-8 in a field: no
// field has a use for them, and PostgreSQL cannot store them.
func checkText(f form) error {
	for k, vs := range f {
		if !gl.CleanText(k) {
			return gl.ErrUncleanText("")
		}
		for _, v := range vs {
			if !gl.CleanText(v) {
				return gl.ErrUncleanText(k)
			}
		}
	}
	return nil
}

// catGroup is one major class of categories, for an <optgroup>.
type catGroup struct {
	Label string
	Cats  []gl.Category
}

// categoryGroups lists the active categories grouped by major class, in code order.
func (u *UI) categoryGroups(ctx context.Context, lang string) ([]catGroup, error) {
	cats, err := u.svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cats, func(a, b gl.Category) int {
		if a.Code < b.Code {
			return -1
		} else if a.Code > b.Code {
			return 1
		}
		return 0
	})
	var out []catGroup
	last := ""
	for _, c := range cats {
		if !c.Active {
			continue
		}
		if c.MajorCode != last || len(out) == 0 {
			out = append(out, catGroup{Label: T(lang, "kind."+string(c.Kind)) + " · " + c.MajorName})
			last = c.MajorCode
		}
		out[len(out)-1].Cats = append(out[len(out)-1].Cats, c)
	}
	return out, nil
}
