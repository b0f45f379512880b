package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gossipAlive reads wsd_gossip_members{state="alive"} from n's metrics.
func gossipAlive(c *testCluster, n *node) string {
	m := regexp.MustCompile(`(?m)^wsd_gossip_members\{state="alive"\} (\S+)$`).FindStringSubmatch(c.scrape(n))
	if m == nil {
		return "missing"
	}
	return m[1]
}

// A partition longer than memberlist's gossip-to-the-dead time (15s with
// --gossip-local) left both sides marking each other dead for good:
// memberlist probes only live members. The leader's autopilot then
// removed the healed, healthy follower once the dead-server timeout had
// passed (seen in a fault run: "removing dead server n3"). Now every node
// reconnects to failed members, and a server that answers the leader's
// stats calls is never reported dead.
func TestGossip_viewHealsAfterLongPartition(t *testing.T) {
	const deadServer = 25 * time.Second
	c := newCluster(t, clusterOpts{size: 3, netns: true, deadServerTimeout: deadServer})
	l := c.leader()
	victim := c.followers(l)[0]
	cut := time.Now()
	if err := c.net.isolate(c, victim); err != nil {
		t.Fatal(err)
	}
	// Longer than suspicion plus the 15s gossip-to-the-dead window, shorter
	// than the dead-server timeout: the victim must keep its seat.
	eventually(t, 30*time.Second, "the others see "+victim.id+" failed", func() error {
		if got := gossipAlive(c, l); got != "1" {
			return fmt.Errorf("leader %s sees %s alive members", l.id, got)
		}
		return nil
	})
	for time.Since(cut) < 20*time.Second {
		time.Sleep(100 * time.Millisecond) // holding the fault, not synchronising
	}
	if err := c.net.heal(); err != nil {
		t.Fatal(err)
	}
	c.waitReady(c.nodes...)
	eventually(t, 30*time.Second, "every gossip view whole again", func() error {
		var bad []string
		for _, n := range c.nodes {
			if got := gossipAlive(c, n); got != "2" {
				bad = append(bad, fmt.Sprintf("%s sees %s alive", n.id, got))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s", strings.Join(bad, ", "))
		}
		return nil
	})
	// Past the point where the stale view would have cost the victim its
	// seat (dead since about cut+4s, plus the dead-server timeout), it is
	// still a voter.
	until := cut.Add(4*time.Second + deadServer + 5*time.Second)
	for time.Now().Before(until) {
		ms, err := c.members(c.leader())
		if err != nil {
			t.Fatal(err)
		}
		if want := "[n1:voter n2:voter n3:voter]"; memberIDs(ms) != want {
			t.Fatalf("members %s %v after the cut, want %s", memberIDs(ms), time.Since(cut).Round(time.Second), want)
		}
		time.Sleep(500 * time.Millisecond) // polling the configuration over a window
	}
}
