//go:build !linux && !darwin

package cluster

// diskFree is not implemented on this platform: the check is skipped.
func diskFree(string) (uint64, bool) { return 0, false }
