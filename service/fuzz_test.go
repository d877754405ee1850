package service_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/gridloop/gridloop/service"
)

// seedJPEG is a small JPEG carrying an EXIF block with an orientation and a GPS tag,
// as a phone writes it.
func seedJPEG(orientation uint16) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	for x := 0; x < 16; x++ {
		for y := 0; y < 8; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 90, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	b := buf.Bytes()
	be := binary.BigEndian
	tiff := []byte("MM\x00\x2a\x00\x00\x00\x08")
	ifd := make([]byte, 2+2*12+4)
	be.PutUint16(ifd, 2)
	be.PutUint16(ifd[2:], 0x0112)
	be.PutUint16(ifd[4:], 3)
	be.PutUint32(ifd[6:], 1)
	be.PutUint16(ifd[10:], orientation)
	be.PutUint16(ifd[14:], 0x8825)
	be.PutUint16(ifd[16:], 4)
	be.PutUint32(ifd[18:], 1)
	be.PutUint32(ifd[22:], uint32(8+len(ifd)))
	payload := append([]byte("Exif\x00\x00"), append(tiff, append(ifd, []byte("GPS-30.2591N-120.1517E")...)...)...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, b[2:]...)
}

// FuzzProcessImage: uploads are checked by content, decoded and re-encoded. Whatever
// the bytes, ProcessImage refuses them or returns a JPEG or PNG no larger than the
// limits, that decodes, and that carries none of the original metadata.
func FuzzProcessImage(f *testing.F) {
	f.Add(seedJPEG(6))
	f.Add(seedJPEG(3))
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), []color.Color{color.Black, color.White})
	var g, p bytes.Buffer
	gif.Encode(&g, pal, nil)
	png.Encode(&p, image.NewNRGBA(image.Rect(0, 0, 5, 3)))
	f.Add(g.Bytes())
	f.Add(p.Bytes())
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	f.Add([]byte("<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"))
	f.Add([]byte("GIF89a\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, ct, w, h, err := service.ProcessImage(b)
		if err != nil {
			return
		}
		if ct != "image/jpeg" && ct != "image/png" {
			t.Fatalf("content type %q", ct)
		}
		if w <= 0 || h <= 0 || w > service.MaxPhotoSide || h > service.MaxPhotoSide {
			t.Fatalf("size %d×%d", w, h)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width != w || cfg.Height != h || "image/"+format != ct {
			t.Fatalf("the re-encoded image: %v %s %d×%d", err, format, cfg.Width, cfg.Height)
		}
		if bytes.Contains(out, []byte("Exif")) || bytes.Contains(out, []byte("GPS-30.2591N")) {
			t.Fatal("metadata survived the re-encoding")
		}
	})
}

// FuzzReadDivisionsCSV: administrative divisions from an admin's upload. Whatever the
// bytes, every area read has a name and a code of digits.
func FuzzReadDivisionsCSV(f *testing.F) {
	for _, s := range []string{
		"code,name,level,parent_code\n330000,浙江省,province,\n330100,杭州市,city,330000\n330106,西湖区,district,330100\n330106001,北山街道,street,330106\n",
		"\ufeffname,code,parent_code,level,extra\n西湖区,330106,330100,district,x\n",
		"code,name,level\n330106,西湖区,district\n", "code,name,level,parent_code\n12,x,district,\n", "",
		"code,name,level,parent_code\n\"330106\",\"西湖区\",\"district\",\"330100\"\n330106001,,street,330106\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		areas, err := service.ReadDivisionsCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, a := range areas {
			if a.Name == "" || a.Code == "" || strings.Trim(a.Code, "0123456789") != "" {
				t.Fatalf("accepted %+v", a)
			}
		}
	})
}
