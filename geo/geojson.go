package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ErrNotPolygonal is returned (wrapped) by AsMultiPolygon when a geometry is not
// a Polygon or MultiPolygon.
var ErrNotPolygonal = errors.New("geo: geometry is not a Polygon or MultiPolygon")

// ParseFeatureCollection reads a whole GeoJSON FeatureCollection from r.
// Any geometry type is accepted here; use AsMultiPolygon to turn a feature's
// geometry into a boundary. Errors say which feature was at fault. For large
// inputs prefer ReadFeatures, which does not hold the whole document in memory.
func ParseFeatureCollection(r io.Reader) (*geojson.FeatureCollection, error) {
	fc := geojson.NewFeatureCollection()
	err := ReadFeatures(r, func(f *geojson.Feature) error {
		fc.Features = append(fc.Features, f)
		return nil
	}, nil)
	if err != nil {
		return nil, err
	}
	return fc, nil
}

// ReadFeatures streams the features of a GeoJSON FeatureCollection from r,
// decoding one feature at a time and calling fn for each, in document order.
// If fn returns an error, reading stops and that error is returned (wrapped;
// errors.Is works). progress, if non-nil, is called after each feature with the
// number of features done and the number of bytes of input consumed so far.
//
// The top-level "type" must be "FeatureCollection" (it may appear before or
// after "features"); other top-level members are skipped.
func ReadFeatures(r io.Reader, fn func(f *geojson.Feature) error, progress func(done int, bytesRead int64)) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return syntaxErr(dec, "reading GeoJSON", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("geo: not a GeoJSON FeatureCollection: top level is %s, want an object", tokenKind(tok))
	}

	var (
		typ         string
		sawType     bool
		sawFeatures bool
		done        int
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxErr(dec, "reading GeoJSON", err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil {
				return syntaxErr(dec, `reading "type"`, err)
			}
			sawType = true
			if typ != "FeatureCollection" {
				return fmt.Errorf("geo: not a GeoJSON FeatureCollection: type is %q", typ)
			}
		case "features":
			sawFeatures = true
			tok, err := dec.Token()
			if err != nil {
				return syntaxErr(dec, `reading "features"`, err)
			}
			if tok == nil { // "features": null
				continue
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("geo: \"features\" is %s, want an array", tokenKind(tok))
			}
			for dec.More() {
				var fd featureDoc
				if err := dec.Decode(&fd); err != nil {
					return syntaxErr(dec, fmt.Sprintf("reading feature %d", done), err)
				}
				f, err := fd.feature()
				if err != nil {
					return fmt.Errorf("geo: feature %d (ending at byte %d): %w", done, dec.InputOffset(), err)
				}
				if err := fn(f); err != nil {
					return fmt.Errorf("geo: feature %d: %w", done, err)
				}
				done++
				if progress != nil {
					progress(done, dec.InputOffset())
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return syntaxErr(dec, `reading "features"`, err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntaxErr(dec, fmt.Sprintf("reading %q", key), err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return syntaxErr(dec, "reading GeoJSON", err)
	}
	if !sawType {
		return errors.New(`geo: not a GeoJSON FeatureCollection: no "type" member`)
	}
	if !sawFeatures {
		return errors.New(`geo: GeoJSON FeatureCollection has no "features" member`)
	}
	return nil
}

// featureDoc is what ReadFeatures decodes a feature into. It is faster than
// orb's own decoding (which re-scans the bytes at every level of nesting)
// because coordinates are parsed in a single pass by coordParser. Foreign
// members of a feature are dropped.
type featureDoc struct {
	Type       string             `json:"type"`
	ID         any                `json:"id"`
	BBox       geojson.BBox       `json:"bbox"`
	Properties geojson.Properties `json:"properties"`
	Geometry   *geometryDoc       `json:"geometry"`
}

func (fd *featureDoc) feature() (*geojson.Feature, error) {
	if fd.Type != "Feature" {
		return nil, fmt.Errorf("not a GeoJSON Feature: type is %q", fd.Type)
	}
	f := &geojson.Feature{Type: fd.Type, ID: fd.ID, BBox: fd.BBox, Properties: fd.Properties}
	if f.Properties == nil {
		f.Properties = geojson.Properties{}
	}
	if fd.Geometry != nil {
		f.Geometry = fd.Geometry.g
	}
	return f, nil
}

type geometryDoc struct{ g orb.Geometry }

func (gd *geometryDoc) UnmarshalJSON(data []byte) error {
	if bytes.Equal(data, []byte("null")) {
		gd.g = nil
		return nil
	}
	var head struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
		Geometries  []*geometryDoc  `json:"geometries"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("geometry: %w", err)
	}
	if head.Type == "GeometryCollection" {
		c := orb.Collection{}
		for _, g := range head.Geometries {
			if g == nil || g.g == nil {
				return errors.New("geometry: null member of a GeometryCollection")
			}
			c = append(c, g.g)
		}
		gd.g = c
		return nil
	}
	depth, ok := geometryDepth[head.Type]
	if !ok {
		return fmt.Errorf("unsupported geometry type %q", head.Type)
	}
	if len(head.Coordinates) == 0 || bytes.Equal(head.Coordinates, []byte("null")) {
		return fmt.Errorf("%s geometry has no coordinates", head.Type)
	}
	cp := coordParser{b: head.Coordinates}
	var err error
	switch head.Type {
	case "Point":
		var p orb.Point
		p, err = cp.position()
		gd.g = p
	case "MultiPoint":
		var ps []orb.Point
		ps, err = cp.positions()
		gd.g = orb.MultiPoint(ps)
	case "LineString":
		var ps []orb.Point
		ps, err = cp.positions()
		gd.g = orb.LineString(ps)
	case "MultiLineString":
		var mls orb.MultiLineString
		err = cp.list(func() error {
			ps, err := cp.positions()
			mls = append(mls, ps)
			return err
		})
		gd.g = mls
	case "Polygon":
		var p orb.Polygon
		p, err = cp.polygon()
		gd.g = p
	case "MultiPolygon":
		mp := orb.MultiPolygon{}
		err = cp.list(func() error {
			p, err := cp.polygon()
			mp = append(mp, p)
			return err
		})
		gd.g = mp
	}
	if err == nil {
		cp.ws()
		if cp.i != len(cp.b) {
			err = cp.errorf("unexpected data after coordinates")
		}
	}
	if err != nil {
		return fmt.Errorf("%s coordinates (nesting depth %d): %w", head.Type, depth, err)
	}
	return nil
}

var geometryDepth = map[string]int{
	"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4,
}

// coordParser reads GeoJSON coordinate arrays in one pass. Positions may carry
// extra numbers (altitude…), which are ignored.
type coordParser struct {
	b []byte
	i int
}

func (cp *coordParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", cp.i, fmt.Sprintf(format, args...))
}

func (cp *coordParser) ws() {
	for cp.i < len(cp.b) {
		switch cp.b[cp.i] {
		case ' ', '\t', '\n', '\r':
			cp.i++
		default:
			return
		}
	}
}

// list parses '[' elem (',' elem)* ']' (possibly empty), calling elem for each.
func (cp *coordParser) list(elem func() error) error {
	cp.ws()
	if cp.i >= len(cp.b) || cp.b[cp.i] != '[' {
		return cp.errorf("want an array")
	}
	cp.i++
	cp.ws()
	if cp.i < len(cp.b) && cp.b[cp.i] == ']' {
		cp.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		cp.ws()
		if cp.i >= len(cp.b) {
			return cp.errorf("unterminated array")
		}
		switch cp.b[cp.i] {
		case ',':
			cp.i++
		case ']':
			cp.i++
			return nil
		default:
			return cp.errorf("want ',' or ']', got %q", cp.b[cp.i])
		}
	}
}

func (cp *coordParser) number() (float64, error) {
	cp.ws()
	start := cp.i
	for cp.i < len(cp.b) {
		c := cp.b[cp.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			cp.i++
			continue
		}
		break
	}
	if start == cp.i {
		return 0, cp.errorf("want a number")
	}
	v, err := strconv.ParseFloat(string(cp.b[start:cp.i]), 64)
	if err != nil {
		return 0, cp.errorf("bad number %q", cp.b[start:cp.i])
	}
	return v, nil
}

func (cp *coordParser) position() (orb.Point, error) {
	var p orb.Point
	n := 0
	err := cp.list(func() error {
		v, err := cp.number()
		if n < 2 {
			p[n] = v
		}
		n++
		return err
	})
	if err == nil && n < 2 {
		err = cp.errorf("position has %d numbers, want at least 2", n)
	}
	return p, err
}

func (cp *coordParser) positions() ([]orb.Point, error) {
	ps := []orb.Point{}
	err := cp.list(func() error {
		p, err := cp.position()
		ps = append(ps, p)
		return err
	})
	return ps, err
}

func (cp *coordParser) polygon() (orb.Polygon, error) {
	p := orb.Polygon{}
	err := cp.list(func() error {
		r, err := cp.positions()
		p = append(p, r)
		return err
	})
	return p, err
}

// AsMultiPolygon returns g as a MultiPolygon. It accepts orb.Polygon and
// orb.MultiPolygon (inner rings are holes) and rejects every other type, nil
// geometries and malformed polygons (rings with fewer than three distinct
// points, non-finite coordinates) with an error saying where the problem is.
// Unclosed rings are closed. The result shares coordinates with g unless a
// ring had to be closed.
func AsMultiPolygon(g orb.Geometry) (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case nil:
		return nil, fmt.Errorf("%w: geometry is missing (null)", ErrNotPolygonal)
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	case orb.Bound:
		mp = orb.MultiPolygon{g.ToPolygon()}
	default:
		return nil, fmt.Errorf("%w: got %s", ErrNotPolygonal, g.GeoJSONType())
	}
	if len(mp) == 0 {
		return nil, errors.New("geo: MultiPolygon has no polygons")
	}
	var out orb.MultiPolygon // copy-on-write: only allocated when a ring is closed
	for i, p := range mp {
		if len(p) == 0 {
			return nil, fmt.Errorf("geo: polygon %d has no rings", i)
		}
		for j, r := range p {
			if err := checkRing(r); err != nil {
				return nil, fmt.Errorf("geo: polygon %d ring %d: %w", i, j, err)
			}
			if r[0] != r[len(r)-1] {
				if out == nil {
					out = make(orb.MultiPolygon, len(mp))
					for k := range mp {
						out[k] = append(orb.Polygon(nil), mp[k]...)
					}
				}
				closed := make(orb.Ring, len(r), len(r)+1)
				copy(closed, r)
				out[i][j] = append(closed, r[0])
			}
		}
	}
	if out != nil {
		return out, nil
	}
	return mp, nil
}

func checkRing(r orb.Ring) error {
	distinct := 0
	for i, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			return fmt.Errorf("point %d is not finite", i)
		}
		if i == 0 || p != r[i-1] {
			distinct++
		}
	}
	if len(r) > 1 && r[0] == r[len(r)-1] {
		distinct--
	}
	if distinct < 3 {
		return fmt.Errorf("ring has %d distinct points, want at least 3", distinct)
	}
	return nil
}

func syntaxErr(dec *json.Decoder, what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("geo: %s: unexpected end of input at byte %d", what, dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("geo: %s: invalid JSON at byte %d: %w", what, se.Offset, err)
	}
	return fmt.Errorf("geo: %s at byte %d: %w", what, dec.InputOffset(), err)
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
