package bassa

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestErrorKinds: each refusal maps to the kind a caller checks with errors.Is, like the Python tree.
func TestErrorKinds(t *testing.T) {
	cases := []struct {
		status int
		body   string
		call   func(*Client) error
		kinds  []error
	}{
		{403, `{"error": "token error"}`, listOwn, []error{ErrToken, ErrAuthentication}},
		{403, `{"error": "not authorized"}`, listOwn, []error{ErrPermission}},
		{403, `{"error": "wrong password"}`, login, []error{ErrAuthentication}},
		{401, `{"error": "unapproved", "status": "unapproved"}`, login, []error{ErrAuthentication}},
		{400, `{"error": "quota exceeded", "quota": "exceeded"}`, addLink, []error{ErrQuotaExceeded, ErrBadRequest}},
		{404, `{"error": "no such download"}`, statusOf, []error{ErrNotFound}},
		{404, `<html>not here</html>`, statusOf, []error{ErrUnsupported, ErrNotFound}},
		{409, `{"error": "taken"}`, addLink, []error{ErrConflict}},
		{507, `{"error": "disk full"}`, addLink, []error{ErrInsufficientStorage, ErrServer}},
		{520, `oops`, addLink, []error{ErrServer}},
	}
	for _, tc := range cases {
		c, _ := fakeClient(t, []step{{handler: jsonReply(tc.status, tc.body)}}, WithMaxAttempts(1))
		err := tc.call(c)
		for _, kind := range tc.kinds {
			if !errors.Is(err, kind) {
				t.Errorf("%d %s: %v is not %v", tc.status, tc.body, err, kind)
			}
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status || string(apiErr.Body) != tc.body {
			t.Errorf("%d %s: no APIError with status and body: %v", tc.status, tc.body, err)
		}
	}
}

func statusOf(c *Client) error { _, err := c.Downloads.Status(background, 1); return err }

// TestMalformedResponses: an answer the spec does not allow is a validation error, not a panic or a zero value.
func TestMalformedResponses(t *testing.T) {
	for _, body := range []string{`{"id": "seven", "status": "ok"}`, `not json`} {
		c, _ := fakeClient(t, []step{{handler: jsonReply(200, body)}})
		_, err := c.Downloads.Add(background, "http://example.org/x")
		mustKind(t, err, ErrResponseValidation)
	}
	c, _ := fakeClient(t, []step{{handler: jsonReply(200, `{"auth": "1"}`)}})
	_, err := c.Session.Login(background, "alice", "pw")
	mustKind(t, err, ErrResponseValidation) // a login without a token header
}

// TestCallerMistakesFailBeforeIO: invalid arguments are ErrInvalidArgument and send nothing.
func TestCallerMistakesFailBeforeIO(t *testing.T) {
	c, transport := fakeClient(t, nil)
	_, err1 := c.Downloads.List(background, 0)
	_, err2 := c.Downloads.Add(background, "")
	_, err3 := c.Downloads.Rate(background, 1, 9)
	_, err4 := c.Files.Zip(background, []string{"not-a-gid"})
	_, err5 := c.Queue.Start(background) // no server key
	for _, err := range []error{err1, err2, err3, err4, err5} {
		mustKind(t, err, ErrInvalidArgument)
	}
	if transport.count() != 0 {
		t.Fatalf("%d requests sent for invalid calls", transport.count())
	}
	if _, err := NewClient("ftp://example.org"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a non-http URL was accepted: %v", err)
	}
}

// TestSessionTokenIsKeptRenewedAndSecret: login's token is sent, every response renews it, and it never prints.
func TestSessionTokenIsKeptRenewedAndSecret(t *testing.T) {
	c, transport := fakeClient(t, []step{
		{handler: jsonReply(200, `{"auth": "0"}`, "token", "first-secret")},
		{handler: jsonReply(200, `[]`, "token", "second-secret")},
		{handler: jsonReply(200, `[]`)},
	})
	if _, err := c.Session.Login(background, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Downloads.List(background, 1); err != nil {
		t.Fatal(err)
	}
	if got := transport.last().Header.Get("token"); got != "first-secret" {
		t.Fatalf("sent token %q, want the login's", got)
	}
	if _, err := c.Downloads.List(background, 1); err != nil {
		t.Fatal(err)
	}
	if got := transport.last().Header.Get("token"); got != "second-secret" {
		t.Fatalf("sent token %q, want the renewed one", got)
	}
	if ua := transport.last().Header.Get("User-Agent"); ua != "bassa-go/"+Version {
		t.Fatalf("User-Agent %q", ua)
	}
	keyed, _ := c.With(WithServerKey("key-secret"))
	for _, shown := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c.Session), fmt.Sprintf("%v", c.Session),
		fmt.Sprintf("%#v", keyed), fmt.Sprintf("%+v", keyed)} {
		if strings.Contains(shown, "secret") || strings.Contains(shown, "pw") {
			t.Fatalf("the token or password shows in %q", shown)
		}
	}
	c.Session.Logout()
	if c.Session.Token() != "" {
		t.Fatal("logout kept the token")
	}
}

// TestSessionIsSafeForConcurrentUse: goroutines renewing and sending the token race-free (run with -race).
func TestSessionIsSafeForConcurrentUse(t *testing.T) {
	c, transport := fakeClient(t, []step{{handler: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("token", "t-"+r.Header.Get("token"))
		jsonReply(200, `[]`)(w, r)
	}}}, WithToken("start"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := c.Downloads.List(background, 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if transport.count() != 160 || !strings.HasPrefix(c.Session.Token(), "t-") {
		t.Fatalf("%d requests, token %q", transport.count(), c.Session.Token())
	}
}

// TestAutoRelogin: with re-login on, a token error signs in again once and repeats the call.
func TestAutoRelogin(t *testing.T) {
	c, transport := fakeClient(t, []step{
		{handler: jsonReply(200, `{"auth": "1"}`, "token", "old")},
		{handler: jsonReply(403, `{"error": "token error"}`)},
		{handler: jsonReply(200, `{"auth": "1"}`, "token", "new")},
		{handler: jsonReply(200, `[]`)},
	}, WithAutoRelogin(true))
	if _, err := c.Session.Login(background, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Downloads.List(background, 1); err != nil {
		t.Fatalf("want the call repeated after re-login: %v", err)
	}
	if transport.count() != 4 || transport.last().Header.Get("token") != "new" {
		t.Fatalf("%d requests, last token %q", transport.count(), transport.last().Header.Get("token"))
	}
}

// TestRateLimitPacesEveryGoroutine: one bucket for all goroutines, every attempt counted, never above the burst.
func TestRateLimitPacesEveryGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{}}, WithRateLimit(10, 2))
		started := time.Now()
		var mu sync.Mutex
		var sent []time.Duration
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 10 {
					if err := c.Users.Approve(background, "bob"); err != nil {
						t.Error(err)
					}
					mu.Lock()
					sent = append(sent, time.Since(started))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		// 40 requests at 10/s with a burst of 2: the last one goes at (40-2)/10 s
		if elapsed := time.Since(started); elapsed != 3800*time.Millisecond || transport.count() != 40 {
			t.Fatalf("%d requests in %s, want 40 in 3.8 s", transport.count(), elapsed)
		}
		for _, at := range sent {
			inWindow := 0
			for _, other := range sent {
				if other >= at && other < at+time.Second {
					inWindow++
				}
			}
			if inWindow > 10+2 {
				t.Fatalf("%d requests in one second from %s", inWindow, at)
			}
		}
	})
}

// TestRateLimitPausedBy429: a 429 with Retry-After holds every later request for that long, with no burst after it.
func TestRateLimitPausedBy429(t *testing.T) {
	for _, burst := range []int{1, 10} {
		t.Run(fmt.Sprint("burst ", burst), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, _ := fakeClient(t, []step{{handler: jsonReply(429, `{"error": "slow"}`, "Retry-After", "5")}, {}},
					WithRateLimit(100, burst), WithMaxAttempts(1))
				started := time.Now()
				mustKind(t, c.Users.Approve(background, "bob"), ErrRateLimited)
				if err := c.Users.Approve(background, "bob"); err != nil {
					t.Fatal(err)
				}
				if waited := time.Since(started); waited < 5*time.Second || waited > 5020*time.Millisecond {
					t.Fatalf("the next request went after %s, want the 5 s pause", waited)
				}
				for range 3 {
					if err := c.Users.Approve(background, "bob"); err != nil {
						t.Fatal(err)
					}
				}
				if waited := time.Since(started); waited < 5020*time.Millisecond {
					t.Fatalf("3 more requests by %s: a burst after the pause", waited)
				}
			})
		})
	}
}

// TestWithSharesSessionAndLimiter: a derived client shares the session; a changed rate gets its own bucket.
func TestWithSharesSessionAndLimiter(t *testing.T) {
	c, _ := fakeClient(t, []step{{handler: jsonReply(200, `{"auth": "1"}`, "token", "shared")}}, WithRateLimit(5, 1))
	same, _ := c.With(WithTimeout(time.Second))
	other, _ := c.With(WithRateLimit(50, 1))
	if _, err := same.Session.Login(background, "alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if c.Session.Token() != "shared" || same.limiter != c.limiter || other.limiter == c.limiter {
		t.Fatal("derived clients must share the session, and the limiter unless the rate changed")
	}
}

// TestWaitReportsFailureAndTimeout: a failed download is DownloadFailedError; a slow one WaitTimeoutError.
func TestWaitReportsFailureAndTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		running := `{"id": 1, "status": 1, "completed_length": 1, "total_length": 9, "download_speed": 1}`
		c, _ := fakeClient(t, []step{{handler: jsonReply(200, running)},
			{handler: jsonReply(200, `{"id": 1, "status": 4, "error": "404 upstream", "completed_length": 0, "total_length": 0, "download_speed": 0}`)}})
		var seen int
		_, err := c.Downloads.Wait(background, 1, WaitOptions{Progress: func(*DownloadProgress) { seen++ }})
		var failed *DownloadFailedError
		if !errors.As(err, &failed) || failed.Reason != "404 upstream" || seen != 2 {
			t.Fatalf("want DownloadFailedError with the reason after 2 polls: %v (%d)", err, seen)
		}
		c, _ = fakeClient(t, []step{{handler: jsonReply(200, running)}})
		started := time.Now()
		_, err = c.Downloads.Wait(background, 1, WaitOptions{Timeout: 10 * time.Second, PollInterval: time.Second})
		mustKind(t, err, ErrWaitTimeout)
		if time.Since(started) > 10*time.Second {
			t.Fatalf("the wait lasted %s", time.Since(started))
		}
	})
}

// TestRateLimitRespectsContextDeadline: a request the limiter would hold past the context's deadline fails at once, unsent.
func TestRateLimitRespectsContextDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, transport := fakeClient(t, []step{{}}, WithRateLimit(1, 1))
		if err := c.Users.Approve(background, "bob"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(background, 100*time.Millisecond)
		defer cancel()
		started := time.Now()
		_, err := c.Downloads.List(ctx, 1)
		mustKind(t, err, ErrTimeout)
		if transport.count() != 1 || time.Since(started) != 0 {
			t.Fatalf("%d requests, %s waited", transport.count(), time.Since(started))
		}
	})
}
