package cmd

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/pflag"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// subjectOptions are the flags that name a certificate's subject.
type subjectOptions struct {
	cn      string
	org     string
	subject string
}

func (o *subjectOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.cn, "cn", "", "subject common name (default: the first host)")
	fs.StringVar(&o.org, "org", "", "subject organization (O)")
	fs.StringVar(&o.subject, "subject", "", `full subject, RFC 4514 ("CN=app,O=Example\, Inc") or OpenSSL's "/O=Example/CN=app", kept in the order written (DC, UID and emailAddress too)`)
}

// build returns the subject: --subject, then --cn and --org where it has no CN or O (a
// different one is a usage error), then defaultOrg when
// none of --subject, --cn and --org said anything, then defaultCN when no CN was given at all. raw is
// its encoding, in the order written (openssl -subj's order for the slash form; O before CN for
// the defaults, as Go orders them), which the certificate or request carries as it is.
func (o *subjectOptions) build(defaultCN, defaultOrg string) (name pkix.Name, raw []byte, err error) {
	var subj dn.Name
	if o.subject != "" {
		if subj, err = dn.Parse(o.subject); err != nil {
			return pkix.Name{}, nil, usageErrorf("--subject: %v", err)
		}
	}
	// --cn and --org add to a --subject that lacks them; one that says otherwise is a
	// contradiction the user must settle, not a choice tlskit makes silently.
	given := subj.PKIX()
	if o.cn != "" && given.CommonName != "" && given.CommonName != o.cn {
		return pkix.Name{}, nil, usageErrorf("--subject says CN=%s and --cn says %s: give one of them", given.CommonName, o.cn)
	}
	if o.org != "" && len(given.Organization) > 0 && !slices.Equal(given.Organization, []string{o.org}) {
		return pkix.Name{}, nil, usageErrorf("--subject says O=%s and --org says %s: give one of them", strings.Join(given.Organization, "+O="), o.org)
	}
	if o.cn != "" {
		subj.Set("CN", o.cn)
	}
	if o.org != "" {
		subj.Set("O", o.org)
	} else if o.subject == "" && o.cn == "" && defaultOrg != "" {
		// Only for a name nobody gave: --cn X alone is the whole subject asked for.
		subj.Set("O", defaultOrg)
	}
	// X.520 caps a CN at 64 characters; a longer first host stays in the SANs only.
	if subj.PKIX().CommonName == "" && defaultCN != "" && len(defaultCN) <= 64 {
		subj.Set("CN", defaultCN)
	}
	if raw, err = subj.DER(); err != nil {
		return pkix.Name{}, nil, usageErrorf("--subject: %v", err)
	}
	return subj.PKIX(), raw, nil
}

// weakKeyFlag registers --allow-weak-key, and --insecure as its deprecated old name: on
// handshake --insecure means "skip verification", and one flag name must not mean two things.
func weakKeyFlag(fs *pflag.FlagSet, allow *bool, usage string) {
	fs.BoolVar(allow, "allow-weak-key", false, usage)
	fs.BoolVar(allow, "insecure", false, usage)
	fs.MarkDeprecated("insecure", "use --allow-weak-key (--insecure skips verification on handshake)")
}

// keyOptions choose a new key's type or an existing key, and how keys are protected on disk.
type keyOptions struct {
	keyType      string
	flags        *pflag.FlagSet // where they were registered: was --key-type given or defaulted
	keyFile      string
	passwordFile string
	allowWeak    bool
}

func (o *keyOptions) register(fs *pflag.FlagSet, reuse bool) {
	o.flags = fs
	names := make([]string, len(certgen.KeyTypes))
	for i, t := range certgen.KeyTypes {
		names[i] = string(t)
	}
	fs.StringVar(&o.keyType, "key-type", string(certgen.KeyECDSAP256), "key type for a new key: "+strings.Join(names, ", "))
	if reuse {
		fs.StringVar(&o.keyFile, "key", "", "use this existing private key instead of generating one (PEM or DER; encrypted keys need --key-password-file)")
	}
	fs.StringVar(&o.passwordFile, "key-password-file", "", "encrypt the new key with the password in this file (PKCS#8, PBES2/AES-256-CBC, PBKDF2-SHA256 600000 rounds); also decrypts --key")
	weakKeyFlag(fs, &o.allowWeak, "allow an RSA key below 2048 bits")
}

// key returns the private key to use, and whether it is new (and so must be written).
func (o *keyOptions) key(a *app) (crypto.Signer, bool, error) {
	if o.keyFile != "" {
		if o.flags != nil && o.flags.Changed("key-type") {
			return nil, false, usageErrorf("--key uses an existing key and --key-type is for a new one: give one of them")
		}
		password, err := o.password()
		if err != nil {
			return nil, false, err
		}
		key, err := readPrivateKey(o.keyFile, password)
		return key, false, err
	}
	kt, err := certgen.ParseKeyType(o.keyType)
	if err != nil {
		return nil, false, usageErrorf("--key-type: %v", err)
	}
	key, err := certgen.GenerateKey(a.random, kt)
	return key, true, err
}

func (o *keyOptions) password() ([]byte, error) {
	if o.passwordFile == "" {
		return nil, nil
	}
	return readPasswordFile(o.passwordFile, "--key-password-file")
}

// maxPasswordFile bounds a password file: a password is a line, not a document.
const maxPasswordFile = 4096

// readPasswordFile reads a password: the file's first line, without its line ending.
func readPasswordFile(path, flag string) ([]byte, error) {
	data, err := readInputFile(path, maxPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) == 0 {
		return nil, usageErrorf("%s: %s holds no password", flag, path)
	}
	return data, nil
}

// readInputFile reads a file a user named, refusing anything over limit bytes rather than
// reading an accidental multi-gigabyte file into memory.
func readInputFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	data, err := readAllLimited(f, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// readAllLimited reads r to its end, refusing anything over limit bytes. A regular file is read
// into one buffer of its size; anything else into chunks (doubling up to 1 MiB) joined once at
// the end, twice the input at the peak. io.ReadAll allocates 2-2.5x the input whatever r is,
// and its chunks, live at a collection during its final copy, set the GC's next goal: reading
// a 64 MiB file, the heap reached 308 MB before the next collection, more than the rest of
// inspect needs.
func readAllLimited(r io.Reader, limit int64) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	next := 512
	if f, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			// One byte over the size, to see the end without another chunk. The file may
			// have grown, or (stdin) be read from part way: the size is only a hint.
			next = int(min(st.Size(), limit)) + 1
		}
	}
	var chunks [][]byte
	total := 0
	for {
		chunk := make([]byte, next)
		n, err := io.ReadFull(lr, chunk)
		chunks = append(chunks, chunk[:n])
		total += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		next = max(min(2*next, 1<<20), 512)
	}
	if int64(total) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	data := make([]byte, 0, total)
	for _, c := range chunks {
		data = append(data, c...)
	}
	if total > 4<<20 {
		// The chunks are garbage now, but a collection during the copy found them live, and
		// the runtime lets the heap grow to twice what that collection found: 64 MiB piped
		// to inspect peaked at 275 MB RSS. Collecting them now bases the goal on the input
		// alone (pointer-free bytes: a millisecond or two). TestReadAllLimitedHeapGoal.
		runtime.GC()
	}
	return data, nil
}

// fileError shortens an *os.PathError to "path: reason".
func fileError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

const maxPEMFile = 1 << 20

func readPrivateKey(path string, password []byte) (crypto.Signer, error) {
	data, err := readInputFile(path, maxPEMFile)
	if err != nil {
		return nil, err
	}
	key, err := material.ParsePrivateKey(data, password)
	if err != nil {
		if errors.Is(err, material.ErrPasswordRequired) {
			return nil, withHint(fmt.Errorf("%s: %w", path, err), "give the password with --key-password-file FILE")
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// outputOptions say where certificate material goes.
type outputOptions struct {
	out              string
	keyOut           string
	force            bool
	p12              string
	p12PasswordFile  string
	defaultExtension string // ".pem", or ".csr" for requests
}

func (o *outputOptions) register(fs *pflag.FlagSet, withKey, withP12 bool) {
	fs.StringVar(&o.out, "out", "", `write the certificate here (default "<first host>`+o.defaultExtension+`"; "-" writes PEM to stdout and the summary to stderr)`)
	if withKey {
		fs.StringVar(&o.keyOut, "key-out", "", `write the private key here (default "<first host>-key.pem"; written 0600)`)
	}
	fs.BoolVar(&o.force, "force", false, "overwrite existing files")
	if withP12 {
		fs.StringVar(&o.p12, "p12", "", "also write the certificate, chain and key as PKCS#12 (OpenSSL 3, Java, Windows)")
		fs.StringVar(&o.p12PasswordFile, "p12-password-file", "", "password for --p12 (required with it)")
	}
}

// paths resolves the output paths from the first host.
func (o *outputOptions) paths(firstHost string) (certPath, keyPath string) {
	base := certgen.DefaultBaseName(firstHost)
	certPath, keyPath = o.out, o.keyOut
	if certPath == "" {
		certPath = base + o.defaultExtension
	}
	if keyPath == "" {
		keyPath = base + "-key.pem"
	}
	return certPath, keyPath
}

func (o *outputOptions) validate() error {
	if o.keyOut == "-" {
		return usageErrorf("--key-out -: tlskit does not print private keys; give a file name")
	}
	if o.p12 != "" && o.p12PasswordFile == "" {
		return usageErrorf("--p12 needs --p12-password-file")
	}
	if o.p12 == "" && o.p12PasswordFile != "" {
		return usageErrorf("--p12-password-file is used only with --p12")
	}
	if o.p12 == "-" {
		return usageErrorf("--p12 -: write PKCS#12 to a file")
	}
	return nil
}

// days reads a --days flag, refusing 0 and negatives as usage errors.
func checkDaysFlag(days int) error {
	if days < 1 || days > 36500 {
		return usageErrorf("--days must be between 1 and 36500, not %d", days)
	}
	return nil
}

// reportSummary prints what a certificate command made, to stdout, or to stderr when stdout
// carries PEM.
func (a *app) reportSummary(s certgen.Summary, pemOnStdout bool) error {
	for _, w := range s.Warnings {
		a.warnf("%s", w)
	}
	out, p := a.streams.Out, a.outPalette()
	if pemOnStdout {
		if a.opts.Quiet {
			return nil
		}
		out, p = a.streams.Err, a.errPalette()
	}
	if a.opts.Output == formatJSON {
		if pemOnStdout {
			return writeJSONTo(out, s)
		}
		return a.writeJSON(s)
	}
	var fields []render.Field
	for _, f := range s.Files {
		fields = append(fields, render.Field{Key: strings.ReplaceAll(f.Kind, "_", " "), Value: f.Path})
	}
	if s.TrustAnchor != "" {
		fields = append(fields, render.Field{Key: "trust", Value: s.TrustAnchor})
	}
	fields = append(fields, render.Field{Key: "subject", Value: s.Subject})
	if s.Issuer != "" && s.Issuer != s.Subject {
		fields = append(fields, render.Field{Key: "issuer", Value: s.Issuer})
	} else if s.Issuer != "" {
		fields = append(fields, render.Field{Key: "issuer", Value: "self-signed"})
	}
	if len(s.SANs) > 0 {
		fields = append(fields, render.Field{Key: "sans", Value: strings.Join(s.SANs, ", ")})
	}
	fields = append(fields, render.Field{Key: "key", Value: s.KeyType})
	if s.NotAfter != nil {
		value := s.NotAfter.Format(time.RFC3339) + " (" + validityLeft(inspect.DaysLeft(*s.NotAfter, a.now())) + ")"
		fields = append(fields, render.Field{Key: "not after", Value: value})
	}
	for _, u := range s.CRLURLs {
		fields = append(fields, render.Field{Key: "crl", Value: u})
	}
	for _, u := range s.OCSPURLs {
		fields = append(fields, render.Field{Key: "ocsp", Value: u})
	}
	if s.SHA256 != "" {
		fields = append(fields, render.Field{Key: "sha256", Value: s.SHA256})
	}
	return render.WriteFields(out, fields, render.FieldStyle{Key: p.Dim})
}

// validityLeft says how long a certificate has left, the one way every command says it:
// "in 397 days", "in 1 day", "today", "expired 1 day ago", "expired 3 days ago". days is
// inspect.DaysLeft's (whole days, rounded down).
func validityLeft(days int) string {
	switch {
	case days > 1:
		return fmt.Sprintf("in %d days", days)
	case days == 1:
		return "in 1 day"
	case days == 0:
		return "today"
	case days == -1:
		return "expired 1 day ago"
	default:
		return fmt.Sprintf("expired %d days ago", -days)
	}
}

// relativeDays says "in 6 days" or "3 days ago" of a time that is not a certificate's end (a
// CRL's next update), for people.
func relativeDays(d time.Duration) string {
	days := int(d.Round(24*time.Hour) / (24 * time.Hour))
	switch {
	case days == 0 && d >= 0:
		return "today"
	case days == 0:
		return "earlier today"
	case days == 1:
		return "in 1 day"
	case days > 1:
		return fmt.Sprintf("in %d days", days)
	case days == -1:
		return "1 day ago"
	default:
		return fmt.Sprintf("%d days ago", -days)
	}
}
