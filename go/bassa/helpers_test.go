package bassa

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"
)

// handlerTransport serves requests with an http.Handler in memory (no network, so tests can
// run inside a testing/synctest bubble where waits take no real time). A step may instead
// return a network error.
type handlerTransport struct {
	mu       sync.Mutex
	steps    []step
	requests []*http.Request
}

// step is what the fake server does with one request.
type step struct {
	err     error            // fail with this network error instead of answering
	handler http.HandlerFunc // answer (default: 200 {"status": "success"})
}

func (t *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.requests = append(t.requests, req)
	var s step
	if len(t.steps) > 0 {
		s = t.steps[0]
		if len(t.steps) > 1 {
			t.steps = t.steps[1:]
		}
	}
	t.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	h := s.handler
	if h == nil {
		h = jsonReply(200, `{"status": "success"}`)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	if err := req.Context().Err(); err != nil { // as a real transport does
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

func (t *handlerTransport) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.requests)
}

func (t *handlerTransport) last() *http.Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests[len(t.requests)-1]
}

func jsonReply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// waitForCancel answers only when the request's context ends (a server that never answers).
func waitForCancel(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
	w.WriteHeader(599)
}

var (
	errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	errReset   = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
)

// fakeClient is a client over a handlerTransport, with quick waits and a silent log.
func fakeClient(t *testing.T, steps []step, opts ...Option) (*Client, *handlerTransport) {
	t.Helper()
	transport := &handlerTransport{steps: steps}
	all := append([]Option{
		WithHTTPClient(&http.Client{Transport: transport}),
		WithBackoff(10*time.Millisecond, 50*time.Millisecond),
		WithLogger(discardLogger()),
	}, opts...)
	c, err := NewClient("http://bassa.test", all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, transport
}

func mustKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v (%T) is not %v", err, err, kind)
	}
}

var background = context.Background()
