package service

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// A tracking token is the citizen's key to their case: a hotline operator reads it out,
// a caller writes it down, a reporter types it from a note. So it is 16 characters of
// Crockford's base32 (digits and capitals without I, L, O and U: nothing to mistake for
// something else, and no case to get wrong) in four groups of four, like
// "7K3M-Q9TX-2HPA-W8RD": 80 random bits, far beyond what guessing over HTTP can reach.
// Tokens issued before (24 characters of base64url, case-sensitive) keep working.

// trackingAlphabet is Crockford's base32.
const trackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const base64URLChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var trackingEncoding = base32.NewEncoding(trackingAlphabet).WithPadding(base32.NoPadding)

// newTrackingToken returns a fresh token, grouped for reading, and the hash we keep.
func newTrackingToken() (token, hash string) {
	b := make([]byte, 10)
	rand.Read(b)
	s := trackingEncoding.EncodeToString(b)
	token = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	return token, TrackingHash(token)
}

// TrackingHash is the stored form of a tracking token as a citizen may type it: with or
// without the hyphens, with spaces, in small letters, with O for 0 and I or L for 1.
func TrackingHash(token string) string {
	return HashSecret(CanonicalTrackingToken(token))
}

// DisplayTrackingToken is a tracking token as it is shown and read out: a 16-character
// one in its four groups; an older one as it is.
func DisplayTrackingToken(token string) string {
	c := CanonicalTrackingToken(token)
	if len(c) != 16 || strings.Trim(c, trackingAlphabet) != "" {
		return c
	}
	return c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
}

// CanonicalTrackingToken is the form a tracking token is hashed in: for a 16-character
// token, its characters without separators, in capitals, look-alikes mapped as Crockford
// maps them; an older base64url token, or anything else, only trimmed.
func CanonicalTrackingToken(token string) string {
	t := strings.TrimSpace(token)
	if len(t) == 24 && strings.Trim(t, base64URLChars) == "" {
		return t // an older token, exactly as issued
	}
	var b strings.Builder
	for _, r := range t {
		switch {
		case r == '-' || r == ' ' || r == '\u3000' || r == '\u2014' || r == '\uff0d': // hyphens, spaces, full-width forms
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= '\uff10' && r <= '\uff19': // full-width digits from a Chinese keyboard
			r = '0' + (r - '\uff10')
		case r >= '\uff21' && r <= '\uff3a':
			r = 'A' + (r - '\uff21')
		case r >= '\uff41' && r <= '\uff5a':
			r = 'A' + (r - '\uff41')
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(trackingAlphabet, r) || b.Len() >= 16 {
			return t
		}
		b.WriteRune(r)
	}
	if b.Len() != 16 {
		return t
	}
	return b.String()
}
