package bassa_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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
