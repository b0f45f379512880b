// Package testserver runs real wsd processes for tests: it builds the wsd
// and nmp binaries once per test process, starts a single node on free
// loopback ports with its own data directory, waits until it is ready, and
// stops it when the test ends. A test can kill, pause, resume and restart
// the node to exercise failure handling from the outside.
//
// Every started node is stopped by t.Cleanup. Its stdout and stderr go to
// wsd.log in the data directory; when the test fails, the tail of that log
// is written with t.Log.
//
// Test binaries only may import it. Binaries are built into one temporary
// directory per test process; call RemoveBinaries when the process is
// done, e.g. from goleak.Cleanup in TestMain.
package testserver
