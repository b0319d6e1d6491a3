//go:build integration

package bassa_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scorelab/bassa-sdk/go/bassa"
)

// TestIntegrationJourneyUser: the README journey: sign in, queue, wait, fetch identical bytes, rate, zip, share.
func TestIntegrationJourneyUser(t *testing.T) {
	ctx := context.Background()
	url := env(t, "BASSA_TEST_URL")
	adm := admin(t, url)
	name := newUser(t, adm, "gouser")
	c := newClient(t, url)
	_, err := c.Session.Login(ctx, name, password)
	check(t, err)

	created, err := c.Downloads.Add(ctx, env(t, "BASSA_TEST_FILE_URL"))
	check(t, err)
	id := *created.Id
	_, err = adm.Queue.Start(ctx)
	check(t, err)
	var polls int
	_, err = c.Downloads.Wait(ctx, id, bassa.WaitOptions{Timeout: 90 * time.Second, PollInterval: 200 * time.Millisecond,
		Progress: func(*bassa.DownloadProgress) { polls++ }})
	check(t, err)
	if polls == 0 {
		t.Fatal("the wait reported no progress")
	}

	path := filepath.Join(t.TempDir(), "report.bin")
	var reported int64
	fetched, err := c.Files.DownloadToFile(ctx, id, path, bassa.WithProgress(func(written, _ int64) { reported = written }))
	check(t, err)
	data, err := os.ReadFile(path)
	check(t, err)
	sameAsTestFile(t, data)
	if fetched.Size != int64(len(data)) || reported != fetched.Size {
		t.Fatalf("fetched %d bytes, reported %d", fetched.Size, reported)
	}

	own, err := c.Downloads.List(ctx, 1)
	check(t, err)
	if !slices.ContainsFunc(own, func(d bassa.Download) bool { return d.Id == id }) {
		t.Fatalf("download %d is not on the user's first page", id)
	}
	var gid string
	for row, err := range c.Downloads.All(ctx) {
		check(t, err)
		if row.Id == id && row.Gid != nil {
			gid = *row.Gid
		}
	}
	if gid == "" {
		t.Fatal("the completed download has no GID")
	}
	rated, err := c.Downloads.Rate(ctx, id, 4)
	check(t, err)
	if rated.Rating == nil || *rated.Rating != 4 {
		t.Fatalf("rating %v, want 4", rated.Rating)
	}

	job, err := c.Files.Zip(ctx, []string{gid})
	check(t, err)
	_, err = c.Files.WaitZip(ctx, job.ProcessId, bassa.WaitOptions{Timeout: 60 * time.Second, PollInterval: 100 * time.Millisecond})
	check(t, err)
	var zipped bytes.Buffer
	_, err = c.Files.FetchZip(ctx, job.ProcessId, &zipped)
	check(t, err)
	archive, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	check(t, err)
	if len(archive.File) != 1 {
		t.Fatalf("the zip holds %d files, want 1", len(archive.File))
	}
	member, err := archive.File[0].Open()
	check(t, err)
	inside, err := io.ReadAll(member)
	check(t, err)
	sameAsTestFile(t, inside)

	link, err := c.Files.Share(ctx, job.ProcessId, time.Hour)
	check(t, err)
	stranger := newClient(t, url)
	var shared bytes.Buffer
	_, err = stranger.Files.FetchZip(ctx, job.ProcessId, &shared, bassa.WithShareToken(link.Share))
	check(t, err)
	if !bytes.Equal(shared.Bytes(), zipped.Bytes()) {
		t.Fatal("the shared zip differs from the user's")
	}

	_, err = adm.Queue.Stop(ctx)
	check(t, err)
	queued, err := c.Downloads.Add(ctx, "http://127.0.0.1:9/go/"+unique("never")+".bin")
	check(t, err)
	check(t, c.Downloads.Delete(ctx, *queued.Id))
	_, err = c.Downloads.Status(ctx, *queued.Id)
	if !errors.Is(err, bassa.ErrNotFound) {
		t.Fatalf("a deleted download's status: %v, want ErrNotFound", err)
	}
	_, err = adm.Queue.Start(ctx)
	check(t, err)
	status, err := c.Queue.Status(ctx)
	check(t, err)
	if status.State != "running" || status.Completed < 1 {
		t.Fatalf("queue status %+v", status)
	}
	if _, err := c.Downloads.Completed(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationJourneyAdmin: sign-up and approval, user administration, the queue, and the refusals on the way.
func TestIntegrationJourneyAdmin(t *testing.T) {
	ctx := context.Background()
	url := env(t, "BASSA_TEST_URL")
	adm := admin(t, url)
	anon := newClient(t, url)
	name := unique("gosignup")
	check(t, anon.Session.SignUp(ctx, name, password, name+"@example.org"))

	user := newClient(t, url)
	if _, err := user.Session.Login(ctx, name, password); !errors.Is(err, bassa.ErrAuthentication) {
		t.Fatalf("an unapproved user signed in: %v", err)
	}
	requests, err := adm.Users.Requests(ctx)
	check(t, err)
	if !slices.ContainsFunc(requests, func(r bassa.SignupRequest) bool { return r.UserName == name }) {
		t.Fatalf("%s is not among the sign-up requests", name)
	}
	check(t, adm.Users.Approve(ctx, name))
	_, err = user.Session.Login(ctx, name, password)
	check(t, err)
	if _, err := user.Users.List(ctx); !errors.Is(err, bassa.ErrPermission) {
		t.Fatalf("a user listed users: %v", err)
	}

	email := name + "@example.com"
	check(t, adm.Users.Update(ctx, name, bassa.UserUpdate{Email: &email}))
	users, err := adm.Users.List(ctx)
	check(t, err)
	if !slices.ContainsFunc(users, func(u bassa.UserSummary) bool { return u.UserName == name && u.Email == email }) {
		t.Fatalf("%s with the new email is not listed", name)
	}
	everyone := collect(t, adm.Users.All(ctx))
	if !slices.ContainsFunc(everyone, func(u bassa.UserSummary) bool { return u.UserName == name && u.Email == email }) {
		t.Fatalf("%s with the new email is not among the users read by cursor", name)
	}
	if !slices.IsSortedFunc(everyone, func(a, b bassa.UserSummary) int { return strings.Compare(a.UserName, b.UserName) }) {
		t.Fatal("the users read by cursor are not in name order")
	}

	check(t, adm.Users.Block(ctx, name))
	blocked, err := adm.Users.Blocked(ctx)
	check(t, err)
	if !slices.ContainsFunc(blocked, func(u bassa.UserSummary) bool { return u.UserName == name }) {
		t.Fatalf("%s is not among the blocked", name)
	}
	if !slices.ContainsFunc(collect(t, adm.Users.AllBlocked(ctx)), func(u bassa.UserSummary) bool { return u.UserName == name }) {
		t.Fatalf("%s is not among the blocked users read by cursor", name)
	}
	if _, err := user.Downloads.List(ctx, 1); !errors.Is(err, bassa.ErrToken) {
		t.Fatalf("a blocked user's token still works: %v", err)
	}
	check(t, adm.Users.Unblock(ctx, name))

	// ending one's sessions stops every other device's token; this client carries on
	_, err = user.Session.Login(ctx, name, password)
	check(t, err)
	otherDevice := newClient(t, url, bassa.WithToken(user.Session.Token()))
	check(t, user.Session.EndEverywhere(ctx))
	_, err = user.Downloads.List(ctx, 1)
	check(t, err)
	if _, err := otherDevice.Downloads.List(ctx, 1); !errors.Is(err, bassa.ErrToken) {
		t.Fatalf("a token from before ending every session still works: %v", err)
	}
	check(t, adm.Users.EndSessions(ctx, name))
	if _, err := user.Downloads.List(ctx, 1); !errors.Is(err, bassa.ErrToken) {
		t.Fatalf("a token from before an admin ended the sessions still works: %v", err)
	}
	_, err = adm.Users.Heavy(ctx)
	check(t, err)

	other := newUser(t, adm, "goadded")
	if err := adm.Users.Add(ctx, other, password, other+"@example.org", 1); !errors.Is(err, bassa.ErrConflict) && !errors.Is(err, bassa.ErrBadRequest) {
		t.Fatalf("adding a taken name: %v", err)
	}
	check(t, adm.Users.Delete(ctx, other))
	if err := adm.Users.Delete(ctx, other); !errors.Is(err, bassa.ErrNotFound) {
		t.Fatalf("deleting a deleted user: %v", err)
	}
	check(t, adm.Users.Delete(ctx, name))

	stopped, err := adm.Queue.Stop(ctx)
	check(t, err)
	if stopped.State == nil || *stopped.State != "paused" {
		t.Fatalf("stopping the queue answered %+v", stopped)
	}
	started, err := adm.Queue.Start(ctx)
	check(t, err)
	if started.State == nil || *started.State != "running" {
		t.Fatalf("starting the queue answered %+v", started)
	}
	wrongKey, _ := adm.With(bassa.WithServerKey("not-the-key"))
	if _, err := wrongKey.Queue.Start(ctx); !errors.Is(err, bassa.ErrPermission) {
		t.Fatalf("a wrong server key started the queue: %v", err)
	}
}

// collect drains an iterator, failing the test on its first error.
func collect[T any](t *testing.T, rows iter.Seq2[T, error]) []T {
	t.Helper()
	var all []T
	for row, err := range rows {
		check(t, err)
		all = append(all, row)
	}
	return all
}
