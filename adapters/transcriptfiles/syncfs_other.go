//go:build !linux

package transcriptfiles

import (
	"errors"
	"os"
)

// canSyncfs tells whether Sync tries syncfs before fsyncs: only
// Linux has it.
const canSyncfs = false

var errNoSyncfs = errors.ErrUnsupported

func syncfs(*os.File) error { return errNoSyncfs }
