// Package tmpfs mounts small tmpfs file systems for tests that need a disk
// that fills up.
package tmpfs

import (
	"os/exec"
	"strings"
	"testing"
)

// Mount mounts a tmpfs of the given size (as mount(8) takes it: "4m") on a
// new directory, unmounts it when the test ends, and returns the directory.
// It skips the test, saying why, where mounting is not allowed (not root,
// no mount(8), a container without the capability).
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("skipped: this test needs a small tmpfs and mounting one is not allowed here (mount -t tmpfs: %v: %s)",
			err, strings.TrimSpace(string(out)))
	}
	// Registered after TempDir's own cleanup, so it runs before it: the
	// directory is unmounted before it is removed.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, strings.TrimSpace(string(out)))
		}
	})
	return dir
}
