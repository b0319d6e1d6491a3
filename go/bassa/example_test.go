package bassa_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scorelab/bassa-sdk/go/bassa"
)

// fakeServer answers like a Bassa server for the examples.
func fakeServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("token", "a-session-token")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"auth": "1"}`)
	})
	mux.HandleFunc("POST /api/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status": "success", "id": 7}`)
	})
	mux.HandleFunc("GET /api/user/downloads/{page}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.PathValue("page") != "1" {
			fmt.Fprint(w, `[]`)
			return
		}
		fmt.Fprint(w, `[{"id": 7, "link": "https://www.example.org/report.pdf", "user_name": "alice",
			"download_name": "report.pdf", "added_time": 0, "status": 3, "rating": 0,
			"gid": "0123456789abcdef", "completed_time": 1, "size": 2048, "path": "report.pdf"}]`)
	})
	mux.HandleFunc("GET /api/download/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="report.pdf"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(strings.Repeat("x", 2048)))
	})
	mux.HandleFunc("GET /api/download/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error": "no such download"}`)
	})
	return httptest.NewServer(mux)
}

func ExampleNewClient() {
	server := fakeServer()
	defer server.Close()
	ctx := context.Background()

	client, err := bassa.NewClient(server.URL,
		bassa.WithTimeout(10*time.Second), bassa.WithMaxAttempts(5), bassa.WithRateLimit(20, 5))
	if err != nil {
		panic(err)
	}
	if _, err := client.Session.Login(ctx, "alice", "secret"); err != nil {
		panic(err)
	}
	created, err := client.Downloads.Add(ctx, "https://www.example.org/report.pdf")
	if err != nil {
		panic(err)
	}
	fmt.Println("queued as download", *created.Id)
	// Output: queued as download 7
}

func ExampleAPIError() {
	server := fakeServer()
	defer server.Close()
	client, _ := bassa.NewClient(server.URL)

	_, err := client.Downloads.Status(context.Background(), 42)
	var apiErr *bassa.APIError
	if errors.Is(err, bassa.ErrNotFound) && errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Operation, apiErr.Message)
	}
	// Output: 404 get_download_status no such download
}

func ExampleDownloadsService_All() {
	server := fakeServer()
	defer server.Close()
	client, _ := bassa.NewClient(server.URL, bassa.WithToken("a-session-token"))

	// every download of the caller, page after page
	for download, err := range client.Downloads.All(context.Background()) {
		if err != nil {
			panic(err)
		}
		fmt.Println(download.Id, download.DownloadName, download.Status == bassa.StatusCompleted)
	}
	// Output: 7 report.pdf true
}

func ExampleFilesService_DownloadToFile() {
	server := fakeServer()
	defer server.Close()
	client, _ := bassa.NewClient(server.URL, bassa.WithToken("a-session-token"))
	dir, _ := os.MkdirTemp("", "bassa-example")
	defer os.RemoveAll(dir)

	// written as report.pdf.part, renamed when complete; a broken transfer resumes with Range
	fetched, err := client.Files.DownloadToFile(context.Background(), 7, filepath.Join(dir, "report.pdf"),
		bassa.WithProgress(func(written, total int64) {}))
	if err != nil {
		panic(err)
	}
	fmt.Println(fetched.Size, fetched.Filename)
	// Output: 2048 report.pdf
}

func ExampleClient_With() {
	server := fakeServer()
	defer server.Close()
	client, _ := bassa.NewClient(server.URL)

	// a client for one impatient call, sharing the session (and the rate limiter)
	impatient, err := client.With(bassa.WithTimeout(2*time.Second), bassa.WithMaxAttempts(1))
	if err != nil {
		panic(err)
	}
	fmt.Println(impatient.BaseURL() == client.BaseURL())
	// Output: true
}
