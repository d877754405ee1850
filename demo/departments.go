package demo

import (
	"context"
	"slices"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// deptSpec is a demo department and its child units.
type deptSpec struct {
	code, name string
	kind       gl.DeptKind
	majors     []string // category major classes it usually handles
	children   []deptSpec
}

var deptSpecs = []deptSpec{
	{"CGJ", "市城市管理局", gl.DeptBureau, []string{"C03", "E01", "E02", "E05"}, []deptSpec{
		{"CGJ-HW", "市容环境卫生科", gl.DeptSection, nil, nil},
		{"CGJ-ZF", "城管执法大队", gl.DeptSection, nil, nil},
	}},
	{"SZZX", "市市政设施管理中心", gl.DeptBureau, []string{"C01", "C02", "E03"}, []deptSpec{
		{"SZZX-DL", "道路养护科", gl.DeptSection, nil, nil},
		{"SZZX-PS", "排水管理科", gl.DeptSection, nil, nil},
	}},
	{"YLJ", "市园林文物局", gl.DeptBureau, []string{"C04"}, []deptSpec{{"YLJ-LH", "绿化养护科", gl.DeptSection, nil, nil}}},
	{"FGJ", "市住房保障和房产管理局", gl.DeptBureau, []string{"C05"}, nil},
	{"JJZD", "市公安局交通警察支队", gl.DeptBureau, nil, nil},
	{"SWJT", "杭州水务集团", gl.DeptBureau, []string{"E04"}, nil},
	{"RQJT", "杭州市燃气集团", gl.DeptBureau, nil, nil},
	{"330106004", "西湖区北山街道", gl.DeptStreet, []string{"C06", "E06"}, []deptSpec{
		{"330106004001", "北山街道曙光社区", gl.DeptCommunity, nil, nil},
		{"330106004002", "北山街道北山社区", gl.DeptCommunity, nil, nil},
	}},
	{"330102001", "上城区湖滨街道", gl.DeptStreet, nil, []deptSpec{
		{"330102001001", "湖滨街道东坡路社区", gl.DeptCommunity, nil, nil},
	}},
}

// demoDepts maps what the simulation needs: which bureau takes a major class, and
// every department's children.
type demoDepts struct {
	byMajor map[string]int64
	byCode  map[string]int64
	tree    *gl.DeptTree
	streets []int64 // street departments of the Hangzhou city
}

func seedDepartments(ctx context.Context, svc *service.Service, withStreets bool) (*demoDepts, error) {
	dd := &demoDepts{byMajor: map[string]int64{}, byCode: map[string]int64{}}
	var add func(parent int64, specs []deptSpec) error
	add = func(parent int64, specs []deptSpec) error {
		for _, s := range specs {
			d := &gl.Department{ParentID: parent, Code: s.code, Name: s.name, Kind: s.kind}
			if s.kind == gl.DeptStreet || s.kind == gl.DeptCommunity {
				d.AreaCode = s.code
			}
			if err := svc.AddDepartment(ctx, d); err != nil {
				return err
			}
			dd.byCode[s.code] = d.ID
			for _, m := range s.majors {
				dd.byMajor[m] = d.ID
			}
			if err := add(d.ID, s.children); err != nil {
				return err
			}
		}
		return nil
	}
	specs := deptSpecs
	if !withStreets { // the real street departments come with the city
		specs = slices.DeleteFunc(slices.Clone(specs), func(s deptSpec) bool { return s.kind == gl.DeptStreet })
	}
	if err := add(0, specs); err != nil {
		return nil, err
	}
	dd.tree = svc.Depts()
	return dd, nil
}
