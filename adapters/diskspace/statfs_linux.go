package diskspace

import "syscall"

// freeBytes returns the bytes of dir's file system that unprivileged
// writers may still use (root may have a few percent more on ext4, which
// the store should not count on).
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
