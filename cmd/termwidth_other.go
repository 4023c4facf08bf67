//go:build !unix

package cmd

import "os"

// terminalWidth is 0 here: long lines are not wrapped.
func terminalWidth(*os.File) int { return 0 }
