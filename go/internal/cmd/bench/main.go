// Command bench measures the Go client against a running Bassa server, each figure as a ratio
// or a bound measured in the same run. benchmarks/go.py starts the server and runs it:
//
//  1. per-call p50 of GET /api/user/downloads/1: raw net/http (request, token header, JSON
//     decoding) against bassa's Downloads.List (goal <= 1.10x);
//  2. the limiter at 50 req/s, burst 5, from 16 goroutines for 10 s (goal: within +-2 %,
//     no 1 s window above rate + burst);
//  3. streaming a file (1 GiB) to io.Discard: peak heap growth (goal < 16 MiB).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/scorelab/bassa-sdk/go/bassa"
	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

func main() {
	url := flag.String("url", "", "the server's URL")
	token := flag.String("token", "", "a session token")
	calls := flag.Int("calls", 2000, "calls per way for the overhead figure")
	limiterSeconds := flag.Float64("limiter-seconds", 10, "how long the limiter runs (0 skips)")
	streamID := flag.Int("stream-id", 0, "a completed download to stream (0 skips)")
	flag.Parse()
	if *url == "" || *token == "" {
		log.Fatal("usage: bench -url URL -token TOKEN [-calls N] [-limiter-seconds S] [-stream-id ID]")
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	overhead(*url, *token, *calls, quiet)
	if *limiterSeconds > 0 {
		limiter(*url, *token, time.Duration(*limiterSeconds*float64(time.Second)), quiet)
	}
	if *streamID > 0 {
		stream(*url, *token, *streamID, quiet)
	}
}

func median(values []time.Duration) time.Duration {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

func overhead(url, token string, calls int, logger *slog.Logger) {
	ctx := context.Background()
	httpClient := &http.Client{}
	// the page's address from the spec's request builder, made once: the baseline's calls
	// then cost only what any raw net/http call costs
	template, err := bassaapi.NewListOwnDownloadsRequest(url, 1, nil)
	if err != nil {
		log.Fatal(err)
	}
	page := template.URL.String()
	raw := func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
		req.Header.Set("token", token)
		resp, err := httpClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		var rows []bassaapi.Download
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
			log.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	client, err := bassa.NewClient(url, bassa.WithToken(token), bassa.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	facade := func() {
		if _, err := client.Downloads.List(ctx, 1); err != nil {
			log.Fatal(err)
		}
	}
	ways := []struct {
		name string
		fn   func()
	}{{"net/http", raw}, {"bassa", facade}}
	samples := map[string][]time.Duration{}
	for _, way := range ways {
		for range 50 {
			way.fn()
		}
	}
	// one call of each way in turn, so load changes on a shared machine hit both alike
	for range calls {
		for _, way := range ways {
			start := time.Now()
			way.fn()
			samples[way.name] = append(samples[way.name], time.Since(start))
		}
	}
	base := median(samples["net/http"])
	fmt.Println("1. per-call p50, GET /api/user/downloads/1")
	for _, way := range ways {
		p50 := median(samples[way.name])
		fmt.Printf("   %-9s %8.0f us   %.3fx raw net/http\n", way.name, float64(p50.Microseconds()), float64(p50)/float64(base))
	}
}

// stamping records when each request leaves.
type stamping struct {
	mu   sync.Mutex
	sent []time.Time
}

func (s *stamping) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.sent = append(s.sent, time.Now())
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func limiter(url, token string, duration time.Duration, logger *slog.Logger) {
	const rate, burst, goroutines = 50.0, 5, 16
	stamps := &stamping{}
	client, err := bassa.NewClient(url, bassa.WithToken(token), bassa.WithLogger(logger),
		bassa.WithRateLimit(rate, burst), bassa.WithHTTPClient(&http.Client{Transport: stamps}))
	if err != nil {
		log.Fatal(err)
	}
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if _, err := client.Downloads.List(context.Background(), 1); err != nil {
					log.Fatal(err)
				}
			}
		})
	}
	wg.Wait()
	sent := stamps.sent
	sort.Slice(sent, func(i, j int) bool { return sent[i].Before(sent[j]) })
	span := sent[len(sent)-1].Sub(sent[0]).Seconds()
	achieved := float64(len(sent)-burst) / span
	worst, start := 0, 0
	for end, moment := range sent {
		for moment.Sub(sent[start]) >= time.Second {
			start++
		}
		worst = max(worst, end-start+1)
	}
	fmt.Printf("2. limiter %.0f req/s, burst %d, %d goroutines, %s\n", rate, burst, goroutines, duration)
	fmt.Printf("   %d requests, steady rate %.2f req/s (%+.2f %%)\n", len(sent), achieved, (achieved/rate-1)*100)
	fmt.Printf("   busiest 1 s window: %d requests (bound: rate + burst = %.0f)\n", worst, rate+burst)
}

func heapInUse() uint64 {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.HeapInuse
}

func stream(url, token string, id int, logger *slog.Logger) {
	client, err := bassa.NewClient(url, bassa.WithToken(token), bassa.WithLogger(logger))
	if err != nil {
		log.Fatal(err)
	}
	runtime.GC()
	baseline := heapInUse()
	peak := baseline
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				peak = max(peak, heapInUse())
			}
		}
	}()
	start := time.Now()
	fetched, err := client.Files.Download(context.Background(), id, io.Discard)
	elapsed := time.Since(start)
	close(done)
	<-sampled
	if err != nil {
		log.Fatal(err)
	}
	peak = max(peak, heapInUse())
	mib := float64(fetched.Size) / (1 << 20)
	fmt.Printf("3. streaming a %.0f MiB file to io.Discard\n", mib)
	fmt.Printf("   %.0f MiB in %.1f s (%.0f MiB/s)\n", mib, elapsed.Seconds(), mib/elapsed.Seconds())
	fmt.Printf("   peak heap growth %.1f MiB (goal < 16 MiB)\n", float64(peak-baseline)/(1<<20))
}
