package cmd

import (
	"github.com/tlskit/tlskit/tlscore"
)

// resolveTargets turns a networked command's arguments into targets, in input order. "-" reads
// more targets from stdin, one a line (blank lines and '#' comments skipped), where it stands.
// Any target that does not parse is a usage error naming it (and its stdin line).
func (a *app) resolveTargets(args []string, defaultPort int) ([]tlscore.Target, error) {
	var targets []tlscore.Target
	readStdin := false
	for _, arg := range args {
		if arg == "-" {
			if readStdin {
				return nil, usageErrorf("'-' (read targets from stdin) given more than once")
			}
			readStdin = true
			listed, err := tlscore.ParseTargetList(a.streams.In, "stdin", defaultPort)
			if err != nil {
				return nil, err
			}
			targets = append(targets, listed...)
			continue
		}
		t, err := tlscore.ParseTarget(arg, defaultPort)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		if readStdin {
			return nil, usageErrorf("no targets on stdin")
		}
		return nil, usageErrorf("no target given")
	}
	return targets, nil
}
