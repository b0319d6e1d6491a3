//go:build integration

package bassa_test

// Helpers of the integration tests. They run under pytest (tests/integration/go), which starts
// the live server, the file server and the proxies and passes their URLs in the environment;
// a missing variable fails the test rather than skipping it.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/scorelab/bassa-sdk/go/bassa"
)

const password = "go-integration-password-1"

func env(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s is not set: run these tests through pytest tests/integration/go", name)
	}
	return value
}

func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newClient(t *testing.T, url string, opts ...bassa.Option) *bassa.Client {
	t.Helper()
	c, err := bassa.NewClient(url, append([]bassa.Option{bassa.WithLogger(quiet())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// admin is the bootstrap admin, talking to url, with the server key.
func admin(t *testing.T, url string) *bassa.Client {
	t.Helper()
	c := newClient(t, url, bassa.WithServerKey(env(t, "BASSA_TEST_SERVER_KEY")))
	_, err := c.Session.Login(context.Background(), env(t, "BASSA_TEST_ADMIN_USER"), env(t, "BASSA_TEST_ADMIN_PASSWORD"))
	check(t, err)
	return c
}

// newUser adds an approved user through adm and returns their name.
func newUser(t *testing.T, adm *bassa.Client, prefix string) string {
	t.Helper()
	name := unique(prefix)
	check(t, adm.Users.Add(context.Background(), name, password, name+"@example.org", 1))
	return name
}

// completedDownload queues the test file as adm, starts the queue and waits for it: its id and gid.
func completedDownload(t *testing.T, adm *bassa.Client) (int, string) {
	t.Helper()
	ctx := context.Background()
	created, err := adm.Downloads.Add(ctx, env(t, "BASSA_TEST_FILE_URL"))
	check(t, err)
	_, err = adm.Queue.Start(ctx)
	check(t, err)
	_, err = adm.Downloads.Wait(ctx, *created.Id, bassa.WaitOptions{Timeout: 90 * time.Second, PollInterval: 200 * time.Millisecond})
	check(t, err)
	for row, err := range adm.Downloads.AllCompleted(ctx) {
		check(t, err)
		if row.Id == *created.Id && row.Gid != nil {
			return row.Id, *row.Gid
		}
	}
	t.Fatalf("download %d is not among the completed ones", *created.Id)
	return 0, ""
}

func sameAsTestFile(t *testing.T, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != env(t, "BASSA_TEST_FILE_SHA256") {
		t.Fatalf("the fetched file (%d bytes) differs from the served one", len(data))
	}
}

// vectors is tests/faults/vectors.json, shared with the Python SDK's fault tests.
type vectors struct {
	Client struct {
		MaxAttempts   int     `json:"max_attempts"`
		WaitInitial   float64 `json:"wait_initial"`
		WaitMax       float64 `json:"wait_max"`
		RetryDeadline float64 `json:"retry_deadline"`
		MaxRetryAfter float64 `json:"max_retry_after"`
	} `json:"client"`
	Curable                           map[string]fault `json:"curable"`
	FileCurableOverrides              map[string]fault `json:"file_curable_overrides"`
	ReachesServer                     []string         `json:"reaches_server"`
	IdempotentOperations              []string         `json:"idempotent_operations"`
	IdempotentOperationsUnlessReached []string         `json:"idempotent_operations_unless_reached"`
	FileOperations                    []string         `json:"file_operations"`
	NeverDuplicated                   []struct {
		ID        string `json:"id"`
		Fault     fault  `json:"fault"`
		Error     string `json:"error"`
		Forwarded int    `json:"forwarded"`
	} `json:"never_duplicated"`
	SlowAdd struct {
		Fault       fault   `json:"fault"`
		ReadTimeout float64 `json:"read_timeout"`
		Error       string  `json:"error"`
		Forwarded   int     `json:"forwarded"`
	} `json:"slow_add"`
	SpentBudget []struct {
		ID    string `json:"id"`
		Fault fault  `json:"fault"`
		Error string `json:"error"`
	} `json:"spent_budget"`
	TimeoutEveryAttempt struct {
		Fault       fault   `json:"fault"`
		ReadTimeout float64 `json:"read_timeout"`
		Error       string  `json:"error"`
	} `json:"timeout_every_attempt"`
	LongRetryAfter struct {
		Fault      fault   `json:"fault"`
		Error      string  `json:"error"`
		RetryAfter float64 `json:"retry_after"`
		Within     float64 `json:"within"`
	} `json:"long_retry_after"`
	RetryAfterHonoured struct {
		Fault    fault   `json:"fault"`
		Times    int     `json:"times"`
		Statuses []int   `json:"statuses"`
		AtLeast  float64 `json:"at_least"`
		Below    float64 `json:"below"`
	} `json:"retry_after_honoured"`
	LostDelete struct {
		Fault     fault `json:"fault"`
		Forwarded int   `json:"forwarded"`
	} `json:"lost_delete"`
	FileSize       int   `json:"file_size"`
	BrokenFileKeep []int `json:"broken_file_keep"`
	DripFile       fault `json:"drip_file"`
}

// fault is one JSON fault of the vectors, passed to the proxy as it is.
type fault map[string]any

func (f fault) kind() string { return fmt.Sprint(f["kind"]) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// errorKinds maps the vectors' error names to the client's kinds.
var errorKinds = map[string]error{
	"connection":   bassa.ErrConnection,
	"timeout":      bassa.ErrTimeout,
	"server":       bassa.ErrServer,
	"rate_limited": bassa.ErrRateLimited,
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	data, err := os.ReadFile(env(t, "BASSA_TEST_VECTORS"))
	check(t, err)
	var v vectors
	check(t, json.Unmarshal(data, &v))
	return &v
}

// rule is one rule of a proxy plan.
type rule struct {
	Fault  fault   `json:"fault"`
	Method *string `json:"method,omitempty"`
	Path   *string `json:"path,omitempty"`
	Times  *int    `json:"times"`
}

func once(f fault) rule   { one := 1; return rule{Fault: f, Times: &one} }
func always(f fault) rule { return rule{Fault: f} }

func (r rule) on(method, path string) rule {
	if method != "" {
		r.Method = &method
	}
	if path != "" {
		r.Path = &path
	}
	return r
}

// exchange is what the proxy did with one request.
type exchange struct {
	Method         string  `json:"method"`
	Path           string  `json:"path"`
	Fault          string  `json:"fault"`
	Forwarded      bool    `json:"forwarded"`
	UpstreamStatus *int    `json:"upstream_status"`
	Range          *string `json:"range"`
}

// proxyControl drives the fault proxy through its control endpoint.
type proxyControl struct {
	t   *testing.T
	url string
}

func (p proxyControl) plan(rules ...rule) {
	p.t.Helper()
	if rules == nil {
		rules = []rule{}
	}
	body, _ := json.Marshal(map[string]any{"rules": rules})
	resp, err := http.Post(p.url+"/plan", "application/json", bytes.NewReader(body))
	check(p.t, err)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		p.t.Fatalf("the proxy refused the plan: %s", msg)
	}
}

func (p proxyControl) exchanges() (int, []exchange) {
	p.t.Helper()
	resp, err := http.Get(p.url + "/exchanges")
	check(p.t, err)
	defer resp.Body.Close()
	var got struct {
		Arrived   int        `json:"arrived"`
		Exchanges []exchange `json:"exchanges"`
	}
	check(p.t, json.NewDecoder(resp.Body).Decode(&got))
	return got.Arrived, got.Exchanges
}

func (p proxyControl) arrived() int { n, _ := p.exchanges(); return n }

func (p proxyControl) forwarded(method, path string) int {
	_, all := p.exchanges()
	n := 0
	for _, e := range all {
		if e.Method == method && e.Path == path && e.Forwarded {
			n++
		}
	}
	return n
}
