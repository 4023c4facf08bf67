// Command bench-serve is the helper that scripts/bench-serve.sh builds once:
//
//	bench-serve load -url https://127.0.0.1:PORT/ -ca ca.pem -servername localhost -c 8 -d 5s [-http] [-json]
//	bench-serve gohttp -addr 127.0.0.1:0 -cert leaf.pem -key leaf-key.pem
//
// load is a full-handshake load client: -c goroutines each, until -d has passed (or -n
// iterations have started in all), open a fresh TCP connection, run a full TLS handshake that
// verifies the server against -ca (no session cache, so never a resumption), with -http send one
// HTTP/1.1 "GET /" and read the whole response, then close. It prints one line: handshakes per
// second, how many succeeded, how many failed, and the median and 99th percentile of one
// iteration's time (connect to close); with -json one JSON object instead.
//
// gohttp is the least a Go program needs to serve HTTPS: an http.Server with ServeTLS and a
// handler writing a short fixed body, and nothing logged. It prints its URL as its first line of
// stdout. It is the limit of the engine `tlskit serve` is built on (crypto/tls and net/http).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "load":
		err = load(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "gohttp":
		err = gohttp(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: bench-serve load|gohttp [flags] (see -h of each)")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-serve:", err)
		os.Exit(1)
	}
}

// result is what one load run measured; its JSON is the -json output.
type result struct {
	URL            string  `json:"url"`
	Concurrency    int     `json:"concurrency"`
	HTTP           bool    `json:"http"`
	Seconds        float64 `json:"seconds"`
	Rate           float64 `json:"handshakes_per_sec"`
	Total          int     `json:"handshakes"`
	Errors         int     `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	P50Ms          float64 `json:"p50_ms"`
	P99Ms          float64 `json:"p99_ms"`
	HandshakeP50Ms float64 `json:"handshake_p50_ms"`
	// ClientCPUMs is the load client's own CPU time (user+system) during the run.
	ClientCPUMs float64 `json:"client_cpu_ms"`
	Version     string  `json:"version,omitempty"`
	Group       string  `json:"group,omitempty"`
	Suite       string  `json:"cipher_suite,omitempty"`
	ALPN        string  `json:"alpn,omitempty"`
	BodyBytes   int64   `json:"body_bytes,omitempty"`
}

// worker is one goroutine's tally; each keeps its own, merged at the end.
type worker struct {
	lat, hs   []time.Duration
	errs      int
	firstErr  error
	state     tls.ConnectionState
	haveState bool
	body      int64
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	rawURL := fs.String("url", "", "https://HOST:PORT/ of the server")
	caFile := fs.String("ca", "", "PEM file of the roots to verify the server against")
	serverName := fs.String("servername", "localhost", "name to send as SNI and to verify")
	conc := fs.Int("c", 8, "concurrent connections (goroutines)")
	dur := fs.Duration("d", 5*time.Second, "how long to start new connections")
	maxN := fs.Int("n", 0, "stop after this many connections in all (0: no limit)")
	doHTTP := fs.Bool("http", false, "send one HTTP/1.1 GET / on each connection and read the response")
	asJSON := fs.Bool("json", false, "print a JSON object instead of a line")
	groups := fs.String("groups", "", "key exchange groups to offer, comma-separated (x25519mlkem768, x25519, p256, p384, p521); empty: Go's default")
	fs.Parse(args)
	if fs.NArg() > 0 {
		return fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("load: -url must be https://HOST:PORT/, not %q", *rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	if *conc < 1 {
		return errors.New("load: -c must be at least 1")
	}
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return fmt.Errorf("load: -ca: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("load: %s: no certificates", *caFile)
	}
	cfg := &tls.Config{
		RootCAs:    roots,
		ServerName: *serverName,
		// No ClientSessionCache: every connection is a full handshake.
		ClientSessionCache: nil,
	}
	if *groups != "" {
		for _, g := range strings.Split(*groups, ",") {
			id, ok := groupIDs[strings.ToLower(strings.TrimSpace(g))]
			if !ok {
				return fmt.Errorf("load: -groups: unknown group %q", g)
			}
			cfg.CurvePreferences = append(cfg.CurvePreferences, id)
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	var request []byte
	if *doHTTP {
		cfg.NextProtos = []string{"http/1.1"}
		request = []byte("GET " + path + " HTTP/1.1\r\nHost: " + *serverName + "\r\nUser-Agent: bench-serve\r\nAccept: */*\r\nConnection: close\r\n\r\n")
	}

	var started atomic.Int64
	limit := int64(*maxN)
	workers := make([]*worker, *conc)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	begin := time.Now()
	deadline := begin.Add(*dur)
	for i := range workers {
		w := &worker{}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &net.Dialer{Timeout: 10 * time.Second}
			for {
				if limit > 0 && started.Add(1) > limit {
					return
				}
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				hs, err := once(d, addr, cfg, request, w)
				if err != nil {
					w.errs++
					if w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
				w.hs = append(w.hs, hs)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpuUsed := cpuTime() - cpu0

	r := result{URL: *rawURL, Concurrency: *conc, HTTP: *doHTTP, Seconds: elapsed.Seconds(), ClientCPUMs: float64(cpuUsed.Microseconds()) / 1000}
	var lat, hs []time.Duration
	for _, w := range workers {
		lat = append(lat, w.lat...)
		hs = append(hs, w.hs...)
		r.Errors += w.errs
		if w.firstErr != nil && r.FirstError == "" {
			r.FirstError = w.firstErr.Error()
		}
		if w.haveState && r.Version == "" {
			r.Version = tls.VersionName(w.state.Version)
			r.Suite = tls.CipherSuiteName(w.state.CipherSuite)
			r.Group = groupName(w.state.CurveID)
			r.ALPN = w.state.NegotiatedProtocol
		}
		if w.body > 0 && r.BodyBytes == 0 {
			r.BodyBytes = w.body
		}
	}
	r.Total = len(lat)
	r.Rate = float64(r.Total) / elapsed.Seconds()
	r.P50Ms, r.P99Ms = percentile(lat, 0.50), percentile(lat, 0.99)
	r.HandshakeP50Ms = percentile(hs, 0.50)

	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		line := fmt.Sprintf("rate=%.1f/s handshakes=%d errors=%d p50=%.2fms p99=%.2fms handshake_p50=%.2fms seconds=%.3f client_cpu_ms=%.0f c=%d http=%t version=%q group=%s",
			r.Rate, r.Total, r.Errors, r.P50Ms, r.P99Ms, r.HandshakeP50Ms, r.Seconds, r.ClientCPUMs, r.Concurrency, r.HTTP, r.Version, orDash(r.Group))
		if r.HTTP {
			line += fmt.Sprintf(" body_bytes=%d", r.BodyBytes)
		}
		if r.FirstError != "" {
			line += fmt.Sprintf(" first_error=%q", r.FirstError)
		}
		fmt.Println(line)
	}
	if r.Total == 0 {
		return fmt.Errorf("load: no connection succeeded (%d errors; first: %s)", r.Errors, r.FirstError)
	}
	return nil
}

// once runs one connection: connect, full handshake, optionally one GET, close. It returns the
// time from connect to the end of the handshake.
func once(d *net.Dialer, addr string, cfg *tls.Config, request []byte, w *worker) (time.Duration, error) {
	t0 := time.Now()
	raw, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	raw.SetDeadline(t0.Add(10 * time.Second))
	c := tls.Client(raw, cfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		return 0, fmt.Errorf("handshake: %w", err)
	}
	hs := time.Since(t0)
	if !w.haveState {
		w.state, w.haveState = c.ConnectionState(), true
	}
	if request == nil {
		return hs, nil
	}
	if _, err := c.Write(request); err != nil {
		return 0, fmt.Errorf("writing the request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, fmt.Errorf("reading the response: %w", err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading the body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %s", resp.Status)
	}
	if w.body == 0 {
		w.body = n
	}
	return hs, nil
}

var groupIDs = map[string]tls.CurveID{
	"x25519mlkem768": tls.X25519MLKEM768,
	"x25519":         tls.X25519,
	"p256":           tls.CurveP256,
	"p384":           tls.CurveP384,
	"p521":           tls.CurveP521,
}

func groupName(id tls.CurveID) string {
	for name, v := range groupIDs {
		if v == id {
			return name
		}
	}
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("0x%04x", uint16(id))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// percentile is the nearest-rank percentile of ds in milliseconds (0 for none); it sorts ds.
func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds))*p+0.999999) - 1
	i = max(0, min(i, len(ds)-1))
	return float64(ds[i].Microseconds()) / 1000
}

func gohttp(args []string) error {
	fs := flag.NewFlagSet("gohttp", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	certFile := fs.String("cert", "", "certificate file (PEM, with its chain)")
	keyFile := fs.String("key", "", "private key file (PEM)")
	fs.Parse(args)
	if *certFile == "" || *keyFile == "" {
		return errors.New("gohttp: -cert and -key are required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	body := []byte("hello from the bench-serve gohttp server\n")
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write(body)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	tcp := ln.Addr().(*net.TCPAddr)
	fmt.Printf("https://%s/\n", net.JoinHostPort(tcp.IP.String(), fmt.Sprint(tcp.Port)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, *certFile, *keyFile) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		srv.Close()
		return nil
	}
}
