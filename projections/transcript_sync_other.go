//go:build !linux

package projections

import (
	"errors"
	"os"
)

// canSyncfs tells whether fileSyncer tries syncfs before fsyncs: only
// Linux has it.
const canSyncfs = false

var errNoSyncfs = errors.ErrUnsupported

func syncfs(*os.File) error { return errNoSyncfs }
