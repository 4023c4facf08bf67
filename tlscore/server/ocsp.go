package server

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxOCSPRequestBytes bounds an OCSP request body; real ones are under a kilobyte.
const MaxOCSPRequestBytes = 16 << 10

// OCSPHandler serves OCSP over HTTP as RFC 6960 Appendix A describes: a POST of
// application/ocsp-request, or a GET with the request base64-encoded (and URL-escaped) as the
// last path segment. answer turns a request into a DER response, and says what it answered for
// the log; log may be nil.
func OCSPHandler(answer func(req []byte) (resp []byte, status string), log func(remote, status string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req []byte
		switch r.Method {
		case http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxOCSPRequestBytes+1))
			if err != nil || len(body) > MaxOCSPRequestBytes {
				http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
				return
			}
			req = body
		case http.MethodGet:
			seg := r.URL.EscapedPath()
			seg = seg[strings.LastIndex(seg, "/")+1:]
			unescaped, err := url.PathUnescape(seg)
			if err == nil {
				req, err = base64.StdEncoding.DecodeString(unescaped)
			}
			if err != nil || len(req) == 0 {
				http.Error(w, "expected an OCSP request: POST one, or GET .../BASE64", http.StatusBadRequest)
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		resp, status := answer(req)
		if log != nil {
			log(r.RemoteAddr, status)
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	})
}
