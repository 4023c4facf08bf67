package server

import (
	"context"
	"os"
	"time"
)

// DefaultWatchPoll is how often Watch looks at the files when WatchOptions.Poll is 0: a
// deployment tool's rewrite is served within a second, for a stat of each file per poll.
const DefaultWatchPoll = time.Second

// WatchOptions configure CertStore.Watch.
type WatchOptions struct {
	// Poll is how often the files are looked at (Changed); DefaultWatchPoll when 0.
	Poll time.Duration
	// Reload asks for a reload whatever the files show, once per value received (serve sends
	// SIGHUP here; nil for none).
	Reload <-chan os.Signal
	// OnReload is told the outcome of every reload, from Watch's goroutine: nil, a
	// *StapleError (the new certificates are served without a staple), or the error that kept
	// the previous certificates in use. Nil for none.
	OnReload func(error)
}

// Watch reloads the store when its files change on disk (Changed) and when o.Reload asks,
// until ctx ends; run it in a goroutine of its own. Reloads run one at a time, in Watch's
// goroutine: one asked for during another waits for it (Reload never blocks on what a file is).
func (s *CertStore) Watch(ctx context.Context, o WatchOptions) {
	poll := o.Poll
	if poll <= 0 {
		poll = DefaultWatchPoll
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.Reload:
		case <-tick.C:
			if !s.Changed() {
				continue
			}
		}
		err := s.Reload()
		if o.OnReload != nil {
			o.OnReload(err)
		}
	}
}
