package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/wsd-dev/wsd/client"
)

// A platform service creates its workspace if needed, registers the model
// it stores, and releases the reference when the model is deleted.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	cfg := client.DefaultConfig()
	cfg.Endpoints = []string{"http://wsd-0.wsd:8080", "http://wsd-1.wsd:8080", "http://wsd-2.wsd:8080"}
	c, err := client.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ws, err := c.CreateWorkspace(ctx, "ml-team", client.WithDescription("Machine Learning Team workspace"), client.ExistOK())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("workspace", ws.Name, ws.ID)

	if _, created, err := c.AcquireRef(ctx, "ml-team", "models", "llama-3/8b"); err != nil {
		log.Fatal(err)
	} else if created {
		fmt.Println("reference registered")
	}

	for w, err := range c.Workspaces(ctx, client.ListOptions{Filter: map[string]string{"name[$like]": "ml-%"}}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(w.Name)
	}

	if err := c.ReleaseRef(ctx, "ml-team", "models", "llama-3/8b"); err != nil && !errors.Is(err, client.ErrNotFound) {
		log.Fatal(err)
	}
	switch _, err := c.DeleteWorkspace(ctx, "ml-team"); {
	case errors.Is(err, client.ErrNotEmpty):
		fmt.Println("still in use")
	case err != nil:
		log.Fatal(err)
	}
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
