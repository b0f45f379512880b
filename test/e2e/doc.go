// Package e2e holds black-box tests of wsd: real wsd processes on loopback
// ports with their own data directories, driven through the HTTP API and
// the Go client, with kill -9, SIGSTOP/SIGCONT, restart and wipe helpers.
//
// The harness lives in harness_test.go; each scenario file names what it
// proves. Long fault runs are behind the e2elong build tag (make e2e-long).
package e2e
