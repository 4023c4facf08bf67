//go:build unix

package certgen

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockWait bounds how long a write waits for another writer's lock: a batch holds it for
// milliseconds, so a wait this long is a writer that is stopped or stuck.
const lockWait = 10 * time.Second

// lockDirs takes an exclusive flock(2) on each directory, in order.
//
// Why flock on the directory itself, and not a lock file beside the outputs: the kernel drops a
// flock when its holder dies, even by SIGKILL, so there is never a stale lock to detect or break;
// nothing is created, so there is no file to leave behind, to clean up (removing a lock file
// that others may be waiting on breaks the exclusion), or for another user to plant first as a
// symlink or with a mode that locks us out; and the lock covers any set of names in the
// directory. flock (unlike fcntl locks) belongs to the open file description, so two goroutines
// of one process exclude each other as two processes do. Where a directory cannot be locked
// (it is not readable, or its filesystem has no flock, as on some NFS mounts), the batch goes
// ahead unlocked: it keeps every guarantee but the ordering against concurrent writers.
func lockDirs(dirs []string) (func(), error) {
	var held []*os.File
	unlock := func() {
		for _, d := range held {
			_ = d.Close() // closing the last descriptor releases the flock
		}
	}
	for _, dir := range dirs {
		d, err := os.Open(dir)
		if err != nil {
			continue // planFiles reports a missing directory; an unreadable one stays unlocked
		}
		if err := flockWait(d, lockWait); err != nil {
			d.Close()
			if errors.Is(err, errLockBusy) {
				unlock()
				return nil, fmt.Errorf("%s: another process has been writing there for %v (%w)", dir, lockWait, err)
			}
			continue
		}
		held = append(held, d)
	}
	return unlock, nil
}

var errLockBusy = errors.New("directory locked")

// flockWait polls for the lock (a blocking flock cannot be given up on after a while).
func flockWait(d *os.File, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	delay := 100 * time.Microsecond
	for {
		err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case !errors.Is(err, unix.EWOULDBLOCK):
			return err
		case time.Now().After(deadline):
			return errLockBusy
		}
		time.Sleep(delay)
		if delay < 2*time.Millisecond {
			delay *= 2
		}
	}
}
