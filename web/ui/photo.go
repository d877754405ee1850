package ui

import (
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// maxPhotos is how many photos one form may carry (as many as a report may have).
const maxPhotos = 9

// maxUploadBytes bounds a form with photos: maxPhotos photos of the largest size
// accepted, and the text fields. A single photo over the limit is read and refused
// with its own message; only a larger body than this fails as a whole.
const maxUploadBytes = maxPhotos*service.MaxPhotoBytes + 1<<20

// errTooLarge is the message for a body over maxUploadBytes.
var errTooLarge = gl.FieldError("photos", "上传的照片合计过大（每张不超过 10 MB，最多 %d 张）", maxPhotos)

// parseUpload reads a form that may carry photos (multipart/form-data), or a plain
// url-encoded one; files are the parts named "photos" that hold a file.
func parseUpload(w http.ResponseWriter, r *http.Request) (f form, files []*multipart.FileHeader, err error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, err = parseForm(w, r)
		return f, nil, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	// Parts beyond 1 MB go to temporary files, removed when the request ends.
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, errTooLarge
		}
		return nil, nil, gl.Errorf(gl.EINVALID, "表单无法解析")
	}
	f = form(r.MultipartForm.Value)
	if err := checkText(f); err != nil {
		return nil, nil, err
	}
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size > 0 && fh.Filename != "" { // a file input left empty sends an empty part
			files = append(files, fh)
		}
	}
	return f, files, nil
}

// formPhotos are the photos a form carries: those kept from an earlier try that
// failed (hidden photo_ids) and those uploaded now, all stored and not yet attached.
type formPhotos struct {
	Photos  []store.Photo
	Capture bool // the file input asks phones for the rear camera
}

// URLs are the photos' URLs, for the case.
func (fp formPhotos) URLs() []string {
	var out []string
	for _, p := range fp.Photos {
		out = append(out, service.PhotoURL(p.ID))
	}
	return out
}

// savePhotos stores the uploaded files and returns every photo the form now carries.
// A file that is refused is named in err (a field error on "photos"); the others are
// kept, so that the re-shown form still holds them.
func (u *UI) savePhotos(ctx context.Context, f form, files []*multipart.FileHeader) (formPhotos, error) {
	kept, err := u.svc.UnattachedPhotos(ctx, f["photo_ids"])
	if err != nil {
		return formPhotos{}, err
	}
	fp := formPhotos{Photos: kept}
	var first error
	for _, fh := range files {
		if len(fp.Photos) >= maxPhotos {
			first = cmpErr(first, gl.FieldError("photos", "照片不能超过 %d 张", maxPhotos))
			break
		}
		file, err := fh.Open()
		if err != nil {
			first = cmpErr(first, gl.FieldError("photos", "照片「%s」读取失败", fh.Filename))
			continue
		}
		p, err := u.svc.SavePhoto(ctx, fh.Filename, file)
		file.Close()
		if err != nil {
			if gl.ErrorCode(err) != gl.EINVALID {
				return fp, err
			}
			first = cmpErr(first, err)
			continue
		}
		fp.Photos = append(fp.Photos, *p)
	}
	return fp, first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// photo serves a stored photo. Its id is a random token: whoever has the URL (the
// case's staff, the reporter through the tracking page) may see it.
func (u *UI) photo(w http.ResponseWriter, r *http.Request) {
	p, err := u.svc.Photo(r.Context(), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	servePhoto(w, r, p.Bytes, p.ContentType, p.SHA256)
}

// photoThumb serves a photo scaled down for lists and pages.
func (u *UI) photoThumb(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	etag := "thumb-" + id
	if r.Header.Get("If-None-Match") == `"`+etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b, ct, err := u.svc.PhotoThumb(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	servePhoto(w, r, b, ct, etag)
}

func servePhoto(w http.ResponseWriter, r *http.Request, b []byte, contentType, etag string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", "inline")
	// A photo never changes under its id; only browsers (not shared caches) keep it.
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("ETag", `"`+etag+`"`)
	if r.Header.Get("If-None-Match") == `"`+etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
