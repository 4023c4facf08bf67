package acmeclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
)

// HTTPSolver answers http-01 challenges: from a listener of its own on Addr (standalone), or by
// writing the token files under Webroot for a web server that is already there.
type HTTPSolver struct {
	// Addr is the standalone listener's address (":80"); unused with Webroot.
	Addr string
	// Webroot is the document root of the site's own web server.
	Webroot string

	mu       sync.Mutex
	tokens   map[string]string // token -> key authorization
	srv      *http.Server
	ln       net.Listener
	written  []string // webroot files and directories made, to take away
	listened bool
}

func (s *HTTPSolver) Type() string { return HTTP01 }

// Listen opens the standalone listener before any order is placed, so a port in use (or one
// that needs root, 80) fails the run at once instead of after the CA was asked.
func (s *HTTPSolver) Listen() error {
	if s.Webroot != "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return &ListenError{Addr: s.Addr, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ln, s.tokens, s.listened = ln, map[string]string{}, true
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

// ListenError is a challenge listener that could not be opened.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("listening on %s: %v", e.Addr, e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// Close stops the standalone listener.
func (s *HTTPSolver) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// Addr of the listener, once listening (the port chosen for ":0").
func (s *HTTPSolver) ListenAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

const challengePath = "/.well-known/acme-challenge/"

func (s *HTTPSolver) serve(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, challengePath)
	s.mu.Lock()
	keyAuth, known := s.tokens[token]
	s.mu.Unlock()
	if !ok || !known || r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte(keyAuth))
}

func (s *HTTPSolver) Present(ctx context.Context, c *acme.Client, _ *acme.Authorization, ch *acme.Challenge) error {
	keyAuth, err := c.HTTP01ChallengeResponse(ch.Token)
	if err != nil {
		return err
	}
	if s.Webroot != "" {
		return s.writeToken(ch.Token, keyAuth)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.listened {
		return errors.New("the http-01 listener is not open")
	}
	s.tokens[ch.Token] = keyAuth
	return nil
}

// writeToken writes the key authorization as WEBROOT/.well-known/acme-challenge/TOKEN (0644,
// world-readable as a web server needs), making the directories it must (and noting them, to
// take away again).
func (s *HTTPSolver) writeToken(token, keyAuth string) error {
	if strings.ContainsAny(token, `/\`) || token == "" || token == "." || token == ".." {
		return fmt.Errorf("the CA's token %q is not a file name", token)
	}
	dir := filepath.Join(s.Webroot, filepath.FromSlash(strings.Trim(challengePath, "/")))
	if st, err := os.Stat(s.Webroot); err != nil || !st.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fmt.Errorf("webroot %s: %w", s.Webroot, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range []string{filepath.Join(s.Webroot, ".well-known"), dir} {
		if err := os.Mkdir(d, 0o755); err == nil {
			s.written = append(s.written, d)
		} else if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("writing the challenge: %w", err)
		}
	}
	path := filepath.Join(dir, token)
	if err := os.WriteFile(path, []byte(keyAuth), 0o644); err != nil {
		return fmt.Errorf("writing the challenge: %w", err)
	}
	os.Chmod(path, 0o644)
	s.written = append(s.written, path)
	return nil
}

func (s *HTTPSolver) CleanUp(_ context.Context, _ *acme.Client, _ *acme.Authorization, ch *acme.Challenge) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Webroot == "" {
		delete(s.tokens, ch.Token)
		return nil
	}
	// The token file, then the directories this run made (deepest first), and only if empty.
	var errs []error
	for i := len(s.written) - 1; i >= 0; i-- {
		p := s.written[i]
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			os.Remove(p) // fails, harmlessly, while another token is still in it
			continue
		}
		if filepath.Base(p) != ch.Token {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		s.written = append(s.written[:i], s.written[i+1:]...)
	}
	return errors.Join(errs...)
}
