package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

// fakeNode answers the admin API the way a node does.
func fakeNode(t *testing.T, snapshot []byte, restored *[]byte) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/cluster/members", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"members":[{"id":"n1","raft_addr":"10.0.0.1:8300","http_addr":"http://10.0.0.1:8080","suffrage":"voter","leader":true},`+
			`{"id":"n2","raft_addr":"10.0.0.2:8300","http_addr":"http://10.0.0.2:8080","suffrage":"nonvoter"}]}`)
	})
	mux.HandleFunc("GET /v1/cluster/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(snapshot)
	})
	mux.HandleFunc("POST /v1/cluster/restore", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := fsm.ReadSnapshot(bytes.NewReader(b)); err != nil {
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"detail":[{"loc":["body"],"msg":"Snapshot refused, the cluster is unchanged: checksum mismatch","type":"snapshot_invalid"}]}`)
			return
		}
		*restored = b
		io.WriteString(w, `{"message":"Cluster state restored from the snapshot","index":12,"digest":"abc"}`)
	})
	mux.HandleFunc("DELETE /v1/cluster/members/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "n2" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"detail":"Server '`+r.PathValue("id")+`' is not a member of the cluster"}`)
			return
		}
		io.WriteString(w, `{"message":"Server removed from the cluster","id":"n2"}`)
	})
	mux.HandleFunc("POST /v1/cluster/transfer-leadership", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"message":"Leadership transferred","id":"n1","leader":"n2"}`)
	})
	mux.HandleFunc("POST /v1/cluster/leave", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"message":"Server left the cluster and is stopping","id":"n1"}`)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
}

func runWsd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &out)
	return out.String(), err
}

func TestAdminCommands(t *testing.T) {
	var snap bytes.Buffer
	if err := fsm.New(fsm.Options{}).State().WriteSnapshot(&snap); err != nil {
		t.Fatal(err)
	}
	var restored []byte
	addr := fakeNode(t, snap.Bytes(), &restored)
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.snap")

	tests := []struct {
		name    string
		args    []string
		want    []string // substrings of the output
		wantErr string
	}{
		{"members", []string{"members", "--addr", addr}, []string{"n1", "voter", "true", "http://10.0.0.2:8080", "nonvoter"}, ""},
		{"save", []string{"snapshot", "save", file, "--addr=" + addr}, []string{"Saved snapshot at index 0 to " + file, "0 workspaces"}, ""},
		{"restore", []string{"snapshot", "restore", "--addr", addr, file}, []string{"Cluster state restored", "digest abc"}, ""},
		{"remove", []string{"remove-member", "n2", "--addr", addr}, []string{"n2: Server removed"}, ""},
		{"remove unknown", []string{"remove-member", "ghost", "--addr", addr}, nil, "404 Not Found: Server 'ghost' is not a member of the cluster"},
		{"transfer", []string{"transfer-leadership", "--addr", addr}, []string{"was n1, now n2"}, ""},
		{"leave", []string{"leave", "--addr", addr}, []string{"n1: Server left"}, ""},
		{"snapshot without verb", []string{"snapshot"}, nil, "usage: wsd snapshot save|restore"},
		{"missing file", []string{"snapshot", "save", "--addr", addr}, nil, "want 1 argument(s), got 0"},
		{"bad addr", []string{"members", "--addr", "10.0.0.1:8080"}, nil, "want a base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runWsd(t, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q (output %q)", err, tt.wantErr, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v (output %q)", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
		})
	}
	if !bytes.Equal(restored, snap.Bytes()) {
		t.Errorf("the node received %d bytes, want the %d saved", len(restored), snap.Len())
	}

	// A corrupt stream is never saved, and a corrupt file is refused.
	bad := bytes.Clone(snap.Bytes())
	bad[len(bad)-1] ^= 1
	badAddr := fakeNode(t, bad, &restored)
	badFile := filepath.Join(dir, "bad.snap")
	if _, err := runWsd(t, "snapshot", "save", badFile, "--addr", badAddr); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("saving a corrupt stream: err = %v, want it refused", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files after a refused save: %v, want only backup.snap", entries)
	}
	if err := os.WriteFile(badFile, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runWsd(t, "snapshot", "restore", badFile, "--addr", addr)
	if err == nil || !strings.Contains(err.Error(), "422 Unprocessable Entity: body: Snapshot refused, the cluster is unchanged: checksum mismatch") {
		t.Fatalf("restoring a corrupt file: err = %v", err)
	}
}

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	v := fs.Bool("v", false, "")
	pos, err := parseInterspersed(fs, []string{"a", "--addr", "http://x", "b", "-v", "--", "--c"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "--c"}; !reflect.DeepEqual(pos, want) || *addr != "http://x" || !*v {
		t.Fatalf("pos %q addr %q v %v, want %q http://x true", pos, *addr, *v, want)
	}
}
