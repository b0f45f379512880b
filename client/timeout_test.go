package client

import (
	"context"
	"testing"
	"time"
)

func TestHeaderTimeout(t *testing.T) {
	now := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(3*time.Second))
	defer cancel()
	for _, tc := range []struct {
		ctx    context.Context
		client time.Duration
		want   string
		ok     bool
	}{
		{context.Background(), 0, "", false},
		{context.Background(), 2 * time.Second, "1800ms", true},
		{ctx, 0, "2700ms", true},
		{ctx, time.Second, "900ms", true},
		{ctx, 20 * time.Second, "2700ms", true},
	} {
		got, ok := headerTimeout(tc.ctx, tc.client, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("headerTimeout(client %v) = %q %v, want %q %v", tc.client, got, ok, tc.want, tc.ok)
		}
	}
	// A deadline already past still sends the shortest timeout.
	past, cancelPast := context.WithDeadline(context.Background(), now.Add(-time.Second))
	defer cancelPast()
	if got, ok := headerTimeout(past, 0, now); got != "1ms" || !ok {
		t.Errorf("past deadline: %q %v", got, ok)
	}
}
