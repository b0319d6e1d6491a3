package bassa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A file transfer streams through one buffer (memory stays flat whatever the size) and keeps,
// across attempts, how many bytes are safely written: a retry after a broken connection asks
// only for the rest (Range: bytes=N-) and checks that Content-Range starts there. A server that
// ignores the range (200) rewinds the destination. At the end the count must equal the size
// the server announced.

// TransferOption configures one file transfer.
type TransferOption func(*transfer) error

// WithProgress calls fn after every write with the bytes written so far and the total (-1
// when unknown).
func WithProgress(fn func(written, total int64)) TransferOption {
	return func(t *transfer) error { t.progress = fn; return nil }
}

// WithChunkSize sets the transfer's buffer size (default DefaultChunkSize).
func WithChunkSize(n int) TransferOption {
	return func(t *transfer) error {
		if n < 1 {
			return invalid("chunk size must be positive: %d", n)
		}
		t.chunkSize = n
		return nil
	}
}

// WithShareToken fetches a zip with a share link's token (FetchZip, FetchZipToFile).
func WithShareToken(share string) TransferOption {
	return func(t *transfer) error { t.share = share; return nil }
}

var (
	contentRange     = regexp.MustCompile(`^bytes\s+(\d+)-(\d+)/(\d+|\*)$`)
	unsatisfiedRange = regexp.MustCompile(`^bytes\s+\*/(\d+)$`)
	filenameParam    = regexp.MustCompile(`(?i)filename\*?=(?:UTF-8'')?"?([^";]+)"?`)
)

type transfer struct {
	op          string
	sink        sink
	progress    func(written, total int64)
	chunkSize   int
	share       string
	written     int64
	total       int64
	complete    bool
	filename    string
	contentType string
}

func newTransfer(op string, s sink, opts []TransferOption) (*transfer, error) {
	t := &transfer{op: op, sink: s, chunkSize: DefaultChunkSize, total: -1}
	for _, opt := range opts {
		if err := opt(t); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *transfer) header() http.Header {
	h := http.Header{"Accept-Encoding": {"identity"}}
	if t.written > 0 {
		h.Set("Range", fmt.Sprintf("bytes=%d-", t.written))
	}
	return h
}

// begin checks the response's status and range before any byte of it is written.
func (t *transfer) begin(resp *http.Response, body []byte, extension bool) error {
	switch status := resp.StatusCode; {
	case status == http.StatusPartialContent:
		m := contentRange.FindStringSubmatch(strings.TrimSpace(resp.Header.Get("Content-Range")))
		if m == nil || m[1] != strconv.FormatInt(t.written, 10) {
			return &ValidationError{Operation: t.op, Reason: fmt.Sprintf(
				"asked for bytes from %d, got Content-Range %q", t.written, resp.Header.Get("Content-Range"))}
		}
		t.total = -1
		if m[3] != "*" {
			t.total, _ = strconv.ParseInt(m[3], 10, 64)
		}
	case status == http.StatusOK:
		if t.written > 0 {
			if err := t.sink.rewind(); err != nil {
				return &ValidationError{Operation: t.op, Reason: "the server ignored the Range of a resumed transfer", Err: err}
			}
			t.written = 0
		}
		t.total = resp.ContentLength
	case status == http.StatusRequestedRangeNotSatisfiable && t.finishedAlready(resp):
		t.complete = true
	case failed(status):
		return statusError(resp, body, t.op, extension, time.Now())
	default:
		return &ValidationError{Operation: t.op, Reason: fmt.Sprintf("unexpected status %d for a file", status)}
	}
	if t.filename == "" {
		if m := filenameParam.FindStringSubmatch(resp.Header.Get("Content-Disposition")); m != nil {
			t.filename = filepath.Base(m[1])
		}
		t.contentType = resp.Header.Get("Content-Type")
	}
	return nil
}

// finishedAlready: the connection broke after the last byte, so the resumed range starts at
// the end.
func (t *transfer) finishedAlready(resp *http.Response) bool {
	m := unsatisfiedRange.FindStringSubmatch(strings.TrimSpace(resp.Header.Get("Content-Range")))
	return t.written > 0 && m != nil && m[1] == strconv.FormatInt(t.written, 10)
}

// Write takes bytes from the network (through io.CopyBuffer) and counts what is written.
func (t *transfer) Write(p []byte) (int, error) {
	n, err := t.sink.write(p)
	t.written += int64(n)
	if t.progress != nil && n > 0 {
		t.progress(t.written, t.total)
	}
	return n, err
}

// transfer runs a file transfer with retries, resuming after each broken attempt.
func (c *Client) transfer(ctx context.Context, t *transfer, build requestBuilder) (*FetchedFile, error) {
	err := c.transferOnce(ctx, t, build)
	if err != nil && c.reloginAllowed(t.op, err) {
		if err = c.Session.relogin(ctx); err == nil {
			err = c.transferOnce(ctx, t, build)
		}
	}
	if err != nil {
		t.sink.abandon()
		return nil, err
	}
	if err := t.sink.done(); err != nil {
		t.sink.abandon()
		return nil, err
	}
	return &FetchedFile{Size: t.written, Path: t.sink.path(), Filename: t.filename, ContentType: t.contentType}, nil
}

func (c *Client) transferOnce(ctx context.Context, t *transfer, build requestBuilder) error {
	buf := make([]byte, t.chunkSize)
	return c.run(ctx, t.op, false, func(actx context.Context, st *callState, watch *idleWatch) error {
		resp, err := c.send(actx, t.op, build, t.header())
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var errBody []byte
		if failed(resp.StatusCode) {
			errBody = readErrorBody(resp, watch)
		}
		if err := t.begin(resp, errBody, st.op.Extension); err != nil {
			return err
		}
		if t.complete {
			return nil
		}
		if _, err := io.CopyBuffer(t, watchedBody{resp.Body, watch}, buf); err != nil {
			return err // a *sinkError (the destination failed) is final; a network error may be retried
		}
		if t.total >= 0 && t.written != t.total {
			return &ValidationError{Operation: t.op, Reason: fmt.Sprintf("received %d bytes of %d", t.written, t.total)}
		}
		t.complete = true
		return nil
	})
}

// sinkError is a failure of the destination (not of the network): it is never retried, and
// unwraps to the file system's error (errors.Is(err, fs.ErrPermission) ...).
type sinkError struct{ err error }

func (e *sinkError) Error() string { return "bassa: writing the destination: " + e.err.Error() }

func (e *sinkError) Unwrap() error { return e.err }

// sink is where a transfer's bytes go.
type sink interface {
	write(p []byte) (int, error)
	rewind() error
	done() error
	abandon()
	path() string
}

// writerSink writes to a caller's io.Writer.
func writerSink(w io.Writer) sink {
	s := &writerDest{w: w}
	if seeker, ok := w.(io.Seeker); ok {
		s.start, s.seekErr = seeker.Seek(0, io.SeekCurrent)
	}
	return s
}

type writerDest struct {
	w       io.Writer
	start   int64
	seekErr error
}

func (d *writerDest) write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		err = &sinkError{err}
	}
	return n, err
}

func (d *writerDest) rewind() error {
	seeker, ok := d.w.(io.Seeker)
	truncater, ok2 := d.w.(interface{ Truncate(int64) error })
	if !ok || !ok2 || d.seekErr != nil {
		return errors.New("the destination cannot be rewound")
	}
	if _, err := seeker.Seek(d.start, io.SeekStart); err != nil {
		return err
	}
	return truncater.Truncate(d.start)
}

func (d *writerDest) done() error  { return nil }
func (d *writerDest) abandon()     {}
func (d *writerDest) path() string { return "" }

// fileSink writes to path.part, opened when the first response arrives (so a refused request
// leaves nothing), and renamed to path when complete.
func fileSink(path string) sink { return &fileDest{target: path, part: path + ".part"} }

type fileDest struct {
	target, part string
	file         *os.File
}

func (d *fileDest) opened() (*os.File, error) {
	if d.file == nil {
		f, err := os.Create(d.part)
		if err != nil {
			return nil, &sinkError{err}
		}
		d.file = f
	}
	return d.file, nil
}

func (d *fileDest) write(p []byte) (int, error) {
	f, err := d.opened()
	if err != nil {
		return 0, err
	}
	n, err := f.Write(p)
	if err != nil {
		err = &sinkError{err}
	}
	return n, err
}

func (d *fileDest) rewind() error {
	f, err := d.opened()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return f.Truncate(0)
}

func (d *fileDest) done() error {
	f, err := d.opened()
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return &sinkError{err}
	}
	if err := os.Rename(d.part, d.target); err != nil {
		return &sinkError{err}
	}
	return nil
}

func (d *fileDest) abandon() {
	if d.file != nil {
		_ = d.file.Close()
		_ = os.Remove(d.part)
	}
}

func (d *fileDest) path() string { return d.target }
