package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Request is one HTTP request served, as HTTPOptions.OnRequest is told of it once its handler
// has returned (for an upgraded connection, once the tunnel has closed).
type Request struct {
	// Time is when the request's headers had been read.
	Time   time.Time `json:"time"`
	Remote string    `json:"remote"`
	// Method and Path are as the client sent them (Path is the request target): untrusted,
	// escape them before printing.
	Method       string `json:"method"`
	Path         string `json:"path"`
	HTTPProtocol string `json:"http_protocol"`
	// Status is the status sent (net/http's 200 when the handler set none; 101 for a
	// connection taken over for a protocol switch); 0 when the client went away before any was
	// sent.
	Status int `json:"status"`
	// Bytes is how much of the response body was written to the client.
	Bytes      int64   `json:"bytes"`
	DurationMs float64 `json:"duration_ms"`
	// Error is why the request failed when it did: the backend's failure behind --proxy's 502
	// or 504 or a response cut short, or a client that went away.
	Error string `json:"error,omitempty"`
	// Cause is the error Error describes (a *ProxyError for a backend's failure).
	Cause error `json:"-"`
}

// ErrClientGone is a request whose client went away before its answer was written.
var ErrClientGone = errors.New("the client went away")

// logRequests tells report of every request h serves.
func logRequests(h http.Handler, report func(Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &requestRecord{ResponseWriter: w, start: time.Now()}
		// Deferred, so a handler that aborts (http.ErrAbortHandler, as a proxy does when the
		// backend breaks off a body) is still logged as the panic goes by.
		defer func() {
			report(rec.request(r))
		}()
		h.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestRecordKey{}, rec)))
	})
}

type requestRecordKey struct{}

// noteRequestError attaches why a request failed to its log line, when it has one. The first
// cause noted is kept: it is the one that made the others.
func noteRequestError(ctx context.Context, err error) {
	if rec, ok := ctx.Value(requestRecordKey{}).(*requestRecord); ok {
		rec.mu.Lock()
		if rec.err == nil {
			rec.err = err
		}
		rec.mu.Unlock()
	}
}

// requestRecord is the ResponseWriter of a logged request: it counts what is written and keeps
// the status. Unwrap lets http.ResponseController reach the connection's own writer (Flush,
// Hijack, deadlines), which is how ReverseProxy flushes and upgrades.
type requestRecord struct {
	http.ResponseWriter
	start time.Time

	mu       sync.Mutex
	status   int
	bytes    int64
	err      error
	hijacked bool
}

// Hijack is the connection's, noted: ReverseProxy writes its 101 Switching Protocols on the
// taken-over connection itself, past WriteHeader.
func (rec *requestRecord) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil {
		rec.mu.Lock()
		rec.hijacked = true
		rec.mu.Unlock()
	}
	return c, brw, err
}

func (rec *requestRecord) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *requestRecord) WriteHeader(code int) {
	rec.mu.Lock()
	// 1xx answers (100 Continue, 103 Early Hints) come before the final one; 101 is final.
	if rec.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rec.status = code
	}
	rec.mu.Unlock()
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *requestRecord) Write(p []byte) (int, error) {
	n, err := rec.ResponseWriter.Write(p)
	rec.mu.Lock()
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.bytes += int64(n)
	rec.mu.Unlock()
	return n, err
}

func (rec *requestRecord) request(r *http.Request) Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := Request{
		Time: rec.start, Remote: r.RemoteAddr, Method: r.Method, Path: r.RequestURI, HTTPProtocol: r.Proto,
		Status: rec.status, Bytes: rec.bytes, DurationMs: float64(time.Since(rec.start).Microseconds()) / 1000,
		Cause: rec.err,
	}
	if out.Status == 0 {
		if rec.hijacked {
			// Only a protocol switch (serve --proxy's WebSocket) takes a connection over.
			out.Status = http.StatusSwitchingProtocols
		} else if r.Context().Err() == nil {
			out.Status = http.StatusOK // what net/http sends for a handler that set none
		} else if out.Cause == nil {
			out.Cause = ErrClientGone
		}
	}
	var pe *ProxyError
	switch {
	case errors.As(out.Cause, &pe):
		out.Error = pe.Err.Error() // the line has the method and path already
	case out.Cause != nil:
		out.Error = out.Cause.Error()
	}
	return out
}
