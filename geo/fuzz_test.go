package geo

import (
	"bytes"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// FuzzReadFeatures: GeoJSON from an admin's upload. Whatever the bytes, reading them
// returns features or an error, never panics; every polygonal feature it accepts has
// finite coordinates and closed rings, and can be indexed and searched.
func FuzzReadFeatures(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"330106001001"},"geometry":{"type":"Polygon","coordinates":[[[120.1,30.2],[120.2,30.2],[120.2,30.3],[120.1,30.3],[120.1,30.2]]]}}]}`,
		`{"features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.1],[0.5,0.1],[0.5,0.4],[0.2,0.1]]]]},"properties":null}],"type":"FeatureCollection"}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}`,
		`{"type":"FeatureCollection","features":[]}`,
		`{"type":"Feature"}`, `[]`, `{"type":"FeatureCollection","features":[{"geometry":{"type":"Polygon","coordinates":[[[1e309,0]]]}}]}`,
		"\xef\xbb\xbf{}", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}}],"bbox":[0,0,1,1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var shapes []Shape
		err := ReadFeatures(bytes.NewReader(b), func(ft *geojson.Feature) error {
			mp, err := AsMultiPolygon(ft.Geometry)
			if err != nil {
				return nil // not polygonal: the importer reports it
			}
			for _, poly := range mp {
				for _, ring := range poly {
					if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
						t.Fatalf("accepted an open or short ring: %v", ring)
					}
					for _, p := range ring {
						if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
							t.Fatalf("accepted a coordinate that is not finite: %v", p)
						}
					}
				}
			}
			shapes = append(shapes, Shape{ID: int64(len(shapes) + 1), Code: "x", Geom: mp})
			return nil
		}, func(int, int64) {})
		if err != nil {
			return
		}
		ix := NewIndex(shapes)
		for _, s := range shapes {
			c := s.Geom.Bound().Center()
			ix.Locate(c)
			ix.Locate(orb.Point{c[0] + 0.5, c[1] - 0.5})
		}
		if _, err := ParseFeatureCollection(bytes.NewReader(b)); err != nil {
			t.Fatalf("ReadFeatures accepted what ParseFeatureCollection refuses: %v", err)
		}
	})
}
