package server

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fsDir is a served directory with a regular file, a subdirectory, a symlink to the file, a
// FIFO, a symlink to the FIFO and a Unix socket.
func fsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hello.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("fifo", filepath.Join(dir, "fifo-link")); err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are limited to ~108 bytes; the temp dir may be longer.
	if sock := filepath.Join(dir, "sock"); len(sock) < 100 {
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	// Should a FIFO open be blocked (the bug), let it go when the test ends: one writer wakes
	// every reader waiting in open.
	// A writer's non-blocking open fails with ENXIO once no reader has the FIFO open: then
	// nothing is left blocked, and the cleanup ends at once (it used to wait 200 ms each time).
	t.Cleanup(func() {
		for i := 0; i < 20; i++ {
			f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				return
			}
			f.Close()
			time.Sleep(10 * time.Millisecond)
		}
	})
	return dir
}

// TestFileHandlerFIFORefused: a FIFO in --dir used to be opened for reading, which blocks an
// OS thread until a writer comes: 44 HTTP/2 connections x 250 streams reached Go's 10 000
// threads and killed the process; over HTTP/1.1 each request held its connection forever.
// Now 64 concurrent HTTP/1.1 requests and 200 concurrent HTTP/2 streams for the FIFO (and a
// symlink to it) are all answered 403 within 5 s, and the process gains fewer than 40 threads
// (before: every request hung and threads grew by one per request, 264 here).
func TestFileHandlerFIFORefused(t *testing.T) {
	t.Parallel()
	dir := fsDir(t)
	h, err := FileHandler(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := hsStart(t, h, hsConfig{})
	threadsBefore := hsThreads(t)

	for _, tc := range []struct {
		name  string
		h2    bool
		n     int
		paths []string
	}{
		{"HTTP/1.1", false, 64, []string{"/fifo", "/fifo-link"}},
		{"HTTP/2", true, 200, []string{"/fifo", "/fifo-link"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := s.client(tc.h2, 5*time.Second)
			defer c.CloseIdleConnections()
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[string]int{}
			for i := 0; i < tc.n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := c.Get(s.url + tc.paths[i%len(tc.paths)])
					key := ""
					if err != nil {
						key = "error: " + strings.SplitN(err.Error(), ":", 2)[0]
					} else {
						key = fmt.Sprintf("%d %s", resp.StatusCode, resp.Proto)
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
					mu.Lock()
					statuses[key]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			proto := "HTTP/1.1"
			if tc.h2 {
				proto = "HTTP/2.0"
			}
			threads := hsThreads(t)
			t.Logf("%d requests for a FIFO: %v; threads %d -> %d", tc.n, statuses, threadsBefore, threads)
			if statuses["403 "+proto] != tc.n {
				t.Errorf("BUG: %d requests for a FIFO answered %v, want all 403", tc.n, statuses)
			}
			if threads > threadsBefore+40 {
				t.Errorf("BUG: %d threads after %d FIFO requests, %d before", threads, tc.n, threadsBefore)
			}
		})
	}

	// What is servable still is.
	c := s.client(false, 5*time.Second)
	defer c.CloseIdleConnections()
	for _, tc := range []struct {
		path string
		want int
		body string
	}{
		{"/hello.txt", 200, "hello\n"},
		{"/link.txt", 200, "hello\n"},
		{"/sub/", 200, ""},
		{"/", 200, "fifo"}, // the listing names it; asking for it is refused
		{"/sock", 403, ""},
		{"/missing", 404, ""},
	} {
		if tc.path == "/sock" {
			if _, err := os.Lstat(filepath.Join(dir, "sock")); err != nil {
				continue
			}
		}
		resp, err := c.Get(s.url + tc.path)
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || !strings.Contains(string(b), tc.body) {
			t.Errorf("%s: %d %q, want %d with %q", tc.path, resp.StatusCode, b, tc.want, tc.body)
		}
	}
}

// TestFileHandlerMalformedPaths: a NUL or bytes that are not UTF-8 in the path (an overlong
// encoding of "." included) were answered 500 (os.Root's fs.FS refuses them with ErrInvalid,
// the syscall with EINVAL, and net/http maps anything unknown to 500). They are malformed: 400.
// A name too long to exist is 404.
func TestFileHandlerMalformedPaths(t *testing.T) {
	t.Parallel()
	h, err := FileHandler(fsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	s := hsStart(t, h, hsConfig{})
	c := s.client(false, 5*time.Second)
	defer c.CloseIdleConnections()
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/%00", 400},
		{"/hello.txt%00.png", 400},
		{"/%C0%AE%C0%AE/", 400}, // overlong "..", the classic traversal
		{"/sub/%FF", 400},
		{"/" + strings.Repeat("a", 300), 404},
		{"/" + strings.Repeat("d/", 3000), 404},
		{"/hello.txt/x", 404},
		{"/hello.txt", 200},
	} {
		resp, err := c.Get(s.url + tc.path)
		if err != nil {
			t.Errorf("%.40s: %v", tc.path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("BUG: GET %.40s answered %d, want %d", tc.path, resp.StatusCode, tc.want)
		}
	}
}
