package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wsd-dev/wsd/client"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzResponseDecoding feeds arbitrary answers (status, error code,
// Retry-After, X-Wsd-Index, body) to the client: a 2xx decodes into the
// result or is an error that is not a StatusError; anything else is a
// *StatusError with the answer's status and a Retry-After that is never
// negative; the index the client tracks only moves forward; nothing
// panics.
func FuzzResponseDecoding(f *testing.F) {
	f.Add(200, "", "", "7", []byte(`{"id":"x","name":"ws","description":null,"created_at":"2026-01-01T00:00:00Z","created_by":"","updated_at":"2026-01-01T00:00:00Z","updated_by":""}`))
	f.Add(404, "not_found", "", "3", []byte(`{"detail":"Workspace 'ws' not found"}`))
	f.Add(422, "invalid", "", "", []byte(`{"detail":[{"loc":["body","name"],"msg":"bad","type":"x","input":1}]}`))
	f.Add(503, "no_leader", "99999999999999999", "18446744073709551615", []byte(`{"detail":"x"}`))
	f.Add(503, "unavailable", "Wed, 21 Oct 2099 07:28:00 GMT", "-1", []byte(`<html>proxy</html>`))
	f.Add(200, "", "", "abc", []byte(`{"created_at":"not a time"}`))
	f.Add(200, "", "", "", []byte(``))
	f.Add(302, "", "", "", []byte(`moved`))
	f.Add(409, "bogus_code", "-5", "1", []byte(`{"detail":{"nested":true}}`))
	f.Fuzz(func(t *testing.T, code int, errCode, retryAfter, index string, body []byte) {
		if code < 100 || code > 999 {
			code = 200
		}
		rt := roundTrip(func(r *http.Request) (*http.Response, error) {
			h := http.Header{}
			for k, v := range map[string]string{client.HeaderErrorCode: errCode, "Retry-After": retryAfter, client.HeaderIndex: index} {
				if v != "" {
					h[k] = []string{v}
				}
			}
			return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})
		cfg := client.DefaultConfig()
		cfg.Endpoints = []string{"http://wsd.test"}
		cfg.MaxRetries = -1
		cfg.HTTPClient = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		cl, err := client.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		before := cl.LastIndex()
		ws, err := cl.GetWorkspace(ctx, "ws")
		var se *client.StatusError
		switch {
		case code/100 == 2 && err == nil:
			if len(bytes.TrimSpace(body)) > 0 {
				var want client.Workspace
				if json.Unmarshal(body, &want) != nil || want.Name != ws.Name || want.ID != ws.ID {
					t.Fatalf("%q decoded as %+v", body, ws)
				}
			}
		case code/100 == 2:
			if errors.As(err, &se) {
				t.Fatalf("2xx answer gave a StatusError: %v", err)
			}
		default:
			if !errors.As(err, &se) || se.StatusCode != code {
				t.Fatalf("%d answer: %v", code, err)
			}
			if se.RetryAfter < 0 {
				t.Fatalf("Retry-After %q: %s", retryAfter, se.RetryAfter)
			}
			_ = se.Error()
		}
		after := cl.LastIndex()
		if after < before {
			t.Fatalf("index went back from %d to %d", before, after)
		}
		if n, err := strconv.ParseUint(index, 10, 64); err == nil && after < n && code/100 == 2 {
			t.Fatalf("index %q not observed: %d", index, after)
		}
	})
}
