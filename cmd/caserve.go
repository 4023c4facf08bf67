package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/tlscore/server"
)

type caServeOptions struct {
	ca   caDirOptions
	addr string
}

func newCAServeCmd(a *app) *cobra.Command {
	o := &caServeOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Answer OCSP requests for the certificates this CA issued",
		Long: `Run an OCSP responder (RFC 6960) for the CA: plain HTTP, as OCSP clients expect, on --addr
(127.0.0.1 unless told otherwise). It answers a POST of application/ocsp-request, or a GET with
the request in base64 as the last path segment, on any path, so the URL given to
'tlskit ca create --ocsp-url' works as it is.

Each answer is signed by the CA itself and is valid for an hour: revoked (with the time and
reason 'tlskit ca revoke' recorded, read afresh for every request) or good for any other serial
of this CA; a request about another CA's certificates is answered "unauthorized".

The first line of stdout is the URL; then one line per request (JSON Lines with -o json).
SIGINT or SIGTERM stops it (exit 0).`,
		Example: `  tlskit ca create --dir ./ca --ocsp-url http://127.0.0.1:8080/ocsp
  tlskit ca serve --ca-dir ./ca --addr 127.0.0.1:8080
  openssl ocsp -url http://127.0.0.1:8080/ocsp -issuer ca/ca.pem -cert app.pem -CAfile ca/ca.pem
  tlskit verify app.pem --ca ca/ca.pem --revocation ocsp`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCAServe(c.Context(), a, o)
		},
	}
	o.ca.register(c, true)
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	return c
}

func runCAServe(ctx context.Context, a *app, o *caServeOptions) error {
	dir, err := o.ca.resolve(a)
	if err != nil {
		return err
	}
	issuer, _, err := (&caSourceOptions{dir: dir, passwordFile: o.ca.passwordFile}).load(a)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	answer := func(req []byte) ([]byte, string) {
		// Read afresh each time, so a revocation counts from the next request on.
		db, err := certgen.ReadRevocationDB(dir)
		if err != nil {
			a.warnf("reading the revocation database: %v", err)
			return ocsp.InternalErrorErrorResponse, "internal error (the revocation database cannot be read)"
		}
		return certgen.AnswerOCSP(issuer, db, req, a.now())
	}
	// The request log is serve's: its own goroutine, lines dropped rather than answers
	// delayed, a stdout that goes away (| head -1) or is never read stops the log, not the
	// responder nor its shutdown.
	// The log's deadline counts serve's drain, as it always has, though this responder's
	// shutdown below waits 2 s at most.
	logger := newEventLog(ctx, a, serveDrain)
	defer logger.close()
	logLine := func(remote, status string) {
		l := certgen.OCSPLogEntry{Time: a.now().UTC(), Remote: remote, Answer: status}
		logger.record(ocspLogJSON{OCSPLogEntry: l, Time: logTime(l.Time)}, func() string {
			return fmt.Sprintf("%s %s %s", logTime(l.Time), render.Escape(l.Remote), l.Answer)
		})
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	srv := &http.Server{
		Handler:           server.OCSPHandler(answer, logLine),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          server.DiscardLogger(),
	}
	if err := a.announce("http", ln.Addr().(*net.TCPAddr), nil); err != nil {
		ln.Close()
		return err
	}
	logger.start()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			srv.Close()
		}
		return nil
	}
}

// ocspLogJSON is an OCSP request's JSON line, its time at the log's fixed precision.
type ocspLogJSON struct {
	certgen.OCSPLogEntry
	Time string `json:"time"`
}
