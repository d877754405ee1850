package main

import (
	"net"
	"strings"
)

// loopbackBaseURL is the base URL for the links in texts and emails when the server
// listens on this machine only (a demo, a developer's run) and GRIDLOOP_BASE_URL is
// not set: "http://" + addr. Any other address gives "": the server cannot know the
// name the city's users reach it by.
func loopbackBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	if !strings.EqualFold(host, "localhost") {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return ""
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
