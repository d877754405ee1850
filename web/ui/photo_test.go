package ui_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// TestProcessImage checks what happens to an upload: sniffed by content, turned
// upright, stripped of its metadata, refused when too large.
func TestProcessImage(t *testing.T) {
	// A phone photo lying on its side (orientation 6) with a GPS tag.
	in := testJPEG(t, 64, 32, 6)
	out, ct, w, h, err := service.ProcessImage(in)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "image/jpeg" || w != 32 || h != 64 {
		t.Fatalf("got %s %d×%d, want image/jpeg 32×64 (turned upright)", ct, w, h)
	}
	if bytes.Contains(out, []byte("Exif")) || bytes.Contains(out, []byte("GPS-SECRET")) {
		t.Fatal("metadata survived re-encoding")
	}
	img, _, err := image.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	// Turned 90° clockwise: the red left half is now on top.
	if r, _, b, _ := img.At(16, 8).RGBA(); r < b {
		t.Fatalf("top is not red after turning: r=%d b=%d", r, b)
	}
	if r, _, b, _ := img.At(16, 56).RGBA(); b < r {
		t.Fatalf("bottom is not blue after turning: r=%d b=%d", r, b)
	}

	// PNG and GIF stay lossless (PNG); a large photo is scaled down to MaxPhotoSide.
	var pb bytes.Buffer
	png.Encode(&pb, image.NewRGBA(image.Rect(0, 0, 3000, 1000)))
	_, ct, w, h, err = service.ProcessImage(pb.Bytes())
	if err != nil || ct != "image/png" || w != service.MaxPhotoSide || h != 853 {
		t.Fatalf("png: %s %d×%d %v", ct, w, h, err)
	}
	var gb bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 10, 10), []color.Color{color.White, color.Black})
	gif.Encode(&gb, pal, nil)
	if _, ct, _, _, err = service.ProcessImage(gb.Bytes()); err != nil || ct != "image/png" {
		t.Fatalf("gif: %s %v", ct, err)
	}

	// Not an image, whatever its name says; a broken JPEG; too many pixels.
	if _, _, _, _, err := service.ProcessImage([]byte("<html>not a photo</html>")); err == nil || !strings.Contains(err.Error(), "不是支持的图片格式") {
		t.Fatalf("html: %v", err)
	}
	if _, _, _, _, err := service.ProcessImage(in[:200]); err == nil {
		t.Fatal("a truncated JPEG was accepted")
	}
	if _, _, _, _, err := service.ProcessImage(pngHeader(8000, 6000)); err == nil || !strings.Contains(err.Error(), "4000 万像素") {
		t.Fatalf("48 megapixels: %v", err)
	}
}

// pngHeader is the start of a PNG claiming w×h pixels: enough for DecodeConfig.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := binary.BigEndian.AppendUint32(nil, 13)
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(b, chunk...)
}

var photoIDPattern = regexp.MustCompile(`name="photo_ids" value="([0-9a-f]{32})"`)

// TestPhotoUpload sends photos with the citizen's report form, on both databases: a
// photo survives a failed try, is attached to the case, served re-encoded, and shown to
// staff and to the reporter.
func TestPhotoUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		base := c.url
		citizen := client(t)
		photo := testJPEG(t, 64, 32, 6)

		// No description: the photo is kept (shown, and carried in a hidden field).
		fields := url.Values{"lat": {"30.259"}, "lng": {"120.151"}, "address": {"曙光路"}, "idem": {"k1"}}
		st, body, _ := postMultipart(t, citizen, base+"/report", fields, upload{"photos", "IMG_0001.jpg", photo})
		if st != 422 || !strings.Contains(body, "请描述问题") || !strings.Contains(body, `value="曙光路"`) {
			t.Fatalf("no description: %d", st)
		}
		m := photoIDPattern.FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "/photos/"+m[1]+"/thumb") {
			t.Fatal("the uploaded photo is not kept on the re-shown form")
		}
		id := m[1]

		// A file that is not an image is refused by name; what was typed stays.
		fields.Set("description", "井盖缺失")
		fields["photo_ids"] = []string{id}
		st, body, _ = postMultipart(t, citizen, base+"/report", fields, upload{"photos", "notes.jpg", []byte("just text, really")})
		if st != 422 || !strings.Contains(body, "照片「notes.jpg」不是支持的图片格式") || !strings.Contains(body, "井盖缺失</textarea>") || !strings.Contains(body, id) {
			t.Fatalf("bad file: %d", st)
		}
		// Over 10 MB: refused with its own message.
		big := make([]byte, service.MaxPhotoBytes+10)
		copy(big, photo)
		st, body, _ = postMultipart(t, citizen, base+"/report", fields, upload{"photos", "huge.jpg", big})
		if st != 422 || !strings.Contains(body, "照片「huge.jpg」超过 10 MB") {
			t.Fatalf("huge file: %d", st)
		}

		// Sent again with the kept photo and no new file: the case has the photo.
		st, _, h := postMultipart(t, citizen, base+"/report", fields, upload{"photos", "", nil})
		loc := h.Get("Location")
		if st != 303 || !strings.HasPrefix(loc, "/report/done?") {
			t.Fatalf("report: %d %s", st, loc)
		}
		q, _ := url.ParseQuery(loc[strings.Index(loc, "?")+1:])
		code, token := q.Get("code"), q.Get("token")
		cs, err := c.svc.Case(t.Context(), &service.Principal{System: true}, code)
		if err != nil || len(cs.Photos) != 1 || cs.Photos[0] != "/photos/"+id {
			t.Fatalf("case photos: %v %v", cs.Photos, err)
		}

		// Served re-encoded, metadata gone, with the right type and long caching.
		st, body, hd := get(t, citizen, base+"/photos/"+id)
		if st != 200 || hd.Get("Content-Type") != "image/jpeg" || strings.Contains(body, "Exif") || strings.Contains(body, "GPS-SECRET") {
			t.Fatalf("photo: %d %s", st, hd.Get("Content-Type"))
		}
		if cfg, _, err := image.DecodeConfig(strings.NewReader(body)); err != nil || cfg.Width != 32 || cfg.Height != 64 {
			t.Fatalf("served photo: %+v %v", cfg, err)
		}
		if !strings.Contains(hd.Get("Cache-Control"), "immutable") || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("photo headers: %v", hd)
		}
		if st, _, _ := get(t, citizen, base+"/photos/"+id+"/thumb"); st != 200 {
			t.Fatalf("thumb: %d", st)
		}
		if st, _, _ := get(t, citizen, base+"/photos/0123456789abcdef0123456789abcdef"); st != 404 {
			t.Fatalf("unknown photo: %d", st)
		}
		if st, _, _ := get(t, citizen, base+"/photos/..%2Fetc"); st != 404 {
			t.Fatalf("bad photo id: %d", st)
		}

		// The reporter and the staff see the thumbnail.
		if _, body, _ := get(t, citizen, base+"/track/"+token); !strings.Contains(body, `src="/photos/`+id+`/thumb"`) {
			t.Fatal("tracking page lacks the photo")
		}
		staff := signIn(t, base, "operator")
		if _, body, _ := get(t, staff, base+"/cases/"+code); !strings.Contains(body, `src="/photos/`+id+`/thumb"`) {
			t.Fatal("case page lacks the photo")
		}

		// The department feeds back with a photo: staff see it in the timeline, the
		// reporter on the tracking page.
		c.act(t, "shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0101"})
		c.act(t, "dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		c.act(t, "handler_a", code, workflow.Input{Action: gl.ActionSign})
		ha := signIn(t, base, "handler_a")
		st, _, _ = postMultipart(t, ha, base+"/cases/"+code+"/actions/feedback", url.Values{"note": {"已更换井盖"}},
			upload{"photos", "after.png", pngOf(20, 10)})
		if st != 303 {
			t.Fatalf("feedback with a photo: %d", st)
		}
		evs, _ := c.svc.CaseEvents(t.Context(), &service.Principal{System: true}, code)
		after := service.EventPhotos(evs[len(evs)-1])
		if len(after) != 1 {
			t.Fatalf("feedback event photos: %v", after)
		}
		if _, body, _ := get(t, ha, base+"/cases/"+code); !strings.Contains(body[strings.Index(body, `id="timeline"`):], after[0]+"/thumb") {
			t.Fatal("feedback photo not in the timeline")
		}
		if _, body, _ := get(t, citizen, base+"/track/"+token); !strings.Contains(body, after[0]+"/thumb") || !strings.Contains(body, id+"/thumb") {
			t.Fatal("tracking page lacks the feedback photo")
		}
		if st, _, h := get(t, citizen, base+after[0]); st != 200 || h.Get("Content-Type") != "image/png" {
			t.Fatalf("feedback photo: %d %s", st, h.Get("Content-Type"))
		}

		// An attached photo cannot be carried into another report.
		fields.Set("idem", "k2")
		fields.Set("similar_seen", "1") // the same text again: past "this looks already reported" (issue #9)
		st, _, h = postMultipart(t, citizen, base+"/report", fields)
		if st != 303 {
			t.Fatalf("second report: %d", st)
		}
		q, _ = url.ParseQuery(h.Get("Location")[strings.Index(h.Get("Location"), "?")+1:])
		if cs, _ := c.svc.Case(t.Context(), &service.Principal{System: true}, q.Get("code")); len(cs.Photos) != 0 {
			t.Fatalf("another case took the photo: %v", cs.Photos)
		}
	})
}

var _ = http.StatusOK

func pngOf(w, h int) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)))
	return b.Bytes()
}
