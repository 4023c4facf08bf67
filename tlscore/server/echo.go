package server

import (
	"context"
	"net"
	"sync"
	"time"
)

// ServeEcho copies each connection's bytes back until the client closes or is idle for idle.
// When ctx ends it stops accepting, gives open connections up to the listener's Options.Drain,
// then closes them.
func ServeEcho(ctx context.Context, ln *Listener, idle time.Duration) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		ln.Close()
		close(stopped)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				return err
			}
			<-stopped
			drained := make(chan struct{})
			go func() { wg.Wait(); close(drained) }()
			select {
			case <-drained:
			case <-time.After(ln.opts.Drain):
				mu.Lock()
				for c := range conns {
					c.Close()
				}
				mu.Unlock()
				<-drained
			}
			return nil
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
				ln.Release(c)
			}()
			echo(c, idle)
		}()
	}
}

func echo(c net.Conn, idle time.Duration) {
	buf := make([]byte, 16<<10)
	for {
		c.SetReadDeadline(time.Now().Add(idle))
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
