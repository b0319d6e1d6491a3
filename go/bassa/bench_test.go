package bassa

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

const benchPage = `[` + `{"id": 7, "link": "https://www.example.org/report.pdf", "user_name": "alice", "download_name": "report.pdf", "added_time": 0, "status": 3, "rating": 0, "gid": "0123456789abcdef", "completed_time": 1, "size": 2048, "path": "report.pdf"}`

func benchServer(b *testing.B) *httptest.Server {
	rows := strings.TrimSuffix(strings.Repeat(benchPage[1:]+",", 15), ",")
	body := "[" + rows + "]"
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	b.Cleanup(s.Close)
	return s
}

// BenchmarkRawList is the baseline: net/http and JSON decoding of a page of downloads.
func BenchmarkRawList(b *testing.B) {
	s := benchServer(b)
	hc := &http.Client{}
	for b.Loop() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.URL+"/api/user/downloads/1", nil)
		req.Header.Set("token", "t")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var rows []bassaapi.Download
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// BenchmarkClientList is the same call through the client.
func BenchmarkClientList(b *testing.B) {
	s := benchServer(b)
	c, _ := NewClient(s.URL, WithToken("t"), WithLogger(discardLogger()))
	for b.Loop() {
		if _, err := c.Downloads.List(context.Background(), 1); err != nil {
			b.Fatal(err)
		}
	}
}
