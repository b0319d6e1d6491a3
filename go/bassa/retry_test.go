package bassa

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRetryDecisions: each failure is retried exactly when the rules say, for safe and unsafe calls.
func TestRetryDecisions(t *testing.T) {
	unavailable := step{handler: jsonReply(503, `{"error": "busy"}`)}
	cases := []struct {
		name     string
		failure  step
		call     func(*Client) error
		attempts int
		kind     error
	}{
		{"GET 503 is retried", unavailable, listOwn, 3, ErrServer},
		{"GET 429 is retried", step{handler: jsonReply(429, `{"error": "slow down"}`)}, listOwn, 3, ErrRateLimited},
		{"GET 408 is retried", step{handler: jsonReply(408, `{"error": "late"}`)}, listOwn, 3, nil},
		{"GET reset is retried", step{err: errReset}, listOwn, 3, ErrConnection},
		{"GET refused is retried", step{err: errRefused}, listOwn, 3, ErrConnection},
		{"GET 404 is final", step{handler: jsonReply(404, `{"error": "no such"}`)}, listOwn, 1, ErrNotFound},
		{"GET 400 is final", step{handler: jsonReply(400, `{"error": "bad"}`)}, listOwn, 1, ErrBadRequest},
		{"POST add 503 is not repeated", unavailable, addLink, 1, ErrServer},
		{"POST add reset is not repeated", step{err: errReset}, addLink, 1, ErrConnection},
		{"POST add refused is retried: never sent", step{err: errRefused}, addLink, 3, ErrConnection},
		{"POST marked safe (login) 503 is retried", unavailable, login, 3, ErrServer},
		{"DELETE 502 is retried", step{handler: jsonReply(502, `{"error": "gateway"}`)}, deleteOne, 3, ErrServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, transport := fakeClient(t, []step{tc.failure})
				err := tc.call(c)
				if err == nil {
					t.Fatal("the call succeeded through a fault that never clears")
				}
				if tc.kind != nil {
					mustKind(t, err, tc.kind)
				}
				if got := transport.count(); got != tc.attempts {
					t.Fatalf("%d attempts, want %d (%v)", got, tc.attempts, err)
				}
			})
		})
	}
}

func listOwn(c *Client) error { _, err := c.Downloads.List(background, 1); return err }
func addLink(c *Client) error {
	_, err := c.Downloads.Add(background, "http://example.org/a")
	return err
}
func login(c *Client) error     { _, err := c.Session.Login(background, "alice", "pw"); return err }
func deleteOne(c *Client) error { return c.Downloads.Delete(background, 7) }

// TestRetryRecovers: a call whose first attempts fail returns the later attempt's answer.
func TestRetryRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{err: errReset}, {handler: jsonReply(503, `{}`)},
			{handler: jsonReply(200, `{"state": "running", "queued": 1, "started": 0, "completed": 2, "failed": 0}`)}})
		status, err := c.Queue.Status(background)
		if err != nil {
			t.Fatal(err)
		}
		if status.Completed != 2 || transport.count() != 3 {
			t.Fatalf("got %+v after %d attempts", status, transport.count())
		}
	})
}

// TestRetryAfterIsHonoured: the wait before a retry is the server's Retry-After, in seconds or as a date.
func TestRetryAfterIsHonoured(t *testing.T) {
	for _, value := range []string{"2", "DATE"} {
		t.Run(value, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				header := value
				if value == "DATE" {
					header = time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
				}
				c, _ := fakeClient(t, []step{{handler: jsonReply(503, `{}`, "Retry-After", header)}, {}})
				started := time.Now()
				if err := c.Users.Approve(background, "bob"); err != nil {
					t.Fatal(err)
				}
				if waited := time.Since(started); waited < 1*time.Second || waited > 2*time.Second {
					t.Fatalf("waited %s, want the server's 2 s (an HTTP date has 1 s resolution)", waited)
				}
			})
		})
	}
}

// TestLongRetryAfterFailsAtOnce: a Retry-After beyond the cap is not waited for; the error carries it.
func TestLongRetryAfterFailsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{handler: jsonReply(503, `{"error": "later"}`, "Retry-After", "120")}})
		started := time.Now()
		_, err := c.Queue.Status(background)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || !apiErr.HasRetryAfter || apiErr.RetryAfter != 120*time.Second {
			t.Fatalf("want an APIError with Retry-After 120 s, got %v", err)
		}
		if transport.count() != 1 || time.Since(started) != 0 {
			t.Fatalf("%d attempts in %s, want 1 at once", transport.count(), time.Since(started))
		}
	})
}

// TestTimeoutWithoutHTTPClientTimeout: an http.Client with no Timeout still gets a finite timeout per attempt.
func TestTimeoutWithoutHTTPClientTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{handler: waitForCancel}}, WithTimeout(5*time.Second))
		started := time.Now()
		_, err := c.Queue.Status(background)
		mustKind(t, err, ErrTimeout)
		if transport.count() != 3 {
			t.Fatalf("%d attempts, want 3", transport.count())
		}
		if elapsed := time.Since(started); elapsed < 15*time.Second || elapsed > 16*time.Second {
			t.Fatalf("took %s, want three 5 s attempts", elapsed)
		}
	})
}

// TestOverallDeadline: the retry deadline bounds a call whose attempts never answer.
func TestOverallDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := fakeClient(t, []step{{handler: waitForCancel}}, WithRetryDeadline(20*time.Second), WithMaxAttempts(10))
		started := time.Now()
		_, err := c.Queue.Status(background)
		mustKind(t, err, ErrTimeout)
		if elapsed := time.Since(started); elapsed != 20*time.Second {
			t.Fatalf("took %s, want the 20 s deadline", elapsed)
		}
	})
}

// TestShorterContextDeadlineWins: a context deadline shorter than the client's timeouts ends the call.
func TestShorterContextDeadlineWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{handler: waitForCancel}})
		ctx, cancel := context.WithTimeout(background, 2*time.Second)
		defer cancel()
		started := time.Now()
		_, err := c.Queue.Status(ctx)
		mustKind(t, err, ErrTimeout)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(started) != 2*time.Second || transport.count() != 1 {
			t.Fatalf("want the context's deadline after 2 s and one attempt: %v after %s", err, time.Since(started))
		}
	})
}

// TestDeleteAfterLostAnswerIsDone: a retried DELETE answered 404 after a lost answer counts as done; a plain 404 does not.
func TestDeleteAfterLostAnswerIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := fakeClient(t, []step{{err: errReset}, {handler: jsonReply(404, `{"error": "no such download"}`)}})
		if err := c.Downloads.Delete(background, 3); err != nil {
			t.Fatalf("want success, got %v", err)
		}
		c, _ = fakeClient(t, []step{{handler: jsonReply(404, `{"error": "no such download"}`)}})
		mustKind(t, c.Downloads.Delete(background, 3), ErrNotFound)
		c, _ = fakeClient(t, []step{{err: errRefused}, {handler: jsonReply(404, `{"error": "no such user"}`)}})
		mustKind(t, c.Users.Delete(background, "bob"), ErrNotFound)
	})
}

// TestBackoffGrowsAndIsCapped: waits double from the first one, with jitter, up to the maximum.
func TestBackoffGrowsAndIsCapped(t *testing.T) {
	cfg := defaultConfig()
	cfg.waitInitial, cfg.waitMax = 100*time.Millisecond, 500*time.Millisecond
	for attempts, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond} {
		got := backoff(cfg, attempts, errReset)
		if got < want || got >= want+cfg.waitInitial {
			t.Errorf("after %d failures: %s, want %s plus under %s of jitter", attempts, got, want, cfg.waitInitial)
		}
	}
	if got := backoff(cfg, 10, errReset); got != cfg.waitMax {
		t.Errorf("after 10 failures: %s, want the cap %s", got, cfg.waitMax)
	}
}
