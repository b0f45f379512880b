package httpapi

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// raft's transport listener and its accepted connections stop
		// asynchronously after Node.Close returns.
		goleak.IgnoreTopFunction("github.com/hashicorp/raft.(*NetworkTransport).listen"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		// A waiter on a raft future that raft abandoned at shutdown (see
		// cluster.Node.await): one per proposal in flight at Close.
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.(*Node).await.func1"),
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.awaitFor.func1"),
		goleak.IgnoreAnyFunction("github.com/wsd-dev/wsd/cluster.(*Node).propose.func1"),
	)
}
