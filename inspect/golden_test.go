package inspect

import (
	"flag"
	"testing"

	"github.com/tlskit/tlskit/tlscore/goldentest"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.json golden files from the current output")

// goldenJSON compares v, encoded as tlskit writes it, with testdata/NAME (goldentest.JSON).
func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	goldentest.JSON(t, *update, name, v)
}
