package ui_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// signIn signs a staff user in on a fresh cookie-keeping client.
func signIn(t *testing.T, base, user string) *http.Client {
	t.Helper()
	c := client(t)
	st, _, _ := post(t, c, base+"/login", url.Values{"username": {user}, "password": {testPassword}})
	if st != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", user, st)
	}
	return c
}

// upload is a file part of a multipart form.
type upload struct {
	field, name string
	body        []byte
}

// postMultipart posts fields and files as multipart/form-data.
func postMultipart(t *testing.T, c *http.Client, u string, fields url.Values, files ...upload) (int, string, http.Header) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile(f.field, f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.body)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", u, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// testJPEG is a w×h JPEG, red on its left half and blue on its right, carrying an
// EXIF block with the given orientation and a GPS latitude, as a phone writes it.
func testJPEG(t testing.TB, w, h int, orientation uint16) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 20, 220, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// TIFF, big-endian: IFD0 at 8 with Orientation and a GPS IFD pointer; the GPS IFD
	// holds GPSLatitudeRef "N".
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	ifd0 := make([]byte, 2+2*12+4)
	be.PutUint16(ifd0, 2)
	be.PutUint16(ifd0[2:], 0x0112) // Orientation, SHORT, 1
	be.PutUint16(ifd0[4:], 3)
	be.PutUint32(ifd0[6:], 1)
	be.PutUint16(ifd0[10:], orientation)
	be.PutUint16(ifd0[14:], 0x8825) // GPSInfo, LONG, 1, offset
	be.PutUint16(ifd0[16:], 4)
	be.PutUint32(ifd0[18:], 1)
	be.PutUint32(ifd0[22:], uint32(8+len(ifd0)))
	gps := make([]byte, 2+12+4)
	be.PutUint16(gps, 1)
	be.PutUint16(gps[2:], 0x0001) // GPSLatitudeRef, ASCII, 2, "N"
	be.PutUint16(gps[4:], 2)
	be.PutUint32(gps[6:], 2)
	copy(gps[10:], "N\x00")
	payload := append([]byte("Exif\x00\x00"), append(tiff, append(ifd0, append(gps, []byte("GPS-SECRET-30.2591N")...)...)...)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

// attr returns the value of the first `name="…"` after marker in body.
func attrAfter(body, marker, name string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j := strings.Index(rest, name+`="`)
	if j < 0 {
		return ""
	}
	rest = rest[j+len(name)+2:]
	return rest[:strings.Index(rest, `"`)]
}
