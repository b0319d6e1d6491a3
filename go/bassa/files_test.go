package bassa

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileServer serves one file at /api/download/1 with Range support; the first cut requests
// are broken off after keep bytes.
type fileServer struct {
	*httptest.Server
	data        []byte
	mu          sync.Mutex
	cuts        int
	keep        int
	ignoreRange bool
	ranges      []string
}

func newFileServer(t *testing.T, size int) *fileServer {
	t.Helper()
	s := &fileServer{data: make([]byte, size)}
	_, _ = rand.Read(s.data)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	cut := s.cuts > 0
	if cut {
		s.cuts--
	}
	s.mu.Unlock()
	if r.URL.Path != "/api/download/1" {
		http.Error(w, `{"error": "no such download"}`, 404)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="report.bin"`)
	if s.ignoreRange {
		r.Header.Del("Range")
	}
	if !cut {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.data))
		return
	}
	// announce the whole rest, send keep bytes of it, and hang up
	start := 0
	if rng := r.Header.Get("Range"); rng != "" {
		start = atoiPrefix(strings.TrimSuffix(strings.TrimPrefix(rng, "bytes="), "-"))
		w.Header().Set("Content-Range", "bytes "+itoa(start)+"-"+itoa(len(s.data)-1)+"/"+itoa(len(s.data)))
		w.Header().Set("Content-Length", itoa(len(s.data)-start))
		w.WriteHeader(206)
	} else {
		w.Header().Set("Content-Length", itoa(len(s.data)))
	}
	_, _ = w.Write(s.data[start : start+s.keep])
	w.(http.Flusher).Flush()
	conn, _, _ := w.(http.Hijacker).Hijack()
	_ = conn.Close()
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoiPrefix(s string) int { n, _ := strconv.Atoi(s); return n }

func realClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{WithBackoff(time.Millisecond, 5*time.Millisecond), WithLogger(discardLogger())}, opts...)
	c, err := NewClient(url, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBrokenTransferResumes: a file cut twice mid-way resumes with Range and ends byte-identical, with progress.
func TestBrokenTransferResumes(t *testing.T) {
	server := newFileServer(t, 700*1024)
	server.cuts, server.keep = 2, 100*1024
	c := realClient(t, server.URL)
	path := filepath.Join(t.TempDir(), "report.bin")
	var reported int64
	fetched, err := c.Files.DownloadToFile(background, 1, path, WithProgress(func(written, _ int64) { reported = written }))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, server.data) || fetched.Size != int64(len(server.data)) || reported != fetched.Size {
		t.Fatalf("file differs: %d bytes written, %d reported", fetched.Size, reported)
	}
	if want := []string{"", "bytes=102400-", "bytes=204800-"}; strings.Join(server.ranges, ",") != strings.Join(want, ",") {
		t.Fatalf("ranges asked %q, want %q", server.ranges, want)
	}
	if fetched.Filename != "report.bin" {
		t.Fatalf("filename %q", fetched.Filename)
	}
	if _, err := os.Stat(path + ".part"); !os.IsNotExist(err) {
		t.Fatal("the .part file was left behind")
	}
}

// TestServerIgnoringRangeRewinds: a resumed transfer answered 200 starts the destination over.
func TestServerIgnoringRangeRewinds(t *testing.T) {
	server := newFileServer(t, 300*1024)
	server.cuts, server.keep, server.ignoreRange = 1, 1000, true
	c := realClient(t, server.URL)
	path := filepath.Join(t.TempDir(), "f.bin")
	if _, err := c.Files.DownloadToFile(background, 1, path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, server.data) {
		t.Fatalf("file differs after a rewind: %d bytes", len(got))
	}
	var buf bytes.Buffer // cannot be rewound
	server.cuts = 1
	_, err := c.Files.Download(background, 1, &buf)
	mustKind(t, err, ErrResponseValidation)
}

// TestFailedTransferLeavesNothing: a refused file leaves no file and no .part behind, with the server's error.
func TestFailedTransferLeavesNothing(t *testing.T) {
	server := newFileServer(t, 10)
	c := realClient(t, server.URL)
	path := filepath.Join(t.TempDir(), "missing.bin")
	_, err := c.Files.DownloadToFile(background, 2, path)
	mustKind(t, err, ErrNotFound)
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("left %v behind", entries)
	}
}

// TestShortFileIsAnError: a body shorter than announced, every attempt, is never taken as the file.
func TestShortFileIsAnError(t *testing.T) {
	server := newFileServer(t, 50*1024)
	server.cuts, server.keep = 100, 10
	c := realClient(t, server.URL, WithMaxAttempts(2))
	var buf bytes.Buffer
	_, err := c.Files.Download(background, 1, &buf)
	if err == nil || !errors.Is(err, ErrConnection) {
		t.Fatalf("want a connection error for a cut body, got %v", err)
	}
}

// TestUnwritableDestinationIsFinal: a destination that cannot be written fails once with the file system's error.
func TestUnwritableDestinationIsFinal(t *testing.T) {
	server := newFileServer(t, 1000)
	c := realClient(t, server.URL)
	_, err := c.Files.DownloadToFile(background, 1, filepath.Join(t.TempDir(), "no-such-folder", "f.bin"))
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrConnection) {
		t.Fatalf("want the file system's error, got %v", err)
	}
	if len(server.ranges) != 1 {
		t.Fatalf("%d requests, want 1: a local failure is not retried", len(server.ranges))
	}
}
