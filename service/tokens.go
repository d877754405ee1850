package service

import (
	"context"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// The API token cache: every API request presents a token, and looking it up (a join of
// tokens and users) was a seventh of intake's CPU. Authenticate keeps what it found for
// tokenTTL, keyed by the token's hash, with the token's own expiry. A change made through
// this Service (UpdateUser, RevokeToken) empties the cache at once; a change made
// elsewhere (another node, `gridloop user set -disable` in another process) takes effect
// within tokenTTL.

const (
	tokenTTL        = 5 * time.Second
	tokenCacheLimit = 10000 // entries; past it the cache starts over
)

type tokenCache struct {
	mu sync.Mutex
	m  map[string]tokenEntry
}

type tokenEntry struct {
	user    gl.User
	expires *time.Time // the token's expiry, if any
	until   time.Time  // wall-clock end of the cache entry
}

// get returns a copy of the user of the token with hash, if cached and still valid at now.
func (c *tokenCache) get(hash string, now time.Time) (*gl.User, bool) {
	c.mu.Lock()
	e, ok := c.m[hash]
	c.mu.Unlock()
	if !ok || time.Now().After(e.until) || (e.expires != nil && !now.Before(*e.expires)) {
		return nil, false
	}
	u := e.user
	return &u, true
}

func (c *tokenCache) put(hash string, u *gl.User, expires *time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= tokenCacheLimit {
		c.m = map[string]tokenEntry{}
	}
	c.m[hash] = tokenEntry{user: *u, expires: expires, until: time.Now().Add(tokenTTL)}
}

// ForgetTokens empties the API token cache. Call it after revoking a token or changing
// or disabling a user by any other way than this Service's methods.
func (s *Service) ForgetTokens() {
	s.tokens.mu.Lock()
	s.tokens.m = nil
	s.tokens.mu.Unlock()
}

// RevokeToken revokes the API token with id; it stops working at once on this node.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	defer s.ForgetTokens()
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.RevokeToken(ctx, id, s.now()) })
}
