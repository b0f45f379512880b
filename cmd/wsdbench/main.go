package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wsdbench:", err)
		os.Exit(1)
	}
}

type opts struct {
	urls     []string
	conc     int
	n        int
	dur      time.Duration
	prefix   string
	readName string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: wsdbench create|get|fill [flags]")
	}
	mode := args[0]
	fs := flag.NewFlagSet("wsdbench "+mode, flag.ContinueOnError)
	urls := fs.String("url", "http://127.0.0.1:8080", "comma-separated base URLs")
	o := opts{}
	fs.IntVar(&o.conc, "c", 64, "concurrent clients")
	fs.IntVar(&o.n, "n", 10000, "operations (create, fill)")
	fs.DurationVar(&o.dur, "d", 10*time.Second, "duration (get)")
	fs.StringVar(&o.prefix, "prefix", "", "name prefix (default: random per run)")
	fs.StringVar(&o.readName, "name", "default", "workspace to read (get)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	o.urls = strings.Split(*urls, ",")
	if o.prefix == "" {
		o.prefix = "b" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	}
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	switch mode {
	case "create", "fill":
		res := load(ctx, o, o.n, 0, func(i int) (*http.Request, int) {
			body := fmt.Sprintf(`{"name":"%s-%d"}`, o.prefix, i)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.urls[i%len(o.urls)]+"/apis/entities/v2/workspaces", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req, http.StatusCreated
		}, hc)
		res.print(out, mode, o)
		if mode == "fill" {
			return printRSS(ctx, hc, o.urls[0], out)
		}
	case "get":
		res := load(ctx, o, 0, o.dur, func(i int) (*http.Request, int) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.urls[i%len(o.urls)]+"/apis/entities/v2/workspaces/"+o.readName, nil)
			return req, http.StatusOK
		}, hc)
		res.print(out, mode, o)
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	return nil
}

type result struct {
	ok, failed int64
	elapsed    time.Duration
	lat        []time.Duration
	firstErr   string
}

// load runs conc workers issuing requests until n have been sent (n > 0)
// or d has passed.
func load(ctx context.Context, o opts, n int, d time.Duration, mk func(i int) (*http.Request, int), hc *http.Client) *result {
	var next atomic.Int64
	res := &result{}
	var mu sync.Mutex
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			var ok, failed int64
			var firstErr string
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if n > 0 && i >= n {
					break
				}
				if n == 0 && time.Now().After(deadline) {
					break
				}
				req, want := mk(i)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				local = append(local, time.Since(t0))
				if err != nil || resp.StatusCode != want {
					failed++
					if firstErr == "" {
						if err != nil {
							firstErr = err.Error()
						} else {
							firstErr = resp.Status
						}
					}
					continue
				}
				ok++
			}
			mu.Lock()
			res.ok += ok
			res.failed += failed
			res.lat = append(res.lat, local...)
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res
}

func (r *result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

func (r *result) print(w io.Writer, mode string, o opts) {
	fmt.Fprintf(w, "%s: concurrency=%d ok=%d failed=%d elapsed=%.2fs rate=%.0f/s p50=%v p99=%v max=%v\n",
		mode, o.conc, r.ok, r.failed, r.elapsed.Seconds(), float64(r.ok)/r.elapsed.Seconds(),
		r.pct(0.50).Round(time.Microsecond), r.pct(0.99).Round(time.Microsecond), r.pct(1).Round(time.Microsecond))
	if r.firstErr != "" {
		fmt.Fprintf(w, "first error: %s\n", r.firstErr)
	}
}

// printRSS reports the server's process_resident_memory_bytes.
func printRSS(ctx context.Context, hc *http.Client, base string, w io.Writer) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "process_resident_memory_bytes ") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			fmt.Fprintf(w, "server resident memory: %.1f MiB\n", v/(1<<20))
		}
		if strings.HasPrefix(line, "go_memstats_heap_inuse_bytes ") {
			v, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			fmt.Fprintf(w, "server heap in use: %.1f MiB\n", v/(1<<20))
		}
	}
	return nil
}
