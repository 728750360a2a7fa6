//go:build !unix

package diskstore

import (
	"errors"
	"os"
)

// lockDir refuses to run where flock is missing: without the lock, two
// processes could interleave writes and corrupt the log.
func lockDir(string) (*os.File, error) {
	return nil, errors.New("diskstore: directory locking is not supported on this platform")
}

func syncDir(string) error { return nil }
