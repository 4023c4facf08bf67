package server

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"time"
)

// HTTPOptions configure the HTTP server run over a Listener's connections.
type HTTPOptions struct {
	Handler           http.Handler
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	// OnRequest, when set, is told of every request served, once it is done. It runs on the
	// request's goroutine, so it should not block.
	OnRequest func(Request)
}

// NewHTTPServer is the http.Server serve runs over ln: its limits, HTTP/2 with its stream
// budgets (http2.go), and the connection slots handed back to ln as connections close.
func NewHTTPServer(ln *Listener, o HTTPOptions) (*http.Server, error) {
	h := o.Handler
	if o.OnRequest != nil {
		h = logRequests(h, o.OnRequest)
	}
	srv := &http.Server{
		Handler:           guardHTTP2(h),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		TLSConfig:         ln.TLSConfig(),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return withStreamBudget(ConnContext(ctx, c))
		},
		HTTP2: http2Config(),
		// A hijacked (upgraded) connection keeps its slot until it is closed (progressConn).
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				ln.Release(c)
			}
		},
		ErrorLog: DiscardLogger(),
	}
	if err := enableHTTP2(srv, ln, o.IdleTimeout); err != nil {
		return nil, err
	}
	return srv, nil
}

// ServeHTTP serves ln with srv until ctx ends, then stops accepting, lets requests in flight
// finish for up to the listener's Options.Drain and closes the rest.
func ServeHTTP(ctx context.Context, srv *http.Server, ln *Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), ln.opts.Drain)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return nil
}

// DiscardLogger keeps net/http's own per-connection complaints (a client that hung up) off
// stderr; the server reports connections through its events.
func DiscardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
