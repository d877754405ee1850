package geo

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func multiPolygonContains(mp orb.MultiPolygon, p orb.Point) bool {
	return planar.MultiPolygonContains(mp, p)
}
