package acmeclient

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
)

// DNSHookSolver answers dns-01 challenges through a command of the user's (Hook, run by the
// shell), which adds or removes the TXT record at whatever DNS provider they use, as certbot's
// manual hooks do. Its environment says what to do:
//
//	TLSKIT_ACME_ACTION  add or remove
//	TLSKIT_ACME_DOMAIN  the name being validated (without a wildcard's "*.")
//	TLSKIT_ACME_RECORD  the TXT record's name, _acme-challenge.DOMAIN. (with its final dot)
//	TLSKIT_ACME_VALUE   the record's value
//
// After add, the record is looked up (through Resolver, else the system's) until it is seen
// or Wait passes: a CA that looks too early fails the authorization.
type DNSHookSolver struct {
	Hook string
	// HookTimeout bounds each run of the hook (DefaultHookTimeout when 0).
	HookTimeout time.Duration
	// Resolver is the DNS server (HOST:PORT) to check the record with; "" for the system's.
	Resolver string
	// Wait bounds the wait for the record to be seen (DefaultPropagationWait when 0).
	Wait time.Duration
	// Progress is told of the hook's runs and the wait.
	Progress func(string)
}

// Defaults of the dns-01 solver.
const (
	DefaultHookTimeout     = 2 * time.Minute
	DefaultPropagationWait = 2 * time.Minute
	propagationPoll        = time.Second
)

func (s *DNSHookSolver) Type() string { return DNS01 }

// HookError is a hook that failed or did not finish in time.
type HookError struct {
	Action string
	Err    error
	Output string // its last line of output, when it said something
}

func (e *HookError) Error() string {
	msg := fmt.Sprintf("the DNS hook (%s) %v", e.Action, e.Err)
	if e.Output != "" {
		msg += ": " + e.Output
	}
	return msg
}

func (e *HookError) Unwrap() error { return e.Err }

func recordName(authz *acme.Authorization) (domain, record string) {
	domain = strings.TrimPrefix(authz.Identifier.Value, "*.")
	return domain, "_acme-challenge." + strings.TrimSuffix(domain, ".") + "."
}

// run runs the hook for one action, in a process group of its own that a timeout kills
// whole (a hook that started a child must not outlive the bound).
func (s *DNSHookSolver) run(ctx context.Context, action, domain, record, value string) error {
	timeout := s.HookTimeout
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	shell, flag := "/bin/sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd.exe", "/C"
	}
	cmd := exec.CommandContext(ctx, shell, flag, s.Hook)
	cmd.Env = append(os.Environ(), "TLSKIT_ACME_ACTION="+action, "TLSKIT_ACME_DOMAIN="+domain,
		"TLSKIT_ACME_RECORD="+record, "TLSKIT_ACME_VALUE="+value)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	hookProcessGroup(cmd)
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if parent.Err() != nil {
		// Interrupted (Ctrl-C, the caller's own deadline): that, not "signal: killed" or the
		// hook's timeout, is the cause.
		return &HookError{Action: action, Err: fmt.Errorf("interrupted: %w", parent.Err())}
	}
	if ctx.Err() == context.DeadlineExceeded {
		return &HookError{Action: action, Err: fmt.Errorf("did not finish within %v", timeout)}
	}
	if err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return &HookError{Action: action, Err: err, Output: strings.TrimSpace(lines[len(lines)-1])}
	}
	return nil
}

func (s *DNSHookSolver) Present(ctx context.Context, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) error {
	value, err := c.DNS01ChallengeRecord(ch.Token)
	if err != nil {
		return err
	}
	domain, record := recordName(authz)
	s.say("running the DNS hook: add %s TXT %q", record, value)
	if err := s.run(ctx, "add", domain, record, value); err != nil {
		return err
	}
	return s.waitForRecord(ctx, record, value)
}

// waitForRecord looks the TXT record up until it holds value, or Wait passes.
func (s *DNSHookSolver) waitForRecord(ctx context.Context, record, value string) error {
	wait := s.Wait
	if wait <= 0 {
		wait = DefaultPropagationWait
	}
	r := net.DefaultResolver
	if s.Resolver != "" {
		d := net.Dialer{Timeout: 5 * time.Second}
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, s.Resolver)
		}}
	}
	deadline := time.Now().Add(wait)
	for {
		lookup, cancel := context.WithTimeout(ctx, 5*time.Second)
		txts, err := r.LookupTXT(lookup, record)
		cancel()
		for _, t := range txts {
			if t == value {
				s.say("%s is seen", record)
				return nil
			}
		}
		if time.Now().After(deadline) {
			why := "it holds other values"
			if err != nil {
				why = err.Error()
			} else if len(txts) == 0 {
				why = "it holds none"
			}
			return fmt.Errorf("the TXT record %s did not show the value within %v (%s)", record, wait, why)
		}
		t := time.NewTimer(propagationPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (s *DNSHookSolver) CleanUp(ctx context.Context, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) error {
	value, err := c.DNS01ChallengeRecord(ch.Token)
	if err != nil {
		return err
	}
	domain, record := recordName(authz)
	s.say("running the DNS hook: remove %s", record)
	return s.run(ctx, "remove", domain, record, value)
}

func (s *DNSHookSolver) say(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}
