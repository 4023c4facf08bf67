package server

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Both forms of RFC 6960 Appendix A reach the answer with the same request bytes; anything
// else is refused before it.
func TestOCSPHandler(t *testing.T) {
	req := []byte{0x30, 0x03, 0x02, 0x01, 0xfb} // bytes whose base64 holds "+" and "/"
	var got [][]byte
	h := OCSPHandler(func(r []byte) ([]byte, string) {
		got = append(got, r)
		return []byte("answer"), "ok"
	}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	check := func(what string, resp *http.Response, err error, code int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("%s: HTTP %d %q, want %d", what, resp.StatusCode, body, code)
		}
		if code == http.StatusOK && (string(body) != "answer" || resp.Header.Get("Content-Type") != "application/ocsp-response") {
			t.Errorf("%s: %q, %s", what, body, resp.Header.Get("Content-Type"))
		}
	}
	resp, err := http.Post(srv.URL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
	check("POST", resp, err, http.StatusOK)
	resp, err = http.Get(srv.URL + "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	check("GET", resp, err, http.StatusOK)
	resp, err = http.Get(srv.URL + "/ocsp/not*base64")
	check("GET garbage", resp, err, http.StatusBadRequest)
	resp, err = http.Post(srv.URL+"/ocsp", "application/ocsp-request", strings.NewReader(strings.Repeat("x", MaxOCSPRequestBytes+1)))
	check("POST too large", resp, err, http.StatusRequestEntityTooLarge)
	r, _ := http.NewRequest(http.MethodPut, srv.URL+"/ocsp", nil)
	resp, err = http.DefaultClient.Do(r)
	check("PUT", resp, err, http.StatusMethodNotAllowed)
	if len(got) != 2 || !bytes.Equal(got[0], req) || !bytes.Equal(got[1], req) {
		t.Errorf("the answer saw %x", got)
	}
}
