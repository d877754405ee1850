// Package geo is gridloop's spatial core: GeoJSON boundaries, a point-in-polygon
// index, unit-grid generation and synthetic sub-area partitioning. It is pure
// Go, with no database or network access.
//
//   - ParseFeatureCollection / ReadFeatures read GeoJSON (ReadFeatures streams
//     a FeatureCollection one feature at a time, with progress); AsMultiPolygon
//     turns a feature's Polygon or MultiPolygon (holes allowed) into a boundary.
//   - NewIndex / Index.Locate place a point in the shape containing it: a
//     packed R-tree over bounding boxes, then the ring test. With 100,000
//     unit grids a lookup takes about 1–1.5 µs and allocates nothing, and the
//     index holds about 300 bytes per grid (geometry included).
//   - GenerateGrid cuts a community into unit grids (单元网格) numbered
//     north→south, west→east; GridCode makes the 15-digit code (12-digit
//     community code + 3-digit sequence, GB/T 30428.1 practice).
//   - Partition splits a region into n plausible parts. The real boundary data
//     has districts only; the demo derives streets and communities with it.
//
// Coordinates are plain lon/lat degrees (orb.Point{lon, lat}) and geometry is
// planar in degrees, as the city boundaries are published. Lengths in meters
// are converted to degrees at the latitude of the area worked on
// (MetersPerDegree).
//
// An Index copies the geometries it is given into a compact form of its own
// (Index.Geom rebuilds one). Functions that clip (GenerateGrid, Partition) never
// modify their input, although orb/clip itself does.
package geo
