package geo

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

const sampleFC = `{
  "type": "FeatureCollection",
  "name": "sample",
  "features": [
    {"type": "Feature", "id": "a", "properties": {"name": "square with hole"},
     "geometry": {"type": "Polygon", "coordinates": [
       [[0,0],[10,0],[10,10],[0,10],[0,0]],
       [[4,4],[4,6],[6,6],[6,4],[4,4]]]}},
    {"type": "Feature", "properties": {"name": "two squares"},
     "geometry": {"type": "MultiPolygon", "coordinates": [
       [[[20,0],[30,0],[30,10],[20,10],[20,0]]],
       [[[40,0],[50,0],[50,10],[40,10],[40,0]]]]}},
    {"type": "Feature", "properties": {"name": "a road"},
     "geometry": {"type": "LineString", "coordinates": [[0,0],[1,1]]}}
  ]
}`

func TestParseFeatureCollection(t *testing.T) {
	fc, err := ParseFeatureCollection(strings.NewReader(sampleFC))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 3 {
		t.Fatalf("got %d features, want 3", len(fc.Features))
	}
	if got := fc.Features[0].Properties.MustString("name", ""); got != "square with hole" {
		t.Errorf("name = %q", got)
	}
	mp, err := AsMultiPolygon(fc.Features[0].Geometry)
	if err != nil {
		t.Fatal(err)
	}
	if len(mp) != 1 || len(mp[0]) != 2 {
		t.Errorf("polygon with hole became %d polygons / %d rings", len(mp), len(mp[0]))
	}
	mp, err = AsMultiPolygon(fc.Features[1].Geometry)
	if err != nil || len(mp) != 2 {
		t.Errorf("MultiPolygon: %v, %d parts", err, len(mp))
	}
	_, err = AsMultiPolygon(fc.Features[2].Geometry)
	if !errors.Is(err, ErrNotPolygonal) || !strings.Contains(err.Error(), "LineString") {
		t.Errorf("LineString: err = %v, want ErrNotPolygonal naming LineString", err)
	}
}

func TestParseFeatureCollectionErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"broken JSON", `{"type":"FeatureCollection","features":[{"type":"Feature",`, "unexpected end of input"},
		{"invalid JSON", `{"type":"FeatureCollection","features":[}`, "invalid JSON"},
		{"empty input", ``, "unexpected end of input"},
		{"array at top level", `[1,2]`, "top level is an array"},
		{"a Feature", `{"type":"Feature","geometry":null,"properties":{}}`, `type is "Feature"`},
		{"a bare geometry", `{"type":"Polygon","coordinates":[]}`, `type is "Polygon"`},
		{"no type", `{"features":[]}`, `no "type"`},
		{"no features", `{"type":"FeatureCollection"}`, `no "features"`},
		{"features not an array", `{"type":"FeatureCollection","features":{}}`, "want an array"},
		{"feature of wrong type", `{"type":"FeatureCollection","features":[{"type":"Point","coordinates":[1,2]}]}`, `feature 0`},
		{"unknown geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Circle","coordinates":[1,2]}}]}`, `unsupported geometry type "Circle"`},
		{"bad coordinates", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":"x"}}]}`, "feature 0"},
		{"type after features", `{"features":[],"type":"Topology"}`, `type is "Topology"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc, err := ParseFeatureCollection(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("no error; got %d features", len(fc.Features))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestReadFeaturesStreams(t *testing.T) {
	// A collection big enough to need many reads from the decoder.
	var sb strings.Builder
	sb.WriteString(`{"bbox":[0,0,1,1],"features":[`)
	const n = 2000
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"type":"Feature","id":%d,"properties":{"i":%d},"geometry":{"type":"Polygon","coordinates":[[[%d,0],[%d,0],[%d,1],[%d,0]]]}}`, i, i, i, i+1, i+1, i)
	}
	sb.WriteString(`],"type":"FeatureCollection"}`)
	in := sb.String()

	var got int
	var lastDone int
	var lastBytes int64
	err := ReadFeatures(strings.NewReader(in), func(f *geojson.Feature) error {
		if int(f.Properties.MustFloat64("i", -1)) != got {
			t.Fatalf("feature %d out of order", got)
		}
		got++
		return nil
	}, func(done int, bytesRead int64) {
		if done != lastDone+1 || bytesRead <= lastBytes {
			t.Fatalf("progress went from (%d, %d) to (%d, %d)", lastDone, lastBytes, done, bytesRead)
		}
		lastDone, lastBytes = done, bytesRead
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != n || lastDone != n {
		t.Errorf("read %d features, progress said %d; want %d", got, lastDone, n)
	}
	if lastBytes <= 0 || lastBytes > int64(len(in)) {
		t.Errorf("bytes read %d, input %d", lastBytes, len(in))
	}

	// An error from fn stops reading and comes back.
	stop := errors.New("stop")
	calls := 0
	err = ReadFeatures(strings.NewReader(in), func(*geojson.Feature) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	}, nil)
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("err = %v after %d calls, want stop after 3", err, calls)
	}
}

func TestAsMultiPolygon(t *testing.T) {
	square := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	open := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}}
	tests := []struct {
		name    string
		g       orb.Geometry
		parts   int
		wantErr string
	}{
		{"polygon", orb.Polygon{square}, 1, ""},
		{"polygon with hole", orb.Polygon{square, orb.Ring{{.2, .2}, {.2, .4}, {.4, .4}, {.2, .2}}}, 1, ""},
		{"multipolygon", orb.MultiPolygon{{square}, {square}}, 2, ""},
		{"unclosed ring is closed", orb.Polygon{open}, 1, ""},
		{"nil", nil, 0, "missing"},
		{"point", orb.Point{1, 2}, 0, "got Point"},
		{"linestring", orb.LineString{{0, 0}, {1, 1}}, 0, "got LineString"},
		{"collection", orb.Collection{orb.Polygon{square}}, 0, "got GeometryCollection"},
		{"empty multipolygon", orb.MultiPolygon{}, 0, "no polygons"},
		{"polygon without rings", orb.Polygon{}, 0, "no rings"},
		{"two-point ring", orb.Polygon{{{0, 0}, {1, 1}, {0, 0}}}, 0, "ring 0: ring has 2 distinct points"},
		{"NaN", orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, math.NaN()}}}, 0, "point 3 is not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, err := AsMultiPolygon(tt.g)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(mp) != tt.parts {
				t.Fatalf("%d parts, want %d", len(mp), tt.parts)
			}
			for _, p := range mp {
				for _, r := range p {
					if r[0] != r[len(r)-1] {
						t.Errorf("ring not closed: %v", r)
					}
				}
			}
		})
	}
	if len(open) != 4 {
		t.Error("AsMultiPolygon modified its input")
	}
}

// ReadFeatures decodes geometries itself; it must agree with orb/geojson.
func TestReadFeaturesMatchesOrb(t *testing.T) {
	docs := []string{
		`{"type":"Feature","id":7,"properties":{"a":1},"geometry":{"type":"Point","coordinates":[120.1, 30.2, 5]}}`,
		`{"type":"Feature","id":"x","properties":null,"geometry":{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4e1],[-5.5E-1,6]]}}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[]]}}`,
		`{"type":"Feature","bbox":[0,0,10,10],"properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}}`,
		`{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4]]}]}}`,
		`{"type":"Feature","properties":{"k":"v"},"geometry":null}`,
		"{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"coordinates\":\n[ [ [0 , 0] ,[1,0] , [1,1],[0,0] ] ] ,\"type\":\"Polygon\"}}",
	}
	in := `{"type":"FeatureCollection","features":[` + strings.Join(docs, ",") + `]}`
	fc, err := ParseFeatureCollection(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want, err := geojson.UnmarshalFeatureCollection([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != len(want.Features) {
		t.Fatalf("%d features, orb has %d", len(fc.Features), len(want.Features))
	}
	for i, f := range fc.Features {
		w := want.Features[i]
		if fmt.Sprint(f.ID) != fmt.Sprint(w.ID) || !reflect.DeepEqual(f.BBox, w.BBox) || !reflect.DeepEqual(f.Geometry, w.Geometry) {
			t.Errorf("feature %d: got %v %v %#v, orb has %v %v %#v", i, f.ID, f.BBox, f.Geometry, w.ID, w.BBox, w.Geometry)
		}
		if len(f.Properties) != len(w.Properties) {
			t.Errorf("feature %d: properties %v, orb has %v", i, f.Properties, w.Properties)
		}
	}

	// And on the real district file.
	data, err := os.ReadFile(filepath.Join(sharedData, "hangzhou-districts-2017.geojson"))
	if err != nil {
		t.Skip(err)
	}
	fc, err = ParseFeatureCollection(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want, err = geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 13 || len(want.Features) != 13 {
		t.Fatalf("%d / %d features, want 13", len(fc.Features), len(want.Features))
	}
	for i, f := range fc.Features {
		w := want.Features[i]
		if !reflect.DeepEqual(f.Geometry, w.Geometry) || !reflect.DeepEqual(f.Properties, w.Properties) || f.ID != w.ID {
			t.Errorf("district %d differs from orb's decoding", i)
		}
	}
}
