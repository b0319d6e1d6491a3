package bassa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func downloadRows(from, to int) string {
	rows := make([]string, 0, to-from+1)
	for id := from; id <= to; id++ {
		rows = append(rows, fmt.Sprintf(`{"id": %d, "link": "https://example.org/%d", "user_name": "u",
			"download_name": "f", "added_time": 1, "status": 3, "rating": 0, "gid": null,
			"completed_time": 2, "size": 1, "path": null, "error": null}`, id, id))
	}
	return "[" + strings.Join(rows, ",") + "]"
}

// All follows the server's cursor after page 1 and stops at the page that carries none.
func TestAllFollowsTheCursor(t *testing.T) {
	c, transport := fakeClient(t, []step{
		{handler: jsonReply(200, downloadRows(1, 15), "Bassa-Next-Cursor", "c1")},
		{handler: jsonReply(200, downloadRows(16, 30), "Bassa-Next-Cursor", "c2")},
		{handler: jsonReply(200, downloadRows(31, 33))},
	})
	var ids []int
	for row, err := range c.Downloads.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, row.Id)
	}
	if len(ids) != 33 || ids[32] != 33 {
		t.Fatalf("ids = %v", ids)
	}
	var urls []string
	for _, req := range transport.requests {
		urls = append(urls, req.URL.RequestURI())
	}
	want := []string{"/api/user/downloads/1", "/api/user/downloads/1?cursor=c1", "/api/user/downloads/1?cursor=c2"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Fatalf("requests = %v, want %v", urls, want)
	}
}

// Without cursors (a legacy server) AllCompleted counts pages until an empty one.
func TestAllCompletedCountsPagesOnALegacyServer(t *testing.T) {
	c, transport := fakeClient(t, []step{
		{handler: jsonReply(200, downloadRows(1, 15))},
		{handler: jsonReply(200, downloadRows(16, 20))},
		{handler: jsonReply(200, "[]")},
	})
	count := 0
	for _, err := range c.Downloads.AllCompleted(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		count++
	}
	if count != 20 || len(transport.requests) != 3 || transport.requests[2].URL.Path != "/api/downloads/3" {
		t.Fatalf("count = %d, requests = %d", count, len(transport.requests))
	}
}

// AllBlocked asks for UserPageSize users a request and follows the cursor until a page carries
// none; a failed page ends the iteration with its error.
func TestAllBlockedPagesByCursor(t *testing.T) {
	c, transport := fakeClient(t, []step{
		{handler: jsonReply(200, `[{"user_name": "a", "auth": 1, "email": "a@x", "approved": true, "blocked": true}]`,
			"Bassa-Next-Cursor", "after-a")},
		{handler: jsonReply(200, `[{"user_name": "b", "auth": 1, "email": "b@x", "approved": true, "blocked": true}]`)},
	})
	var names []string
	for user, err := range c.Users.AllBlocked(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, user.UserName)
	}
	if strings.Join(names, " ") != "a b" {
		t.Fatalf("names = %v", names)
	}
	var urls []string
	for _, req := range transport.requests {
		urls = append(urls, req.URL.RequestURI())
	}
	want := []string{"/api/user/blocked?limit=100", "/api/user/blocked?limit=100&cursor=after-a"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Fatalf("requests = %v, want %v", urls, want)
	}

	failing, _ := fakeClient(t, []step{{handler: jsonReply(403, `{"error": "admins only"}`)}})
	count := 0
	for _, err := range failing.Users.AllRequests(context.Background()) {
		count++
		if !errors.Is(err, ErrPermission) {
			t.Fatalf("err = %v, want ErrPermission", err)
		}
	}
	if count != 1 {
		t.Fatalf("yielded %d times after a failed page, want 1", count)
	}
}
