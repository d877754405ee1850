package main

import "testing"

func TestLoopbackBaseURL(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"localhost:8080", "http://localhost:8080"},
		{"LOCALHOST:8080", "http://LOCALHOST:8080"},
		{"127.0.0.1:8099", "http://127.0.0.1:8099"},
		{"[::1]:8080", "http://[::1]:8080"},
		{":8080", ""},            // every interface: the name users reach it by is unknown
		{"0.0.0.0:8080", ""},     // likewise
		{"10.0.0.5:8080", ""},    // a LAN address: maybe behind a proxy with another name
		{"gridloop.city:80", ""}, // a name: not ours to guess the scheme of
		{"localhost:0", ""},      // port chosen at listen time
		{"localhost", ""},        // no port
	} {
		if got := loopbackBaseURL(tc.addr); got != tc.want {
			t.Errorf("loopbackBaseURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
