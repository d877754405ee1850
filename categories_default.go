package gridloop

import "github.com/gridloop/gridloop/worktime"

// DefaultCategories is the category set a new city starts with, modelled on the
// component (部件, C) and event (事件, E) classes of GB/T 30428.2, with filing and closing
// conditions and limits in the style of GB/T 30428.8. Admins edit them to local rules.
func DefaultCategories() []Category {
	wh := func(n int) worktime.Limit { return worktime.Limit{Value: n, Unit: worktime.WorkHour} }
	wd := func(n int) worktime.Limit { return worktime.Limit{Value: n, Unit: worktime.WorkDay} }
	h := func(n int) worktime.Limit { return worktime.Limit{Value: n, Unit: worktime.Hour} }
	m := func(n int) worktime.Limit { return worktime.Limit{Value: n, Unit: worktime.Minute} }
	type row struct {
		code, major, name, filing, closing string
		limit, urgent                      worktime.Limit
		isUrgent                           bool
		keywords                           string
	}
	majors := map[string]string{
		"C01": "公用设施", "C02": "道路交通", "C03": "市容环境", "C04": "园林绿化", "C05": "房屋土地", "C06": "其他设施",
		"E01": "市容环境", "E02": "宣传广告", "E03": "施工管理", "E04": "突发事件", "E05": "街面秩序", "E06": "其他事件",
	}
	rows := []row{
		{"C0101", "C01", "上水井盖", "井盖破损、移位、缺失", "井盖完好、复位或补齐", wh(8), h(2), false, "井盖 自来水"},
		{"C0102", "C01", "污水井盖", "井盖破损、移位、缺失", "井盖完好、复位或补齐", wh(8), h(2), false, "井盖 污水"},
		{"C0103", "C01", "雨水井盖", "井盖破损、移位、缺失", "井盖完好、复位或补齐", wh(8), h(2), false, "井盖 雨水"},
		{"C0104", "C01", "路灯", "灯杆倾斜、灯具损坏、不亮", "修复或更换，正常亮灯", wd(2), wh(8), false, "路灯 不亮 灯杆"},
		{"C0105", "C01", "消防栓", "损坏、漏水、缺失", "修复，可正常使用", wd(1), h(4), false, "消防栓 消火栓"},
		{"C0106", "C01", "电力设施", "箱体破损、电线裸露", "修复，无安全隐患", wh(4), h(1), true, "电箱 电线 漏电"},
		{"C0201", "C02", "交通信号灯", "不亮、损坏、倾斜", "修复，正常工作", wh(4), h(1), true, "红绿灯 信号灯"},
		{"C0202", "C02", "交通护栏", "破损、缺失、倾倒", "修复或补齐", wd(2), wh(8), false, "护栏 隔离栏"},
		{"C0203", "C02", "路名牌", "破损、缺失、内容错误", "修复、补齐或更正", wd(5), wd(2), false, "路牌 路名牌"},
		{"C0204", "C02", "公交站亭", "破损、污损", "修复、清洁", wd(3), wd(1), false, "公交站 站亭"},
		{"C0205", "C02", "人行道板", "破损、松动、缺失", "修复平整", wd(3), wd(1), false, "人行道 地砖"},
		{"C0301", "C03", "公共厕所", "设施损坏、脏污", "修复、清洁", wh(8), wh(4), false, "公厕 厕所"},
		{"C0302", "C03", "垃圾箱", "破损、满溢、缺失", "修复、清运或补齐", wh(4), wh(2), false, "垃圾桶 垃圾箱"},
		{"C0401", "C04", "行道树", "倒伏、枯死、影响通行", "扶正、补种或修剪", wd(2), h(4), false, "行道树 树木 倒伏"},
		{"C0402", "C04", "绿地", "损毁、裸露、脏乱", "恢复绿化、清洁", wd(5), wd(2), false, "绿地 草坪"},
		{"C0403", "C04", "古树名木", "损伤、病虫害", "采取保护措施", wd(3), wd(1), false, "古树"},
		{"C0501", "C05", "危房", "墙体开裂、有倒塌风险", "排除险情", wh(4), h(1), true, "危房 开裂"},
		{"E0101", "E01", "暴露垃圾", "道路、绿地等公共场所有暴露垃圾", "垃圾清除干净", wh(4), wh(2), false, "垃圾 乱扔"},
		{"E0102", "E01", "积存垃圾渣土", "公共场所堆积垃圾、渣土", "清运完毕", wd(1), wh(4), false, "渣土 堆积"},
		{"E0103", "E01", "道路不洁", "路面有油污、泥沙等污物", "路面清洁", wh(5), wh(2), false, "道路 脏 油污"},
		{"E0104", "E01", "水域不洁", "河道、湖面有漂浮物", "水面清洁", wd(1), wh(4), false, "河道 漂浮物"},
		{"E0105", "E01", "私搭乱建", "未经批准搭建建筑物、构筑物", "拆除或依法处理", wd(15), wd(3), false, "违建 搭建"},
		{"E0106", "E01", "焚烧垃圾树叶", "露天焚烧", "火已扑灭、现场清理", h(2), h(1), true, "焚烧 烧垃圾"},
		{"E0201", "E02", "非法小广告", "张贴、涂写、刻画小广告", "清除干净", wd(1), wh(4), false, "小广告 牛皮癣"},
		{"E0202", "E02", "违规户外广告", "未经审批设置户外广告、招牌破损", "拆除或整改", wd(5), wd(1), false, "广告牌 招牌"},
		{"E0301", "E03", "施工扰民", "夜间施工、噪声超标", "停止违规施工", wh(4), h(1), false, "施工 噪音 夜间"},
		{"E0302", "E03", "工地扬尘", "工地未覆盖、未洒水", "采取降尘措施", wh(8), wh(4), false, "扬尘 工地"},
		{"E0303", "E03", "道路破损", "路面坑洼、破损", "修补平整", wd(3), wh(8), false, "坑洼 路面 破损"},
		{"E0401", "E04", "路面塌陷", "路面塌陷、出现空洞", "设置围挡并修复", h(2), h(1), true, "塌陷 空洞"},
		{"E0402", "E04", "自来水管破裂", "管道破裂、跑水", "止水并修复", h(4), h(2), true, "水管 爆管 漏水"},
		{"E0403", "E04", "下水道堵塞", "排水不畅、污水外溢", "疏通完毕", wh(8), h(4), false, "下水道 堵塞 外溢"},
		{"E0404", "E04", "燃气泄漏", "闻到燃气味、管道受损", "排除险情", h(1), h(1), true, "燃气 煤气 漏气"},
		{"E0501", "E05", "占道经营", "占用道路、人行道经营", "恢复通行", wh(4), wh(2), false, "占道 摆摊"},
		{"E0502", "E05", "无照游商", "流动摊贩无照经营", "劝离或依法处理", wh(4), wh(2), false, "游商 摊贩"},
		{"E0503", "E05", "机动车乱停放", "占用人行道、消防通道停车", "车辆移走", wh(2), h(1), false, "停车 乱停 消防通道"},
		{"E0504", "E05", "非机动车乱停放", "共享单车等无序停放", "规整或清走", wh(4), wh(2), false, "单车 电动车 乱停"},
		{"E0505", "E05", "噪声扰民", "商业、生活噪声扰民", "噪声停止", wh(4), h(2), false, "噪音 扰民"},
		{"E0601", "E06", "其他问题", "不属于以上类别的城市管理问题", "问题解决", wd(5), wd(1), false, "其他"},
	}
	out := make([]Category, 0, len(rows))
	for _, r := range rows {
		kind := KindEvent
		if r.code[0] == 'C' {
			kind = KindComponent
		}
		out = append(out, Category{
			Code: r.code, Kind: kind, MajorCode: r.major, MajorName: majors[r.major], Name: r.name,
			FilingCondition: r.filing, ClosingCondition: r.closing,
			HandlingLimit: r.limit, UrgentLimit: r.urgent, ResponseLimit: m(30),
			Urgent: r.isUrgent, Public: r.major != "C05", Keywords: r.keywords, Active: true,
		})
	}
	return out
}
