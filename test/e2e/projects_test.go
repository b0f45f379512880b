package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// projRound is one round of TestProjects_deleteRacesReferences: a project,
// the references acquired naming it and the delete racing them.
type projRound struct {
	project string
	// acked are the references whose acquire was acknowledged (200/201).
	acked []string
	// deleted is the delete's answer: 200 deleted, 409 refused while
	// references named the project, anything else unknown.
	deleted int
}

// projectsRefs is what a node holds of the test's workspace, read locally.
type projectsRefs struct {
	projects map[string]bool
	refs     map[string]string // entity name -> project ("" for none)
	usage    map[string]int
}

// allPages reads every page of the list at url (which has a query) into
// a new []T.
func allPages[T any](c *testCluster, url string) ([]T, error) {
	var out []T
	for page := 1; ; page++ {
		var p struct {
			Data       []T `json:"data"`
			Pagination struct {
				TotalPages int `json:"total_pages"`
			} `json:"pagination"`
		}
		if err := c.getJSON(fmt.Sprintf("%s&page_size=1000&page=%d", url, page), &p); err != nil {
			return out, err
		}
		out = append(out, p.Data...)
		if page >= p.Pagination.TotalPages {
			return out, nil
		}
	}
}

// readProjectsRefs reads the workspace's projects, references and usage
// from node n alone (consistency=stale).
func readProjectsRefs(c *testCluster, n *node, ws string) (projectsRefs, error) {
	out := projectsRefs{projects: map[string]bool{}, refs: map[string]string{}}
	wsURL := n.url() + base + "/workspaces/" + ws
	projects, err := allPages[struct {
		Name string `json:"name"`
	}](c, wsURL+"/projects?consistency=stale")
	if err != nil {
		return out, err
	}
	for _, p := range projects {
		out.projects[p.Name] = true
	}
	refs, err := allPages[struct {
		EntityName string `json:"entity_name"`
		Project    string `json:"project"`
	}](c, wsURL+"/entity-refs?consistency=stale")
	if err != nil {
		return out, err
	}
	for _, r := range refs {
		out.refs[r.EntityName] = r.Project
	}
	var u struct {
		ByType map[string]int `json:"by_type"`
	}
	err = c.getJSON(wsURL+"/usage?consistency=stale", &u)
	out.usage = u.ByType
	return out, err
}

// TestProjects_deleteRacesReferences races the delete of a project, sent
// to one node, against acquires of references naming it, sent through the
// followers. The delete and every acquire are decided in one total order,
// so a reference never names a deleted project: when the delete succeeds
// no acquire of that round was acknowledged, and every acknowledged
// reference survives on every node with its project.
func TestProjects_deleteRacesReferences(t *testing.T) {
	c := newCluster(t, clusterOpts{size: 3})
	leader := c.leader()
	followers := c.followers(leader)
	const (
		ws          = "race"
		rounds      = 40
		perFollower = 3
	)
	mustCreate(t, c, leader, ws)

	results := make([]projRound, rounds)
	deleteWon := 0
	for i := range results {
		rd := &results[i]
		rd.project = fmt.Sprintf("p-%d", i)
		r, err := c.do(http.MethodPost, c.nodes[i%len(c.nodes)].url()+base+"/workspaces/"+ws+"/projects", map[string]any{"name": rd.project})
		if err != nil || r.code != http.StatusCreated {
			t.Fatalf("round %d: create %s: %v %v", i, rd.project, r, err)
		}
		// The delete goes through the leader or a follower in turn; the
		// acquires through both followers. Random delays, and a head start
		// for the delete in odd rounds, let either side win some rounds.
		deleteVia := []*node{leader, followers[0], followers[1]}[i%3]
		headStart := time.Duration(i%2) * 3 * time.Millisecond
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			start = make(chan struct{})
		)
		for f, fn := range followers {
			for j := range perFollower {
				name := fmt.Sprintf("m-%d-%d-%d", i, f, j)
				wg.Go(func() {
					<-start
					time.Sleep(headStart + time.Duration(rand.IntN(4000))*time.Microsecond)
					r, err := c.do(http.MethodPut, fn.url()+base+"/workspaces/"+ws+"/entity-refs/models/"+name+"?project="+rd.project, nil)
					switch {
					case err != nil:
						t.Logf("round %d: acquire %s: %v (outcome unknown)", i, name, err)
					case r.code == http.StatusCreated || r.code == http.StatusOK:
						mu.Lock()
						rd.acked = append(rd.acked, name)
						mu.Unlock()
					case r.code == http.StatusNotFound && strings.Contains(string(r.body), "Project '"+rd.project+"' not found"):
					case r.code == http.StatusServiceUnavailable:
						t.Logf("round %d: acquire %s: %v (not acknowledged)", i, name, r)
					default:
						t.Errorf("round %d: acquire %s via %s: %v, want 201, or 404 once the project is gone", i, name, fn.id, r)
					}
				})
			}
		}
		wg.Go(func() {
			<-start
			time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
			r, err := c.do(http.MethodDelete, deleteVia.url()+base+"/workspaces/"+ws+"/projects/"+rd.project, nil)
			switch {
			case err != nil:
				t.Logf("round %d: delete %s: %v (outcome unknown)", i, rd.project, err)
			case r.code == http.StatusOK, r.code == http.StatusConflict && strings.Contains(string(r.body), "cannot be deleted"):
				rd.deleted = r.code
			case r.code == http.StatusServiceUnavailable:
				t.Logf("round %d: delete %s: %v", i, rd.project, r)
			default:
				t.Errorf("round %d: delete %s via %s: %v, want 200 or 409", i, rd.project, deleteVia.id, r)
			}
		})
		close(start)
		wg.Wait()
		if rd.deleted == http.StatusOK {
			deleteWon++
			if len(rd.acked) > 0 {
				t.Errorf("round %d: %s was deleted, yet acquires naming it were acknowledged: %v", i, rd.project, rd.acked)
			}
		}
	}
	t.Logf("%d rounds: the delete won %d, references won %d", rounds, deleteWon, rounds-deleteWon)

	c.sameDigest(20 * time.Second)
	for _, n := range c.nodes {
		st, err := readProjectsRefs(c, n, ws)
		if err != nil {
			t.Fatalf("%s: %v", n.id, err)
		}
		naming := map[string]int{}
		for ref, project := range st.refs {
			naming[project]++
			if !st.projects[project] {
				t.Errorf("%s: reference %s names project %q, which does not exist", n.id, ref, project)
			}
		}
		for _, rd := range results {
			for _, ref := range rd.acked {
				if got, ok := st.refs[ref]; !ok || got != rd.project {
					t.Errorf("%s: acknowledged reference %s: project %q (held %v), want %q", n.id, ref, got, ok, rd.project)
				}
			}
			switch rd.deleted {
			case http.StatusOK:
				if st.projects[rd.project] {
					t.Errorf("%s: %s was deleted but is listed", n.id, rd.project)
				}
			case http.StatusConflict:
				if !st.projects[rd.project] || naming[rd.project] == 0 {
					t.Errorf("%s: the delete of %s was refused, yet it exists %v with %d references naming it",
						n.id, rd.project, st.projects[rd.project], naming[rd.project])
				}
			}
		}
		if st.usage["projects"] != len(st.projects) || st.usage["models"] != len(st.refs) {
			b, _ := json.Marshal(st.usage)
			t.Errorf("%s: usage %s, want projects %d and models %d", n.id, b, len(st.projects), len(st.refs))
		}
	}
}
