//go:build integration

package bassa_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/scorelab/bassa-sdk/go/bassa"
)

// faultRig is the setting of the fault tests: clients straight to the server and through the proxy.
type faultRig struct {
	t           *testing.T
	v           *vectors
	proxy       proxyControl
	admin       *bassa.Client // direct, no faults
	direct      *bassa.Client // the rig's user, direct: the referee that counts records
	faulty      *bassa.Client // the rig's user, through the proxy
	faultyAdmin *bassa.Client
	user        string
}

func newFaultRig(t *testing.T) *faultRig {
	ctx := context.Background()
	v := loadVectors(t)
	r := &faultRig{t: t, v: v, proxy: proxyControl{t: t, url: env(t, "BASSA_TEST_CONTROL_URL")}}
	r.admin = admin(t, env(t, "BASSA_TEST_URL"))
	r.user = newUser(t, r.admin, "gofaults")
	r.direct = newClient(t, env(t, "BASSA_TEST_URL"))
	_, err := r.direct.Session.Login(ctx, r.user, password)
	check(t, err)
	settings := []bassa.Option{
		bassa.WithMaxAttempts(v.Client.MaxAttempts),
		bassa.WithBackoff(seconds(v.Client.WaitInitial), seconds(v.Client.WaitMax)),
		bassa.WithRetryDeadline(seconds(v.Client.RetryDeadline)),
		bassa.WithMaxRetryAfter(seconds(v.Client.MaxRetryAfter)),
	}
	proxied := env(t, "BASSA_TEST_PROXY_URL")
	r.proxy.plan()
	r.faulty = newClient(t, proxied, settings...)
	_, err = r.faulty.Session.Login(ctx, r.user, password)
	check(t, err)
	r.faultyAdmin = newClient(t, proxied, append(settings, bassa.WithServerKey(env(t, "BASSA_TEST_SERVER_KEY")))...)
	_, err = r.faultyAdmin.Session.Login(ctx, env(t, "BASSA_TEST_ADMIN_USER"), env(t, "BASSA_TEST_ADMIN_PASSWORD"))
	check(t, err)
	return r
}

func (r *faultRig) queueOne() int {
	created, err := r.direct.Downloads.Add(context.Background(), "http://127.0.0.1:9/faults/"+unique("go")+".bin")
	check(r.t, err)
	return *created.Id
}

func (r *faultRig) records(link string) int {
	n := 0
	for row, err := range r.direct.Downloads.All(context.Background()) {
		check(r.t, err)
		if row.Link == link {
			n++
		}
	}
	return n
}

// runThroughFault runs each named call with f on its first request; each must succeed on a later attempt.
func (r *faultRig) runThroughFault(f fault, names []string, calls map[string]func() error) {
	r.t.Helper()
	for _, name := range names {
		call, ok := calls[name]
		if !ok {
			r.t.Fatalf("the vectors name %s, which this test cannot call", name)
		}
		r.proxy.plan(once(f))
		if err := call(); err != nil {
			r.t.Fatalf("%s through %s: %v", name, f.kind(), err)
		}
		_, exchanges := r.proxy.exchanges()
		if exchanges[0].Fault != f.kind() {
			r.t.Fatalf("%s: the first exchange met %s, not %s", name, exchanges[0].Fault, f.kind())
		}
		if f.kind() != "drip" && len(exchanges) < 2 {
			r.t.Fatalf("%s was not retried after %s", name, f.kind())
		}
		if last := exchanges[len(exchanges)-1].UpstreamStatus; last == nil || *last >= 300 {
			r.t.Fatalf("%s ended with %v", name, last)
		}
	}
}

func sortedKeys(m map[string]fault) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestIntegrationFaults: through the fault proxy, the Go client meets the vectors the Python SDK meets.
func TestIntegrationFaults(t *testing.T) {
	r := newFaultRig(t)
	ctx := context.Background()
	v := r.v

	t.Run("idempotent operations complete through a curable fault", func(t *testing.T) {
		for _, name := range sortedKeys(v.Curable) {
			f := v.Curable[name]
			own := r.queueOne()
			victim := newUser(t, r.admin, "govictim")
			email := victim + "@example.com"
			calls := map[string]func() error{
				"login":                    func() error { _, err := r.faulty.Session.Login(ctx, r.user, password); return err },
				"list_own_downloads":       func() error { _, err := r.faulty.Downloads.List(ctx, 1); return err },
				"list_completed_downloads": func() error { _, err := r.faulty.Downloads.Completed(ctx, 1); return err },
				"get_download_status":      func() error { _, err := r.faulty.Downloads.Status(ctx, own); return err },
				"get_queue_status":         func() error { _, err := r.faulty.Queue.Status(ctx); return err },
				"list_users":               func() error { _, err := r.faultyAdmin.Users.List(ctx); return err },
				"list_signup_requests":     func() error { _, err := r.faultyAdmin.Users.Requests(ctx); return err },
				"list_blocked_users":       func() error { _, err := r.faultyAdmin.Users.Blocked(ctx); return err },
				"list_heavy_users":         func() error { _, err := r.faultyAdmin.Users.Heavy(ctx); return err },
				"approve_user":             func() error { return r.faultyAdmin.Users.Approve(ctx, victim) },
				"update_user":              func() error { return r.faultyAdmin.Users.Update(ctx, victim, bassa.UserUpdate{Email: &email}) },
				"block_user":               func() error { return r.faultyAdmin.Users.Block(ctx, victim) },
				"kill_queue":               func() error { _, err := r.faultyAdmin.Queue.Stop(ctx); return err },
				"unblock_user":             func() error { return r.faultyAdmin.Users.Unblock(ctx, victim) },
				"delete_download":          func() error { return r.faulty.Downloads.Delete(ctx, own) },
				"delete_user":              func() error { return r.faultyAdmin.Users.Delete(ctx, victim) },
			}
			names := slices.Clone(v.IdempotentOperations)
			if !slices.Contains(v.ReachesServer, f.kind()) {
				names = append(names, v.IdempotentOperationsUnlessReached...)
			}
			t.Run(name, func(t *testing.T) { r.runThroughFault(f, names, calls) })
		}
	})

	t.Run("a delete whose answer was lost succeeds", func(t *testing.T) {
		own := r.queueOne()
		r.proxy.plan(once(v.LostDelete.Fault).on("DELETE", ""))
		check(t, r.faulty.Downloads.Delete(ctx, own))
		if got := r.proxy.forwarded("DELETE", fmt.Sprintf("/api/download/%d", own)); got != v.LostDelete.Forwarded {
			t.Fatalf("the DELETE reached the server %d times, want %d", got, v.LostDelete.Forwarded)
		}
		if _, err := r.direct.Downloads.Status(ctx, own); !errors.Is(err, bassa.ErrNotFound) {
			t.Fatalf("the download is still there: %v", err)
		}
	})

	t.Run("retry-after is honoured", func(t *testing.T) {
		h := v.RetryAfterHonoured
		times := h.Times
		r.proxy.plan(rule{Fault: h.Fault, Times: &times}.on("GET", ""))
		started := time.Now()
		_, err := r.faulty.Queue.Status(ctx)
		check(t, err)
		waited := time.Since(started)
		_, exchanges := r.proxy.exchanges()
		var statuses []int
		for _, e := range exchanges {
			statuses = append(statuses, *e.UpstreamStatus)
		}
		if !slices.Equal(statuses, h.Statuses) || waited < seconds(h.AtLeast) || waited >= seconds(h.Below) {
			t.Fatalf("statuses %v after %s, want %v within [%v, %v) s", statuses, waited, h.Statuses, h.AtLeast, h.Below)
		}
	})

	for _, vector := range v.NeverDuplicated {
		t.Run("add_download is never sent twice/"+vector.ID, func(t *testing.T) {
			link := "http://127.0.0.1:9/faults/" + unique("go") + ".bin"
			r.proxy.plan(always(vector.Fault).on("POST", "^/api/download$"))
			_, err := r.faulty.Downloads.Add(ctx, link)
			if !errors.Is(err, errorKinds[vector.Error]) {
				t.Fatalf("got %v, want %s", err, vector.Error)
			}
			if arrived := r.proxy.arrived(); arrived != 1 {
				t.Fatalf("%d attempts, want 1", arrived)
			}
			if got := r.proxy.forwarded("POST", "/api/download"); got != vector.Forwarded {
				t.Fatalf("forwarded %d times, want %d", got, vector.Forwarded)
			}
			if got := r.records(link); got != vector.Forwarded {
				t.Fatalf("%d records, want %d", got, vector.Forwarded)
			}
		})
	}

	t.Run("a slow add that times out is not repeated", func(t *testing.T) {
		slow := v.SlowAdd
		link := "http://127.0.0.1:9/faults/" + unique("go") + ".bin"
		r.proxy.plan(always(slow.Fault).on("POST", "^/api/download$"))
		impatient, _ := r.faulty.With(bassa.WithTimeout(seconds(slow.ReadTimeout)))
		_, err := impatient.Downloads.Add(ctx, link)
		if !errors.Is(err, errorKinds[slow.Error]) {
			t.Fatalf("got %v, want %s", err, slow.Error)
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, exchanges := r.proxy.exchanges(); len(exchanges) > 0 {
				break
			}
		}
		if arrived := r.proxy.arrived(); arrived != 1 {
			t.Fatalf("%d attempts, want 1", arrived)
		}
		if got := r.proxy.forwarded("POST", "/api/download"); got != slow.Forwarded {
			t.Fatalf("forwarded %d times, want %d", got, slow.Forwarded)
		}
		if got := r.records(link); got != slow.Forwarded {
			t.Fatalf("%d records, want %d", got, slow.Forwarded)
		}
	})

	for _, vector := range v.SpentBudget {
		t.Run("a spent budget returns the matching error/"+vector.ID, func(t *testing.T) {
			r.proxy.plan(always(vector.Fault))
			_, err := r.faulty.Downloads.List(ctx, 1)
			if !errors.Is(err, errorKinds[vector.Error]) {
				t.Fatalf("got %v, want %s", err, vector.Error)
			}
			if arrived := r.proxy.arrived(); arrived != v.Client.MaxAttempts {
				t.Fatalf("%d attempts, want the budget of %d", arrived, v.Client.MaxAttempts)
			}
		})
	}

	t.Run("a timeout on every attempt is a timeout", func(t *testing.T) {
		every := v.TimeoutEveryAttempt
		r.proxy.plan(always(every.Fault))
		impatient, _ := r.faulty.With(bassa.WithTimeout(seconds(every.ReadTimeout)))
		_, err := impatient.Queue.Status(ctx)
		if !errors.Is(err, errorKinds[every.Error]) {
			t.Fatalf("got %v, want %s", err, every.Error)
		}
		if arrived := r.proxy.arrived(); arrived != v.Client.MaxAttempts {
			t.Fatalf("%d attempts, want %d", arrived, v.Client.MaxAttempts)
		}
	})

	t.Run("a long retry-after fails at once", func(t *testing.T) {
		long := v.LongRetryAfter
		r.proxy.plan(always(long.Fault))
		started := time.Now()
		_, err := r.faulty.Queue.Status(ctx)
		var apiErr *bassa.APIError
		if !errors.Is(err, errorKinds[long.Error]) || !errors.As(err, &apiErr) {
			t.Fatalf("got %v, want %s", err, long.Error)
		}
		if r.proxy.arrived() != 1 || time.Since(started) >= seconds(long.Within) || apiErr.RetryAfter != seconds(long.RetryAfter) {
			t.Fatalf("%d attempts in %s, retry-after %s", r.proxy.arrived(), time.Since(started), apiErr.RetryAfter)
		}
	})

	t.Run("files", func(t *testing.T) { fileFaults(t, r) })
	r.proxy.plan()
}

func fileFaults(t *testing.T, r *faultRig) {
	ctx := context.Background()
	v := r.v
	id, gid := completedDownload(t, r.admin)
	job, err := r.direct.Files.Zip(ctx, []string{gid})
	check(t, err)
	_, err = r.direct.Files.WaitZip(ctx, job.ProcessId, bassa.WaitOptions{Timeout: 30 * time.Second, PollInterval: 100 * time.Millisecond})
	check(t, err)
	var clean bytes.Buffer
	_, err = r.direct.Files.FetchZip(ctx, job.ProcessId, &clean)
	check(t, err)

	fileCurable := map[string]fault{}
	for name, f := range v.Curable {
		fileCurable[name] = f
	}
	for name, f := range v.FileCurableOverrides {
		fileCurable[name] = f
	}
	for _, name := range sortedKeys(fileCurable) {
		f := fileCurable[name]
		t.Run("file operations complete through a curable fault/"+name, func(t *testing.T) {
			dir := t.TempDir()
			calls := map[string]func() error{
				"rate_download":            func() error { _, err := r.faulty.Downloads.Rate(ctx, id, 4); return err },
				"compress":                 func() error { _, err := r.faulty.Files.Zip(ctx, []string{gid}); return err },
				"get_compression_progress": func() error { _, err := r.faulty.Files.ZipStatus(ctx, job.ProcessId); return err },
				"create_share_link":        func() error { _, err := r.faulty.Files.Share(ctx, job.ProcessId, 0); return err },
				"fetch_download_file": func() error {
					_, err := r.faulty.Files.DownloadToFile(ctx, id, filepath.Join(dir, "f.bin"))
					return err
				},
				"fetch_zip": func() error {
					_, err := r.faulty.Files.FetchZipToFile(ctx, job.ProcessId, filepath.Join(dir, "f.zip"))
					return err
				},
			}
			r.runThroughFault(f, v.FileOperations, calls)
			data, err := os.ReadFile(filepath.Join(dir, "f.bin"))
			check(t, err)
			sameAsTestFile(t, data)
			zipped, err := os.ReadFile(filepath.Join(dir, "f.zip"))
			check(t, err)
			if !bytes.Equal(zipped, clean.Bytes()) {
				t.Fatal("the zip fetched through the fault differs")
			}
		})
	}

	for _, keep := range v.BrokenFileKeep {
		t.Run(fmt.Sprintf("a broken file download resumes to identical bytes/%d", keep), func(t *testing.T) {
			r.proxy.plan(once(fault{"kind": "truncate", "keep_bytes": keep}).on("GET", fmt.Sprintf("^/api/download/%d$", id)))
			path := filepath.Join(t.TempDir(), "resumed.bin")
			fetched, err := r.faulty.Files.DownloadToFile(ctx, id, path)
			check(t, err)
			data, err := os.ReadFile(path)
			check(t, err)
			sameAsTestFile(t, data)
			if fetched.Size != int64(v.FileSize) {
				t.Fatalf("size %d, want %d", fetched.Size, v.FileSize)
			}
			_, exchanges := r.proxy.exchanges()
			if len(exchanges) != 2 || exchanges[0].Range != nil || exchanges[1].Range == nil ||
				*exchanges[1].Range != fmt.Sprintf("bytes=%d-", keep) {
				t.Fatalf("exchanges %+v, want a whole request then bytes=%d-", exchanges, keep)
			}
		})
	}

	t.Run("a slow drip delivers the same file", func(t *testing.T) {
		r.proxy.plan(once(v.DripFile).on("GET", ""))
		var buf bytes.Buffer
		_, err := r.faulty.Files.Download(ctx, id, &buf)
		check(t, err)
		sameAsTestFile(t, buf.Bytes())
		if r.proxy.arrived() != 1 {
			t.Fatalf("%d attempts, want 1", r.proxy.arrived())
		}
	})

	t.Run("a broken zip download resumes to identical bytes", func(t *testing.T) {
		half := clean.Len() / 2
		r.proxy.plan(once(fault{"kind": "truncate", "keep_bytes": half}).on("GET", "^/api/file$"))
		path := filepath.Join(t.TempDir(), "resumed.zip")
		_, err := r.faulty.Files.FetchZipToFile(ctx, job.ProcessId, path)
		check(t, err)
		data, err := os.ReadFile(path)
		check(t, err)
		if !bytes.Equal(data, clean.Bytes()) {
			t.Fatal("the resumed zip differs")
		}
		_, exchanges := r.proxy.exchanges()
		if len(exchanges) != 2 || exchanges[1].Range == nil || *exchanges[1].Range != fmt.Sprintf("bytes=%d-", half) {
			t.Fatalf("exchanges %+v, want a resume from %d", exchanges, half)
		}
	})
}
