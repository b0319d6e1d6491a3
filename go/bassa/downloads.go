package bassa

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"time"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// DownloadsService queues links and follows them: Client.Downloads.
type DownloadsService struct{ c *Client }

// maxPage is the deepest legacy page the spec allows; All and AllCompleted go further by cursor.
const maxPage = 100

// nextCursorHeader carries the cursor of the next page (an extension).
const nextCursorHeader = "Bassa-Next-Cursor"

func checkPage(page int) error {
	if page < 1 || page > maxPage {
		return invalid("page must be from 1 (the first page) to %d: %d", maxPage, page)
	}
	return nil
}

func checkID(id int) error {
	if id < 1 {
		return invalid("a download id is at least 1: %d", id)
	}
	return nil
}

// Add queues a link (http, https or ftp); DownloadCreated.Id is the new download's id.
func (s *DownloadsService) Add(ctx context.Context, link string) (*DownloadCreated, error) {
	if link == "" {
		return nil, invalid("link must not be empty")
	}
	ex, err := s.c.call(ctx, bassaapi.OpAddDownload, func(server string) (*http.Request, error) {
		return bassaapi.NewAddDownloadRequest(server, bassaapi.NewDownload{Link: link})
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpAddDownload, bassaapi.ParseAddDownloadResponse,
		func(r *bassaapi.AddDownloadResponse) *DownloadCreated { return r.JSON200 })
}

// List returns one page (15, oldest first) of the caller's own downloads, in every status.
func (s *DownloadsService) List(ctx context.Context, page int) ([]Download, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	rows, _, err := s.ownPage(ctx, page, nil)
	return rows, err
}

func (s *DownloadsService) ownPage(ctx context.Context, page int, cursor *string) ([]Download, string, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListOwnDownloads, func(server string) (*http.Request, error) {
		return bassaapi.NewListOwnDownloadsRequest(server, page, &bassaapi.ListOwnDownloadsParams{Cursor: cursor})
	})
	if err != nil {
		return nil, "", err
	}
	return decodePage(ex, bassaapi.OpListOwnDownloads, bassaapi.ParseListOwnDownloadsResponse,
		func(r *bassaapi.ListOwnDownloadsResponse) *[]Download { return r.JSON200 })
}

// Completed returns one page (15, newest first) of completed downloads of every user.
func (s *DownloadsService) Completed(ctx context.Context, page int) ([]Download, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	rows, _, err := s.completedPage(ctx, page, nil)
	return rows, err
}

func (s *DownloadsService) completedPage(ctx context.Context, page int, cursor *string) ([]Download, string, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListCompletedDownloads, func(server string) (*http.Request, error) {
		return bassaapi.NewListCompletedDownloadsRequest(server, page, &bassaapi.ListCompletedDownloadsParams{Cursor: cursor})
	})
	if err != nil {
		return nil, "", err
	}
	return decodePage(ex, bassaapi.OpListCompletedDownloads, bassaapi.ParseListCompletedDownloadsResponse,
		func(r *bassaapi.ListCompletedDownloadsResponse) *[]Download { return r.JSON200 })
}

// All iterates over every download of the caller, oldest first: by the server's cursor when it
// offers one (any depth), else page after page until an empty page (a legacy server). A failed
// page ends the iteration with its error.
func (s *DownloadsService) All(ctx context.Context) iter.Seq2[Download, error] {
	return pages(ctx, s.ownPage)
}

// AllCompleted iterates over every completed download, newest first, like All.
func (s *DownloadsService) AllCompleted(ctx context.Context) iter.Seq2[Download, error] {
	return pages(ctx, s.completedPage)
}

type pageFunc func(context.Context, int, *string) ([]Download, string, error)

func pages(ctx context.Context, fetch pageFunc) iter.Seq2[Download, error] {
	return func(yield func(Download, error) bool) {
		var cursor *string
		for n := 1; ; n++ {
			page := n
			if cursor != nil {
				page = 1 // with a cursor, pages count from it
			}
			rows, next, err := fetch(ctx, page, cursor)
			if err != nil {
				yield(Download{}, err)
				return
			}
			for _, row := range rows {
				if !yield(row, nil) {
					return
				}
			}
			switch {
			case next != "":
				cursor = &next
			case cursor != nil || len(rows) == 0:
				return // the cursor's list ended, or the page list did
			}
		}
	}
}

// Status returns one download's status and progress (an extension: ErrUnsupported on a
// legacy server).
func (s *DownloadsService) Status(ctx context.Context, id int) (*DownloadProgress, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	ex, err := s.c.call(ctx, bassaapi.OpGetDownloadStatus, func(server string) (*http.Request, error) {
		return bassaapi.NewGetDownloadStatusRequest(server, id)
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpGetDownloadStatus, bassaapi.ParseGetDownloadStatusResponse,
		func(r *bassaapi.GetDownloadStatusResponse) *DownloadProgress { return r.JSON200 })
}

// Delete deletes a queued or failed download of the caller (an admin: of anyone). A retry
// answered 404 after an attempt whose answer was lost counts as deleted.
func (s *DownloadsService) Delete(ctx context.Context, id int) error {
	if err := checkID(id); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpDeleteDownload, func(server string) (*http.Request, error) {
		return bassaapi.NewDeleteDownloadRequest(server, id)
	})
	if err != nil && s.c.deletedEarlier(err) {
		return nil
	}
	return err
}

// Rate rates a download from 0 to 5; RatingResult.Rating is its new average.
func (s *DownloadsService) Rate(ctx context.Context, id, rate int) (*RatingResult, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if rate < 0 || rate > 5 {
		return nil, invalid("rate must be from 0 to 5: %d", rate)
	}
	ex, err := s.c.call(ctx, bassaapi.OpRateDownload, func(server string) (*http.Request, error) {
		return bassaapi.NewRateDownloadRequest(server, id, bassaapi.Rating{Rate: rate})
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpRateDownload, bassaapi.ParseRateDownloadResponse,
		func(r *bassaapi.RateDownloadResponse) *RatingResult { return r.JSON200 })
}

// WaitOptions bound a wait; zero values take the defaults.
type WaitOptions struct {
	// Timeout bounds the whole wait (default DefaultWaitTimeout).
	Timeout time.Duration
	// PollInterval is the time between two polls (default DefaultPollInterval).
	PollInterval time.Duration
	// Progress, if set, is called with each status seen.
	Progress func(*DownloadProgress)
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Timeout <= 0 {
		o.Timeout = DefaultWaitTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	return o
}

// Wait polls until the download completes. It fails with a *DownloadFailedError when the
// download fails (or its file was removed), and a *WaitTimeoutError when time runs out.
func (s *DownloadsService) Wait(ctx context.Context, id int, opts WaitOptions) (*DownloadProgress, error) {
	opts = opts.withDefaults()
	return poll(ctx, opts, fmt.Sprintf("download %d", id), func() (*DownloadProgress, bool, error) {
		seen, err := s.Status(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if opts.Progress != nil {
			opts.Progress(seen)
		}
		switch seen.Status {
		case StatusCompleted:
			return seen, true, nil
		case StatusError:
			reason := ""
			if seen.Error != nil {
				reason = *seen.Error
			}
			return nil, false, &DownloadFailedError{What: fmt.Sprintf("download %d", id), Reason: reason}
		case StatusDeleted:
			return nil, false, &DownloadFailedError{What: fmt.Sprintf("download %d", id),
				Reason: "its file was removed from the server"}
		}
		return seen, false, nil
	})
}

// poll calls check until it reports done, fails, or the wait's time runs out.
func poll[T any](ctx context.Context, opts WaitOptions, what string, check func() (*T, bool, error)) (*T, error) {
	deadline := time.Now().Add(opts.Timeout)
	for {
		value, done, err := check()
		if err != nil || done {
			return value, err
		}
		if time.Now().Add(opts.PollInterval).After(deadline) {
			return nil, &WaitTimeoutError{What: what, After: opts.Timeout}
		}
		timer := time.NewTimer(opts.PollInterval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, &ConnectionError{Operation: what, Timeout: ctx.Err() == context.DeadlineExceeded, Err: ctx.Err()}
		case <-timer.C:
		}
	}
}
