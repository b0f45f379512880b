//go:build unix

package main

import "syscall"

// nofile is the process's descriptor limit (soft), 0 when unknown.
func nofile() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return uint64(rl.Cur)
}
