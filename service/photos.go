package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/webp"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// Limits on uploaded photos.
const (
	MaxPhotoBytes  = 10 << 20   // an upload larger than this is refused
	MaxPhotoPixels = 40_000_000 // so is one with more pixels (checked before decoding)
	// MaxPhotoSide is the longest side a photo is stored with; larger ones are scaled
	// down (a 12-megapixel phone photo becomes 2560 × 1920).
	MaxPhotoSide = 2560
	// ThumbSide is the longest side of a thumbnail.
	ThumbSide = 320
	// orphanAge is how long a photo may wait for its case before PurgeOrphanPhotos
	// removes it (a report form that failed and was never sent again).
	orphanAge = 24 * time.Hour
)

// photoSlots bounds how many photos are decoded at once: a 40-megapixel photo takes
// about 160 MB while it is processed.
var photoSlots = make(chan struct{}, 2)

// PhotoURLPrefix is where photos are served: PhotoURLPrefix + id.
const PhotoURLPrefix = "/photos/"

// PhotoURL is the URL a case stores for a photo.
func PhotoURL(id string) string { return PhotoURLPrefix + id }

// PhotoID returns the id of a photo URL made by PhotoURL, and whether it is one.
func PhotoID(url string) (string, bool) {
	id, ok := strings.CutPrefix(url, PhotoURLPrefix)
	return id, ok && ValidPhotoID(id)
}

// ValidPhotoID reports whether id has the form of a photo id (32 hex digits).
func ValidPhotoID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// SavePhoto checks an uploaded image by its content, decodes it, re-encodes it (JPEG
// at quality 85, or PNG for PNG, GIF and transparent WebP) — which drops EXIF, GPS
// and every other metadata — and stores it unattached. name is the file's name, for
// messages. Errors are EINVALID on field "photos".
func (s *Service) SavePhoto(ctx context.Context, name string, r io.Reader) (*store.Photo, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return nil, gl.FieldError("photos", "照片「%s」读取失败", name)
	}
	if len(b) > MaxPhotoBytes {
		return nil, gl.FieldError("photos", "照片「%s」超过 10 MB，请压缩后再传", name)
	}
	out, ct, w, h, err := ProcessImage(b)
	if err != nil {
		return nil, gl.FieldError("photos", "照片「%s」%v", name, err)
	}
	sum := sha256.Sum256(out)
	p := &store.Photo{ID: newPhotoID(), ContentType: ct, Bytes: out, Width: w, Height: h,
		SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.now()}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.InsertPhoto(ctx, p) }); err != nil {
		return nil, err
	}
	s.purgeOrphansNowAndThen(ctx)
	return p, nil
}

func newPhotoID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Photo returns a stored photo with its bytes.
func (s *Service) Photo(ctx context.Context, id string) (*store.Photo, error) {
	if !ValidPhotoID(id) {
		return nil, gl.Errorf(gl.ENOTFOUND, "照片不存在")
	}
	var p *store.Photo
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.PhotoByID(ctx, id)
		return err
	})
	return p, err
}

// PhotoThumb returns a thumbnail of the photo (longest side ThumbSide) and its
// content type.
func (s *Service) PhotoThumb(ctx context.Context, id string) ([]byte, string, error) {
	p, err := s.Photo(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if max(p.Width, p.Height) <= ThumbSide {
		return p.Bytes, p.ContentType, nil
	}
	photoSlots <- struct{}{}
	defer func() { <-photoSlots }()
	img, _, err := image.Decode(bytes.NewReader(p.Bytes))
	if err != nil {
		return nil, "", fmt.Errorf("service: thumbnail of photo %s: %w", id, err)
	}
	small := scaleDown(img, ThumbSide)
	var buf bytes.Buffer
	if p.ContentType == "image/png" {
		err = png.Encode(&buf, small)
	} else {
		err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: 75})
	}
	if err != nil {
		return nil, "", fmt.Errorf("service: thumbnail of photo %s: %w", id, err)
	}
	return buf.Bytes(), p.ContentType, nil
}

// AttachPhotos gives the photos named by urls (those made by PhotoURL) to the case
// with id; photos already attached are left alone.
func (s *Service) AttachPhotos(ctx context.Context, caseID int64, urls []string) error {
	var ids []string
	for _, u := range urls {
		if id, ok := PhotoID(u); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.AttachPhotos(ctx, caseID, ids)
		return err
	})
}

// UnattachedPhotos returns those of ids that are stored and not yet attached to a
// case, in the order given: the photos a failed form may offer again.
func (s *Service) UnattachedPhotos(ctx context.Context, ids []string) ([]store.Photo, error) {
	var valid []string
	for _, id := range ids {
		if ValidPhotoID(id) {
			valid = append(valid, id)
		}
	}
	var found []store.Photo
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		found, err = tx.PhotosMeta(ctx, valid)
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := map[string]store.Photo{}
	for _, p := range found {
		if p.CaseID == 0 {
			byID[p.ID] = p
		}
	}
	var out []store.Photo
	for _, id := range valid {
		if p, ok := byID[id]; ok {
			out = append(out, p)
			delete(byID, id)
		}
	}
	return out, nil
}

// EventPhotos returns the photo URLs an event carries (an action's photos).
func EventPhotos(e gl.Event) []string {
	if len(e.Data) == 0 {
		return nil
	}
	var d struct {
		Photos []string `json:"photos"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return nil
	}
	return d.Photos
}

// TrackingPhotos returns the photo URLs of the case whose tracking token this is that
// the reporter may see: the report's own, those added with supplements, and the
// departments' feedback photos.
func (s *Service) TrackingPhotos(ctx context.Context, token string) ([]string, error) {
	var c *gl.Case
	var evs []gl.Event
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CaseByTrackingHash(ctx, TrackingHash(token)); err != nil {
			return trackingNotFound(err)
		}
		evs, err = tx.Events(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := slices.Clone(c.Photos)
	for _, e := range evs {
		if e.Public && (e.Action == gl.ActionFeedback || e.Action == gl.ActionSupplement) {
			for _, u := range EventPhotos(e) {
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
	}
	return out, nil
}

// PurgeOrphanPhotos removes photos that were never attached to a case within a day.
func (s *Service) PurgeOrphanPhotos(ctx context.Context) (int64, error) {
	var n int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.DeleteOrphanPhotos(ctx, s.now().Add(-orphanAge))
		return err
	})
	return n, err
}

var lastPurge struct {
	sync.Mutex
	at time.Time
}

// purgeOrphansNowAndThen purges orphan photos at most once an hour, after an upload.
func (s *Service) purgeOrphansNowAndThen(ctx context.Context) {
	lastPurge.Lock()
	due := time.Since(lastPurge.at) > time.Hour
	if due {
		lastPurge.at = time.Now()
	}
	lastPurge.Unlock()
	if !due {
		return
	}
	if n, err := s.PurgeOrphanPhotos(ctx); err != nil {
		s.Logger.Error("purge orphan photos", "err", err)
	} else if n > 0 {
		s.Logger.Info("purged orphan photos", "count", n)
	}
}

// ProcessImage checks b by its content (JPEG, PNG, GIF or WebP), refuses more than
// MaxPhotoPixels, decodes it, turns it upright (EXIF orientation), scales it to at most
// MaxPhotoSide and re-encodes it. The error says what is wrong, for the uploader.
func ProcessImage(b []byte) (out []byte, contentType string, width, height int, err error) {
	sniff := http.DetectContentType(b)
	var decode func(io.Reader) (image.Image, error)
	var decodeConfig func(io.Reader) (image.Config, error)
	switch sniff {
	case "image/jpeg":
		decode, decodeConfig = jpeg.Decode, jpeg.DecodeConfig
	case "image/png":
		decode, decodeConfig = png.Decode, png.DecodeConfig
	case "image/gif":
		decode, decodeConfig = gif.Decode, gif.DecodeConfig
	case "image/webp":
		decode, decodeConfig = webp.Decode, webp.DecodeConfig
	default:
		return nil, "", 0, 0, fmt.Errorf("不是支持的图片格式（JPEG、PNG、GIF、WebP）")
	}
	cfg, err := decodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("无法读取，文件可能已损坏")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", 0, 0, fmt.Errorf("尺寸无效")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPhotoPixels {
		return nil, "", 0, 0, fmt.Errorf("超过 4000 万像素（%d × %d），请缩小后再传", cfg.Width, cfg.Height)
	}
	photoSlots <- struct{}{}
	defer func() { <-photoSlots }()
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("无法解码，文件可能已损坏")
	}
	orient := 1
	if sniff == "image/jpeg" {
		orient = exifOrientation(b)
	}
	rgba := orientImage(scaleDown(img, MaxPhotoSide), orient)
	var buf bytes.Buffer
	contentType = "image/jpeg"
	if sniff == "image/png" || sniff == "image/gif" || (sniff == "image/webp" && !rgba.Opaque()) {
		contentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, rgba)
	} else {
		err = jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("重新编码失败: %w", err)
	}
	bd := rgba.Bounds()
	return buf.Bytes(), contentType, bd.Dx(), bd.Dy(), nil
}

// scaleDown returns img as RGBA, scaled so that its longest side is at most side.
func scaleDown(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
		return dst
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// orientImage applies an EXIF orientation (1–8) so that the image is upright.
func orientImage(src *image.RGBA, orient int) *image.RGBA {
	if orient < 2 || orient > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if orient >= 5 { // 5–8 swap the sides
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch orient {
			case 2: // mirrored
				dx, dy = w-1-x, y
			case 3: // upside down
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored, upside down
				dx, dy = x, h-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // turned: rotate 90° clockwise
				dx, dy = h-1-y, x
			case 7: // transverse
				dx, dy = h-1-y, w-1-x
			case 8: // rotate 90° counter-clockwise
				dx, dy = y, w-1-x
			}
			si := src.PixOffset(x+src.Rect.Min.X, y+src.Rect.Min.Y)
			di := dst.PixOffset(dx, dy)
			copy(dst.Pix[di:di+4], src.Pix[si:si+4])
		}
	}
	return dst
}

// exifOrientation reads the orientation tag (0x0112) of a JPEG's EXIF block; 1 (as
// stored) when there is none or it cannot be read.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // image data starts: no EXIF before it
			return 1
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 { // SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}
