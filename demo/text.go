package demo

import (
	"math/rand/v2"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

// Demo text is written for the demo, in the style of real reports; real citizen
// messages from ../shared/data are used by the load tests, not here.
var (
	streets  = []string{"北山街", "曙光路", "保俶路", "杨公堤", "湖滨路", "东坡路", "延安路", "龙游路", "天目山路", "文三路", "西溪路", "体育场路"}
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"}
	openings = []string{"市民来电反映：", "群众反映：", "巡查发现：", "", ""}
	endings  = []string{"请尽快处理。", "影响行人通行，存在安全隐患。", "已经好几天了，希望有关部门尽快解决。", "", "周边居民意见较大。"}
)

func describe(c gl.Category, rng *rand.Rand) string {
	where := streets[rng.IntN(len(streets))]
	return openings[rng.IntN(len(openings))] + where + "附近" + c.Name + "问题，" + c.FilingCondition + "。" + endings[rng.IntN(len(endings))]
}

// extension is a plausible extra time for a category: half its limit, at least one unit.
func extension(c gl.Category) *worktime.Limit {
	l := c.Limit(false)
	l.Value = max(1, l.Value/2)
	return &l
}
