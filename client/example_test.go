package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// A platform service (say, the models service) keeps its records in a
// workspace: it makes sure the workspace exists, registers each model it
// stores so the workspace cannot be deleted under it, lists workspaces
// with a filter, and treats a conflict as an answer, not a failure.
//
// It is configured as the platform configures its services: NMP_BASE_URL
// and the workload token (NMP_ACCESS_TOKEN, NEMO_WORKLOAD_TOKEN or
// NEMO_WORKLOAD_TOKEN_FILE, re-read as it expires), with the cluster's CA.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cfg := client.FromEnv()
	cfg.TLS = &client.TLSConfig{CAFile: "/etc/nemo/ca.pem"}
	c, err := client.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Create with exist-ok: safe to run at every start, on every replica.
	ws, created, err := c.EnsureWorkspace(ctx, "ml-team", client.WithDescription("Machine Learning Team workspace"))
	if err != nil {
		log.Fatal(err)
	}
	if created {
		fmt.Println("created workspace", ws.Name)
	}

	// Acquire a reference for the model about to be stored; retries are
	// idempotent.
	if _, created, err := c.AcquireRef(ctx, "ml-team", "models", "llama-3/8b"); err != nil {
		log.Fatal(err)
	} else if created {
		fmt.Println("reference registered")
	}

	// List with a filter, built in Go and sent in the text syntax:
	// (name~"ml" AND created_at>="...").
	since := time.Now().AddDate(0, -1, 0)
	where := client.Field("name").Contains("ml").And(client.Field("created_at").Gte(since))
	for w, err := range c.Workspaces(ctx, client.ListOptions{Where: where, Sort: "name"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(w.Name)
	}

	// Handle a conflict: a plain create of a taken name, and a delete
	// while references are held, are conflicts the service expects.
	switch _, err := c.CreateWorkspace(ctx, "ml-team"); {
	case errors.Is(err, client.ErrAlreadyExists):
		fmt.Println("ml-team exists already")
	case err != nil:
		log.Fatal(err)
	}
	switch _, err := c.DeleteWorkspace(ctx, "ml-team"); {
	case errors.Is(err, client.ErrNotEmpty):
		fmt.Println("ml-team is still in use")
	case errors.Is(err, client.ErrConflict):
		fmt.Println("ml-team cannot be deleted:", err)
	case err != nil:
		log.Fatal(err)
	}

	// The model is deleted: release its reference.
	if err := c.ReleaseRef(ctx, "ml-team", "models", "llama-3/8b"); err != nil && !errors.Is(err, client.ErrNotFound) {
		log.Fatal(err)
	}
}

// Filters are built from fields and rendered in the text syntax of the
// wire contract, with every value quoted and escaped.
func ExampleField() {
	where := client.Or(
		client.Field("name").Eq(`team "a"`),
		client.Field("name").In("ml-team", "ml-ops").And(client.Not(client.Field("description").IsNull())),
	)
	fmt.Println(where)
	// Output: (name:"team \"a\"" OR (name IN ["ml-team","ml-ops"] AND -(description:null)))
}

// Errors are classified with errors.Is; validation details come from the
// *StatusError.
func ExampleStatusError() {
	c, err := client.New(client.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.CreateWorkspace(context.Background(), "Bad Name")
	var se *client.StatusError
	switch {
	case errors.Is(err, client.ErrInvalid) && errors.As(err, &se):
		for _, issue := range se.Issues {
			fmt.Println(client.FormatIssue(issue))
		}
	case errors.Is(err, client.ErrUnavailable):
		fmt.Println("service unavailable, try later")
	}
}
