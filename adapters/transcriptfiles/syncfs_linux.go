package transcriptfiles

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// canSyncfs tells whether Sync tries syncfs before fsyncs.
const canSyncfs = true

// errNoSyncfs is what syncfs returns where the kernel lacks it.
var errNoSyncfs = errors.ErrUnsupported

// syncfs writes out every dirty page and inode of the file system holding
// d and waits for the journal, as sync(2) does for one file system.
func syncfs(d *os.File) error {
	sc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		for {
			serr = unix.Syncfs(int(fd))
			if serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr == unix.ENOSYS {
		return errNoSyncfs
	}
	return serr
}
