package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsd-dev/wsd/auth"
)

// Admin subcommands: each calls the cluster admin API of a running node.
//
//	wsd members [--addr URL]
//	wsd leave [--addr URL]
//	wsd transfer-leadership [--addr URL]
//	wsd remove-member ID [--addr URL]
//	wsd snapshot save FILE [--addr URL]
//	wsd snapshot restore FILE [--addr URL]

// defaultAdminAddr is the node an admin command talks to by default.
const defaultAdminAddr = "http://127.0.0.1:8080"

// adminCommand is one admin subcommand; args follow its name.
type adminCommand struct {
	usage string // after "wsd "
	run   func(ctx context.Context, a *adminClient, args []string, stdout io.Writer) error
	// nargs is the number of positional arguments it takes.
	nargs int
	// timeout bounds the whole call; 0: none (snapshots may be large).
	timeout time.Duration
}

func adminCommands() map[string]adminCommand {
	return map[string]adminCommand{
		"members":             {usage: "members [flags]", run: membersCmd, timeout: 30 * time.Second},
		"leave":               {usage: "leave [flags]", run: leaveCmd, timeout: 60 * time.Second},
		"transfer-leadership": {usage: "transfer-leadership [flags]", run: transferCmd, timeout: 60 * time.Second},
		"remove-member":       {usage: "remove-member ID [flags]", run: removeMemberCmd, nargs: 1, timeout: 60 * time.Second},
		"snapshot save":       {usage: "snapshot save FILE [flags]", run: snapshotSaveCmd, nargs: 1},
		"snapshot restore":    {usage: "snapshot restore FILE [flags]", run: snapshotRestoreCmd, nargs: 1},
	}
}

// isAdminCommand reports whether args start with an admin subcommand.
func isAdminCommand(args []string) bool {
	return len(args) > 0 && (args[0] == "snapshot" || adminCommands()[args[0]].run != nil)
}

// runAdmin runs the admin subcommand args names.
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name, rest := args[0], args[1:]
	if name == "snapshot" {
		if len(rest) == 0 || (rest[0] != "save" && rest[0] != "restore") {
			return errors.New("usage: wsd snapshot save|restore FILE [--addr URL]")
		}
		name, rest = name+" "+rest[0], rest[1:]
	}
	cmd := adminCommands()[name]
	fs := flag.NewFlagSet("wsd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr(getenv, "WSD_ADDR", defaultAdminAddr), "base URL of the node to call (WSD_ADDR)")
	caFile := fs.String("ca-file", getenv("WSD_CA_FILE"), "CA bundle that verifies the node's HTTPS certificate (WSD_CA_FILE)")
	certFile := fs.String("cert-file", getenv("WSD_CERT_FILE"), "client certificate, when the node requires one (WSD_CERT_FILE)")
	keyFile := fs.String("key-file", getenv("WSD_KEY_FILE"), "client key (WSD_KEY_FILE)")
	token := fs.String("token", getenv("WSD_TOKEN"), "bearer token sent with the call (WSD_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: wsd %s\n\nFlags:\n", cmd.usage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) != cmd.nargs {
		fs.Usage()
		return fmt.Errorf("wsd %s: want %d argument(s), got %d", name, cmd.nargs, len(pos))
	}
	a, err := newAdminClient(*addr, *caFile, *certFile, *keyFile, *token)
	if err != nil {
		return err
	}
	defer a.http.CloseIdleConnections()
	if cmd.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cmd.timeout)
		defer cancel()
	}
	return cmd.run(ctx, a, pos, stdout)
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// parseInterspersed parses args with fs, allowing flags before, between and
// after positional arguments; it returns the positional ones in order.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, err
	}
	return append(fs.Args(), pos...), nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// adminClient calls one node's admin API.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

func newAdminClient(addr, caFile, certFile, keyFile, token string) (*adminClient, error) {
	u, err := url.Parse(strings.TrimSuffix(addr, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--addr %q: want a base URL such as %s", addr, defaultAdminAddr)
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: 10 * time.Second}
	if caFile != "" || certFile != "" || keyFile != "" {
		if (certFile == "") != (keyFile == "") {
			return nil, errors.New("--cert-file and --key-file go together")
		}
		tc, err := auth.ClientTLSConfig(caFile, certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS: %w", err)
		}
		tr.TLSClientConfig = tc
	}
	return &adminClient{base: u.String(), token: token, http: &http.Client{Transport: tr}}, nil
}

// call sends one request; body may be nil. A non-2xx answer is returned as
// an error carrying the service's detail.
func (a *adminClient) call(ctx context.Context, method, path string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	req.Header.Set("Accept", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, answerError(method, path, resp)
	}
	return resp, nil
}

// callJSON sends a request without a body and decodes the JSON answer.
func (a *adminClient) callJSON(ctx context.Context, method, path string, out any) error {
	resp, err := a.call(ctx, method, path, nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// answerError turns an error answer into an error: the detail string, or
// one "loc: msg" per validation issue.
func answerError(method, path string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &body) == nil && len(body.Detail) > 0 {
		var s string
		var issues []struct {
			Loc []string `json:"loc"`
			Msg string   `json:"msg"`
		}
		switch {
		case json.Unmarshal(body.Detail, &s) == nil:
			msg = s
		case json.Unmarshal(body.Detail, &issues) == nil:
			var parts []string
			for _, is := range issues {
				parts = append(parts, strings.Join(is.Loc, ".")+": "+is.Msg)
			}
			msg = strings.Join(parts, "; ")
		}
	}
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, msg)
}

// adminReply is the answer of leave, transfer-leadership and
// remove-member.
type adminReply struct {
	Message string `json:"message"`
	ID      string `json:"id"`
	Leader  string `json:"leader"`
}

type memberJSON struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPAddr string `json:"http_addr"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

func membersCmd(ctx context.Context, a *adminClient, _ []string, stdout io.Writer) error {
	var out struct {
		Members []memberJSON `json:"members"`
	}
	if err := a.callJSON(ctx, http.MethodGet, "/v1/cluster/members", &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUFFRAGE\tLEADER\tRAFT\tHTTP")
	for _, m := range out.Members {
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", m.ID, m.Suffrage, m.Leader, m.RaftAddr, m.HTTPAddr)
	}
	return tw.Flush()
}

func leaveCmd(ctx context.Context, a *adminClient, _ []string, stdout io.Writer) error {
	var out adminReply
	if err := a.callJSON(ctx, http.MethodPost, "/v1/cluster/leave", &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", out.ID, out.Message)
	return nil
}

func transferCmd(ctx context.Context, a *adminClient, _ []string, stdout io.Writer) error {
	var out adminReply
	if err := a.callJSON(ctx, http.MethodPost, "/v1/cluster/transfer-leadership", &out); err != nil {
		return err
	}
	if out.Leader != "" {
		fmt.Fprintf(stdout, "%s (was %s, now %s)\n", out.Message, out.ID, out.Leader)
	} else {
		fmt.Fprintf(stdout, "%s (was %s)\n", out.Message, out.ID)
	}
	return nil
}

func removeMemberCmd(ctx context.Context, a *adminClient, args []string, stdout io.Writer) error {
	var out adminReply
	if err := a.callJSON(ctx, http.MethodDelete, "/v1/cluster/members/"+url.PathEscape(args[0]), &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", out.ID, out.Message)
	return nil
}
