package geo

import "github.com/paulmach/orb"

// packedTree is a static R-tree packed bottom-up from boxes already sorted
// along a space-filling curve (the Flatbush layout). An index never changes
// once built, so it needs none of a dynamic tree's slack: one box and one int32
// per item plus about a fifteenth more for the nodes above, in two flat
// slices, and a search walks them without pointer chasing.
type packedTree struct {
	boxes  []orb.Bound // the items in order, then each level of nodes up to the root
	ids    []int32     // an item's value; a node's first child (position in boxes)
	levels []int       // levels[k] is where level k ends in boxes (level 0: the items)
}

// treeNodeSize is how many children a node has at most.
const treeNodeSize = 16

// newPackedTree packs the items (box i holding value ids[i]), keeping their
// order.
func newPackedTree(boxes []orb.Bound, ids []int32) packedTree {
	n := len(boxes)
	total, levels := n, []int{n}
	for m := n; m > 1; {
		m = (m + treeNodeSize - 1) / treeNodeSize
		total += m
		levels = append(levels, total)
	}
	t := packedTree{boxes: make([]orb.Bound, n, total), ids: make([]int32, n, total), levels: levels}
	copy(t.boxes, boxes)
	copy(t.ids, ids)
	for k, start := 0, 0; k < len(levels); k++ {
		end := levels[k]
		for i := start; i < end; i += treeNodeSize {
			g := min(i+treeNodeSize, end)
			// Siblings in order of their west edge let a search stop at
			// the first one east of the query.
			sortByMinX(t.boxes[i:g], t.ids[i:g])
			if k+1 == len(levels) {
				break // the root has no parent
			}
			b := t.boxes[i]
			for _, c := range t.boxes[i+1 : g] {
				b = union(b, c)
			}
			t.boxes = append(t.boxes, b)
			t.ids = append(t.ids, int32(i))
		}
		start = end
	}
	return t
}

// sortByMinX sorts a node's few children (insertion sort: at most
// treeNodeSize of them) by their boxes' west edge.
func sortByMinX(boxes []orb.Bound, ids []int32) {
	for i := 1; i < len(boxes); i++ {
		for j := i; j > 0 && boxes[j].Min[0] < boxes[j-1].Min[0]; j-- {
			boxes[j], boxes[j-1] = boxes[j-1], boxes[j]
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// union is orb.Bound.Union without its empty-box special cases: every box here
// holds something.
func union(a, b orb.Bound) orb.Bound {
	return orb.Bound{
		Min: orb.Point{min(a.Min[0], b.Min[0]), min(a.Min[1], b.Min[1])},
		Max: orb.Point{max(a.Max[0], b.Max[0]), max(a.Max[1], b.Max[1])},
	}
}

// bounds returns the box around every item; ok is false for an empty tree.
func (t *packedTree) bounds() (orb.Bound, bool) {
	if len(t.boxes) == 0 {
		return orb.Bound{}, false
	}
	return t.boxes[len(t.boxes)-1], true
}

// search calls fn with the value of every item whose box meets q (edges
// included), until fn returns false.
func (t *packedTree) search(q orb.Bound, fn func(int32) bool) {
	if len(t.boxes) == 0 {
		return
	}
	// Depth-first over (node, level) pairs. A point query rarely has more
	// than a few pending, so they start in a small array on the stack.
	var buf [32]int32
	stack := buf[:0]
	node := len(t.boxes) - 1
	level := len(t.levels) - 1
	for {
		end := min(node+treeNodeSize, t.levels[level])
		for i := node; i < end; i++ {
			b := &t.boxes[i]
			if b.Min[0] > q.Max[0] {
				break // and so are the siblings after it
			}
			if q.Min[0] > b.Max[0] || q.Max[1] < b.Min[1] || q.Min[1] > b.Max[1] {
				continue
			}
			if level == 0 {
				if !fn(t.ids[i]) {
					return
				}
			} else {
				stack = append(stack, t.ids[i], int32(level-1))
			}
		}
		if len(stack) == 0 {
			return
		}
		node, level = int(stack[len(stack)-2]), int(stack[len(stack)-1])
		stack = stack[:len(stack)-2]
	}
}
