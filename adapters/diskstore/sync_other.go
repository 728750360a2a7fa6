//go:build !linux

package diskstore

import "os"

// datasync falls back to a full fsync where package syscall has no
// fdatasync.
func datasync(f *os.File) error { return f.Sync() }
