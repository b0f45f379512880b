package cluster

import "strings"

// raft v1.8.0 reports two refusals only as formatted strings, not as
// sentinel errors, so they are recognised by their text here, in one
// place; TestRaftErrorTexts checks that the raft module in go.mod still
// contains them.
const (
	// raft.go restoreUserSnapshot and snapshot.go takeSnapshot: "cannot
	// restore snapshot now, wait until the configuration entry at %v has
	// been applied (have applied %v)".
	raftConfigPendingText = "wait until the configuration entry at"
	// raft.go leadershipTransfer: "leadership transfer timeout".
	raftTransferTimeoutText = "leadership transfer timeout"
)

func isConfigChangePending(err error) bool {
	return strings.Contains(err.Error(), raftConfigPendingText)
}

func isTransferTimeout(err error) bool {
	return strings.Contains(err.Error(), raftTransferTimeoutText)
}
