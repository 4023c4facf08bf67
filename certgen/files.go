package certgen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// OutputFile is one file a command wants to write.
type OutputFile struct {
	Path string      // where it goes
	Data []byte      // the whole contents
	Mode os.FileMode // 0600 for private keys and PKCS#12, 0644 for certificates; applied exactly, whatever the umask
	Kind string      // "certificate", "private key", "csr", "pkcs12"... used in error messages and results
}

// ExistsError says a target file exists and force was not given.
type ExistsError struct{ Path, Kind string }

func (e *ExistsError) Error() string {
	// The remedy (a flag) is the caller's to suggest: this library knows no flags.
	return fmt.Sprintf("%s already exists%s", e.Path, kindSuffix(e.Kind))
}

func kindSuffix(kind string) string {
	if kind == "" {
		return ""
	}
	return " (" + kind + ")"
}

// WriteFiles writes every file or none of them.
//
// Everything is checked before anything is created, every file is staged in full (written,
// chmodded, synced) in a temporary file beside its target, and only then are the targets
// published. Without force a target is published with a hard link, so a file that appears
// after the checks is reported as an *ExistsError rather than overwritten. With force a target
// is renamed into place, which replaces a symlink itself and never writes through it.
//
// If anything fails, the temporary files and the targets this call created are removed. A file
// that force replaced cannot be brought back: its old contents are gone once the rename is done.
// Staging every file before publishing any keeps that to failures in the rename itself.
func WriteFiles(files []OutputFile, force bool) error {
	return osOps.writeFiles(files, force)
}

// fileOps holds the operations a batch can fail in part-way through. Tests replace them to
// fail the second file of a batch, which permissions cannot arrange when the tests run as root.
type fileOps struct {
	createTemp func(dir, pattern string) (*os.File, error)
	link       func(oldname, newname string) error
	rename     func(oldname, newname string) error
}

var osOps = fileOps{createTemp: os.CreateTemp, link: os.Link, rename: os.Rename}

// pendingFile is one OutputFile on its way to disk, with what a rollback needs to know.
type pendingFile struct {
	OutputFile
	abs     string // operated on, so that relative paths cannot drift with the working directory
	dir     string
	existed bool   // force was given and the target was already there: never ours to remove
	temp    string // staged file not yet published or removed
	created bool   // this call created the target, so a rollback removes it
}

func (o fileOps) writeFiles(files []OutputFile, force bool) (err error) {
	pending, err := planFiles(files, force)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			rollback(pending)
		}
	}()
	for _, p := range pending {
		if err := o.stage(p); err != nil {
			return fmt.Errorf("writing %s: %w", p.Path, err)
		}
	}
	for _, p := range pending {
		if err := o.commit(p, force); err != nil {
			var ee *ExistsError
			if errors.As(err, &ee) {
				return err
			}
			return fmt.Errorf("writing %s: %w", p.Path, err)
		}
	}
	syncDirs(pending)
	return nil
}

// planFiles checks the whole batch before anything is created, so that the common mistakes (a
// typo in a directory, a file left from an earlier run) cost nothing to undo.
func planFiles(files []OutputFile, force bool) ([]*pendingFile, error) {
	pending := make([]*pendingFile, 0, len(files))
	seen := make(map[string]*pendingFile, len(files))
	for _, f := range files {
		if f.Path == "" {
			return nil, fmt.Errorf("no path given for the %s file", kindOrDefault(f.Kind))
		}
		// Mode 0 is a caller that forgot to set it; other bits would be dropped by chmod.
		if f.Mode == 0 || f.Mode&^fs.ModePerm != 0 {
			return nil, fmt.Errorf("writing %s: invalid file mode %#o", f.Path, uint32(f.Mode))
		}
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if prev, ok := seen[abs]; ok {
			return nil, fmt.Errorf("%s would be written twice (%s and %s)", f.Path, kindOrDefault(prev.Kind), kindOrDefault(f.Kind))
		}
		p := &pendingFile{OutputFile: f, abs: abs, dir: filepath.Dir(abs)}
		seen[abs] = p

		shownDir := filepath.Dir(f.Path)
		fi, err := os.Stat(p.dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("output directory %q does not exist", shownDir)
		case err != nil:
			return nil, fmt.Errorf("output directory %q: %w", shownDir, unwrapPath(err))
		case !fi.IsDir():
			return nil, fmt.Errorf("output directory %q is not a directory", shownDir)
		}

		// Lstat, not Stat: a symlink is itself the thing that exists (even when it dangles), and
		// force replaces the link rather than the file it points to.
		fi, err = os.Lstat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("writing %s: %w", f.Path, unwrapPath(err))
		case fi.IsDir():
			return nil, fmt.Errorf("writing %s: it is a directory", f.Path)
		case !force:
			return nil, &ExistsError{Path: f.Path, Kind: f.Kind}
		default:
			p.existed = true
		}
		pending = append(pending, p)
	}
	return pending, nil
}

func kindOrDefault(kind string) string {
	if kind == "" {
		return "output"
	}
	return kind
}

// unwrapPath drops an *os.PathError's own path where the message already names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// stage writes the file in full beside its target, in the same directory so that publishing it
// is a link or rename within one filesystem.
func (o fileOps) stage(p *pendingFile) error {
	f, err := o.createTemp(p.dir, ".tlskit-*.tmp")
	if err != nil {
		return err
	}
	p.temp = f.Name()
	_, err = f.Write(p.Data)
	if err == nil {
		// CreateTemp's 0600 and OpenFile's mode are both filtered by the umask; chmod is not.
		err = f.Chmod(p.Mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (o fileOps) commit(p *pendingFile, force bool) error {
	if force {
		if err := o.rename(p.temp, p.abs); err != nil {
			return err
		}
		p.temp = ""
		p.created = !p.existed
		return nil
	}
	if err := o.link(p.temp, p.abs); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &ExistsError{Path: p.Path, Kind: p.Kind}
		}
		// Filesystems without hard links fail in ways that differ by OS and filesystem (EPERM on
		// FAT, ENOTSUP, EXDEV on some network and overlay mounts, Windows error codes), so any
		// other failure falls back to exclusive creation, which is just as safe against
		// clobbering. A failure with a real cause fails there again and is reported from there.
		if err := writeExclusive(p); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &ExistsError{Path: p.Path, Kind: p.Kind}
			}
			return err
		}
	} else {
		p.created = true
	}
	if err := os.Remove(p.temp); err != nil {
		return err
	}
	p.temp = ""
	return nil
}

// writeExclusive publishes without a hard link. Unlike a link it is not atomic: a crash part-way
// can leave a short file, which is why it is only the fallback.
func writeExclusive(p *pendingFile) error {
	f, err := os.OpenFile(p.abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, p.Mode)
	if err != nil {
		return err
	}
	p.created = true
	_, err = f.Write(p.Data)
	if err == nil {
		err = f.Chmod(p.Mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rollback is best effort: the error that caused it is the one worth reporting.
func rollback(pending []*pendingFile) {
	for _, p := range pending {
		if p.temp != "" {
			_ = os.Remove(p.temp)
			p.temp = ""
		}
		if p.created {
			_ = os.Remove(p.abs)
			p.created = false
		}
	}
}

// syncDirs makes the new directory entries durable, not just the files' contents. Some
// platforms (Windows) cannot sync a directory; the files are already synced, so that is only a
// smaller guarantee, not a failure.
func syncDirs(pending []*pendingFile) {
	done := make(map[string]bool, len(pending))
	for _, p := range pending {
		if done[p.dir] {
			continue
		}
		done[p.dir] = true
		d, err := os.Open(p.dir)
		if err != nil {
			continue
		}
		_ = d.Sync()
		_ = d.Close()
	}
}
