// Command attack-serve runs issue 12's combined attack against a real `tlskit serve` at its
// default limits and says whether it held: a real client answered within 3 s throughout, peak
// RSS under 300 MB, and RSS back near idle once the attack stops.
//
//	attack-serve -tlskit ./tlskit [-mode dir|proxy] [-scale short|full] [-d 60s] [-settle 30s]
//
// dir mode serves a directory holding a 64 MiB file and a FIFO; proxy mode proxies to a
// backend (started here) that upgrades /ws to a tunnel and serves /big. Both get slow bodies,
// non-reading clients and HTTP/2 rapid reset; dir mode adds HTTP/2 stream floods at the FIFO,
// proxy mode WebSocket tunnels held open. The attackers run in a child process at nice 10
// (-attacker-nice), as if on another machine; every 500 ms a fresh real client (new
// connection, verified against the served certificate) GETs / from this one and its time is
// recorded.
//
// It exits 0 when every target held, 1 when one did not, 2 when it could not measure.
package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tlskit/tlskit/tlscore/server/servertest"
)

// scale is how many attackers of each kind run at once.
type scale struct {
	slowBodies, nonReaders, rapidResets, floodConns, floodStreams, tunnels int
}

var scales = map[string]scale{
	// full is the figures: 1 024 slow bodies, 300 rapid-reset connections, 44 x 250
	// FIFO streams, 300 tunnels; 100 non-readers.
	"full":  {1024, 100, 300, 44, 250, 300},
	"short": {32, 4, 8, 4, 50, 16},
}

const (
	maxAnswer   = 3 * time.Second
	maxRSSBytes = 300 << 20
)

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "attack-serve:", err)
	}
	os.Exit(code)
}

func run() (int, error) {
	bin := flag.String("tlskit", "tlskit", "tlskit binary to attack")
	mode := flag.String("mode", "dir", "dir or proxy")
	scaleName := flag.String("scale", "short", "short or full")
	dur := flag.Duration("d", 20*time.Second, "how long the attack runs")
	settle := flag.Duration("settle", 30*time.Second, "how long RSS has to come back to idle after the attack")
	serveLog := flag.String("serve-log", "", "keep serve's stderr (and its log, in FILE.stdout) in this file")
	attackerNice := flag.Int("attacker-nice", 10, "run the attackers in a child process at this nice level (0: same priority)")
	attackAddr := flag.String("attack-addr", "", "internal: be the attacking child, against this address")
	flag.Parse()
	sc, ok := scales[*scaleName]
	if !ok || (*mode != "dir" && *mode != "proxy") {
		return 2, fmt.Errorf("-scale short|full and -mode dir|proxy")
	}
	if *attackAddr != "" {
		attack(*attackAddr, *mode, sc, *dur)
		return 0, nil
	}
	work, err := os.MkdirTemp("", "attack-serve-")
	if err != nil {
		return 2, err
	}
	defer os.RemoveAll(work)

	args := []string{"serve", "--addr", "127.0.0.1:0", "--write-cert", filepath.Join(work, "cert.pem")}
	switch *mode {
	case "dir":
		www := filepath.Join(work, "www")
		if err := makeDir(www); err != nil {
			return 2, err
		}
		args = append(args, "--dir", www)
	case "proxy":
		backend, err := startBackend()
		if err != nil {
			return 2, err
		}
		args = append(args, "--proxy", "http://"+backend)
	}
	logPath := cmp.Or(*serveLog, filepath.Join(work, "serve.err"))
	srv, err := startServe(*bin, logPath, args)
	if err != nil {
		return 2, err
	}
	defer srv.stop()
	pool, err := loadPool(filepath.Join(work, "cert.pem"))
	if err != nil {
		return 2, err
	}
	probe := func() (time.Duration, error) { return realRequest(srv.addr, pool) }
	for i := 0; i < 10; i++ {
		if _, err := probe(); err != nil {
			return 2, fmt.Errorf("warm-up request: %w", err)
		}
	}
	time.Sleep(time.Second)
	idle := srv.rss()

	// The attackers run in a child process, by default at a lower priority: on one machine
	// they would otherwise take the CPU from the real client and the server alike, which
	// measures the machine, not the server (an attacker elsewhere pays for its own CPU).
	attacker := exec.Command(os.Args[0], "-attack-addr", srv.addr, "-mode", *mode, "-scale", *scaleName, "-d", dur.String())
	if *attackerNice != 0 {
		attacker = exec.Command("nice", append([]string{"-n", strconv.Itoa(*attackerNice)}, attacker.Args...)...)
	}
	var attackStats strings.Builder
	attacker.Stdout, attacker.Stderr = &attackStats, os.Stderr
	if err := attacker.Start(); err != nil {
		return 2, fmt.Errorf("starting the attackers: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)

	var (
		peak     int64
		answers  []time.Duration
		failures []string
	)
	tick := time.NewTicker(500 * time.Millisecond)
	// The real client runs beside the attack, one request at a time.
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for ctx.Err() == nil {
			d, err := probe()
			if err != nil {
				failures = append(failures, err.Error())
			} else {
				answers = append(answers, d)
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	for ctx.Err() == nil {
		<-tick.C
		peak = max(peak, srv.rss())
	}
	tick.Stop()
	cancel()
	<-probeDone
	if err := attacker.Wait(); err != nil {
		return 2, fmt.Errorf("the attackers: %w", err)
	}
	hwm := srv.hwm()

	// Back to idle: within 32 MB or 1.5x of the idle RSS.
	limit := max(idle+32<<20, idle*3/2)
	deadline := time.Now().Add(*settle)
	after := srv.rss()
	for after > limit && time.Now().Before(deadline) {
		time.Sleep(time.Second)
		after = srv.rss()
	}
	if _, err := probe(); err != nil {
		failures = append(failures, "after the attack: "+err.Error())
	}

	slices.Sort(answers)
	var worst time.Duration
	if len(answers) > 0 {
		worst = answers[len(answers)-1]
	}
	fmt.Printf("mode=%s scale=%s duration=%s attacker-nice=%d\n", *mode, *scaleName, *dur, *attackerNice)
	fmt.Print(attackStats.String())
	fmt.Printf("  real client: %d answered, %d failed, slowest %s\n", len(answers), len(failures), worst.Round(time.Millisecond))
	fmt.Printf("  rss: idle %s, peak %s (VmHWM %s), after %s\n", mb(idle), mb(peak), mb(hwm), mb(after))
	held := true
	check := func(ok bool, what string) {
		verdict := "ok"
		if !ok {
			verdict, held = "MISSED", false
		}
		fmt.Printf("  %-6s %s\n", verdict, what)
	}
	check(len(failures) == 0 && worst <= maxAnswer && len(answers) > 0, fmt.Sprintf("real client answered within %s every time", maxAnswer))
	check(hwm < maxRSSBytes, "peak RSS under 300 MB")
	check(after <= limit, fmt.Sprintf("RSS back within %s of idle", mb(limit-idle)))
	for i, f := range failures {
		if i == 3 {
			break
		}
		fmt.Printf("  failure: %s\n", f)
	}
	if !held {
		return 1, nil
	}
	return 0, nil
}

// attack is the attacking child: every attacker of the scale against addr for d, then one
// line of counts per kind of attack on stdout.
func attack(addr, mode string, sc scale, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	target := servertest.Target{Addr: addr, Host: "localhost", TLS: &tls.Config{InsecureSkipVerify: true}}
	var (
		wg    sync.WaitGroup
		names []string
		stats = map[string]*servertest.Stats{}
	)
	launch := func(name string, n int, f func(*servertest.Stats)) {
		st := &servertest.Stats{}
		names, stats[name] = append(names, name), st
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); f(st) }()
		}
	}
	launch("slow-body", sc.slowBodies, func(st *servertest.Stats) { servertest.SlowBody(ctx, target, st, "/", 10*time.Second) })
	launch("non-reader", sc.nonReaders, func(st *servertest.Stats) { servertest.NonReader(ctx, target, st, "/big") })
	launch("rapid-reset", sc.rapidResets, func(st *servertest.Stats) { servertest.RapidReset(ctx, target, st, "/") })
	if mode == "dir" {
		launch("fifo-flood", sc.floodConns, func(st *servertest.Stats) { servertest.StreamFlood(ctx, target, st, "/fifo", sc.floodStreams) })
	} else {
		launch("tunnels", sc.tunnels, func(st *servertest.Stats) { servertest.Upgrade(ctx, target, st, "/ws") })
	}
	wg.Wait()
	for _, name := range names {
		fmt.Printf("  %-12s %s\n", name, stats[name])
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// makeDir fills the served directory: an index, a 64 MiB file (sparse) and a FIFO.
func makeDir(www string) error {
	if err := os.MkdirAll(www, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(www, "index.html"), []byte("<p>hello</p>\n"), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(www, "big"))
	if err != nil {
		return err
	}
	if err := f.Truncate(64 << 20); err != nil {
		return err
	}
	f.Close()
	return syscall.Mkfifo(filepath.Join(www, "fifo"), 0o644)
}

// startBackend is the app behind --proxy: "/" answers at once, /big streams 64 MiB, /ws
// switches protocols and holds the tunnel until the other side closes it.
func startBackend() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 64<<10)
		for i := 0; i < 1024; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		io.Copy(c, rw)
	})
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return ln.Addr().String(), nil
}

type serveProc struct {
	cmd  *exec.Cmd
	addr string
}

func startServe(bin, logPath string, args []string) (*serveProc, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := bufio.NewReader(out)
	line, err := r.ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("tlskit serve printed no URL: %w", err)
	}
	// The connection log is read, as a terminal would, and kept beside serve's stderr when
	// -serve-log asks for it.
	var logOut io.Writer = io.Discard
	if logPath != "" {
		if f, err := os.Create(logPath + ".stdout"); err == nil {
			logOut = f
		}
	}
	go io.Copy(logOut, r)
	u := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "https://"), "/")
	return &serveProc{cmd: cmd, addr: u}, nil
}

func (s *serveProc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

func (s *serveProc) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

func (s *serveProc) rss() int64 { return s.status("VmRSS") }
func (s *serveProc) hwm() int64 { return s.status("VmHWM") }

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no certificate", file)
	}
	return pool, nil
}

// realRequest is one real client: a fresh connection, a verified handshake, GET /, the whole
// body read; it gives up after 10 s.
func realRequest(addr string, pool *x509.CertPool) (time.Duration, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// Where a slow or failed request spent its time: connect (the accept queue), TLS (the
	// handshake, which waits for a slot), then the response.
	var connected, handshaken time.Duration
	start := time.Now()
	trace := &httptrace.ClientTrace{
		ConnectDone:      func(string, string, error) { connected = time.Since(start) },
		TLSHandshakeDone: func(tls.ConnectionState, error) { handshaken = time.Since(start) },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "https://"+addr+"/", nil)
	if err != nil {
		return 0, err
	}
	phases := func() string {
		return fmt.Sprintf("connected after %v, handshake done after %v, gave up after %v", connected.Round(time.Millisecond), handshaken.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w (%s)", err, phases())
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, fmt.Errorf("%w (%s)", err, phases())
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %s", resp.Status)
	}
	if d := time.Since(start); d > maxAnswer {
		fmt.Printf("  slow answer: %v (%s)\n", d.Round(time.Millisecond), phases())
	}
	return time.Since(start), nil
}
