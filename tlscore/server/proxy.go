package server

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// ProxyHandler forwards every request to backend (HTTP/1.1, HTTP/2 from the client, WebSocket
// upgrades) with X-Forwarded-* headers set.
func ProxyHandler(backend *url.URL) http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backend)
			r.SetXForwarded()
		},
		ErrorLog: DiscardLogger(),
	}
}
