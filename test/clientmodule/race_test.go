//go:build race

package clientmodule_test

const raceEnabled = true
