//go:build !unix

package testserver

import (
	"errors"
	"os"
)

var errNoJobControl = errors.New("pause and resume need a unix system")

func pause(*os.Process) error  { return errNoJobControl }
func resume(*os.Process) error { return errNoJobControl }
