package bassa

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// FilesService fetches finished files and zips (streamed, resumed with Range after a broken
// connection) and builds and shares zips: Client.Files.
type FilesService struct{ c *Client }

var (
	gidPattern       = regexp.MustCompile(`^[0-9a-f]{16}$`)
	processIDPattern = regexp.MustCompile(`^[0-9a-f]{1,64}$`)
)

func checkProcessID(id string) error {
	if !processIDPattern.MatchString(id) {
		return invalid("a zip job id is 1 to 64 lowercase hex digits: %q", id)
	}
	return nil
}

// Download streams a completed download's file to w. A broken transfer resumes where it
// stopped; if the server ignores the range and w cannot be rewound (an io.Seeker with a
// Truncate method), the call fails with ErrResponseValidation.
func (s *FilesService) Download(ctx context.Context, id int, w io.Writer, opts ...TransferOption) (*FetchedFile, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	t, err := newTransfer(bassaapi.OpFetchDownloadFile, writerSink(w), opts)
	if err != nil {
		return nil, err
	}
	return s.c.transfer(ctx, t, func(server string) (*http.Request, error) {
		return bassaapi.NewFetchDownloadFileRequest(server, id, nil)
	})
}

// DownloadToFile streams a completed download's file to path: it is written as path.part and
// renamed when complete (removed when the call fails).
func (s *FilesService) DownloadToFile(ctx context.Context, id int, path string, opts ...TransferOption) (*FetchedFile, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	t, err := newTransfer(bassaapi.OpFetchDownloadFile, fileSink(path), opts)
	if err != nil {
		return nil, err
	}
	return s.c.transfer(ctx, t, func(server string) (*http.Request, error) {
		return bassaapi.NewFetchDownloadFileRequest(server, id, nil)
	})
}

// Zip starts zipping completed downloads (by GID); asking twice returns the same job.
func (s *FilesService) Zip(ctx context.Context, gids []string) (*CompressionJob, error) {
	if len(gids) < 1 || len(gids) > 100 {
		return nil, invalid("a zip takes 1 to 100 GIDs, not %d", len(gids))
	}
	seen := make(map[string]bool, len(gids))
	for _, gid := range gids {
		if !gidPattern.MatchString(gid) {
			return nil, invalid("a GID is 16 lowercase hex digits: %q", gid)
		}
		if seen[gid] {
			return nil, invalid("GID %s given twice", gid)
		}
		seen[gid] = true
	}
	body := bassaapi.CompressRequest{Gid: gids}
	ex, err := s.c.call(ctx, bassaapi.OpCompress, func(server string) (*http.Request, error) {
		return bassaapi.NewCompressRequest(server, nil, body)
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpCompress, bassaapi.ParseCompressResponse,
		func(r *bassaapi.CompressResponse) *CompressionJob { return r.JSON200 })
}

// ZipStatus returns a zip job's state: Progress 1 once it can be fetched.
func (s *FilesService) ZipStatus(ctx context.Context, processID string) (*CompressionJob, error) {
	if err := checkProcessID(processID); err != nil {
		return nil, err
	}
	ex, err := s.c.call(ctx, bassaapi.OpGetCompressionProgress, func(server string) (*http.Request, error) {
		return bassaapi.NewGetCompressionProgressRequest(server, &bassaapi.GetCompressionProgressParams{Gid: processID})
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpGetCompressionProgress, bassaapi.ParseGetCompressionProgressResponse,
		func(r *bassaapi.GetCompressionProgressResponse) *CompressionJob { return r.JSON200 })
}

// WaitZip polls until the zip can be fetched (*DownloadFailedError if the job failed,
// *WaitTimeoutError when time runs out). opts.Progress is not called.
func (s *FilesService) WaitZip(ctx context.Context, processID string, opts WaitOptions) (*CompressionJob, error) {
	opts = opts.withDefaults()
	what := "zip job " + processID
	return poll(ctx, opts, what, func() (*CompressionJob, bool, error) {
		job, err := s.ZipStatus(ctx, processID)
		if err != nil {
			return nil, false, err
		}
		if job.Status != nil && *job.Status == bassaapi.ZipStatusError {
			reason := ""
			if job.Error != nil {
				reason = *job.Error
			}
			return nil, false, &DownloadFailedError{What: what, Reason: reason}
		}
		ready := (job.Progress != nil && *job.Progress == 1) || (job.Status != nil && *job.Status == bassaapi.ZipStatusDone)
		return job, ready, nil
	})
}

// FetchZip streams a finished zip to w (see Download for resuming). WithShareToken fetches it
// with a share link's token instead of the session.
func (s *FilesService) FetchZip(ctx context.Context, processID string, w io.Writer, opts ...TransferOption) (*FetchedFile, error) {
	return s.fetchZip(ctx, processID, writerSink(w), opts)
}

// FetchZipToFile streams a finished zip to path (written as path.part, renamed when complete).
func (s *FilesService) FetchZipToFile(ctx context.Context, processID, path string, opts ...TransferOption) (*FetchedFile, error) {
	return s.fetchZip(ctx, processID, fileSink(path), opts)
}

func (s *FilesService) fetchZip(ctx context.Context, processID string, sink sink, opts []TransferOption) (*FetchedFile, error) {
	if err := checkProcessID(processID); err != nil {
		return nil, err
	}
	t, err := newTransfer(bassaapi.OpFetchZip, sink, opts)
	if err != nil {
		return nil, err
	}
	params := &bassaapi.FetchZipParams{Gid: processID}
	if t.share != "" {
		params.Share = &t.share
	}
	return s.c.transfer(ctx, t, func(server string) (*http.Request, error) {
		return bassaapi.NewFetchZipRequest(server, params)
	})
}

// Share returns a signed link token that lets anyone fetch this zip until it expires (an
// extension). expiresIn 0 takes the server's default; otherwise 1 minute to 7 days.
func (s *FilesService) Share(ctx context.Context, processID string, expiresIn time.Duration) (*ShareLink, error) {
	if err := checkProcessID(processID); err != nil {
		return nil, err
	}
	body := bassaapi.ShareRequest{Gid: processID}
	if expiresIn != 0 {
		seconds := int(expiresIn / time.Second)
		if seconds < 60 || seconds > 604800 {
			return nil, invalid("expiresIn must be 1 minute to 7 days: %s", expiresIn)
		}
		body.ExpiresIn = &seconds
	}
	ex, err := s.c.call(ctx, bassaapi.OpCreateShareLink, func(server string) (*http.Request, error) {
		return bassaapi.NewCreateShareLinkRequest(server, body)
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpCreateShareLink, bassaapi.ParseCreateShareLinkResponse,
		func(r *bassaapi.CreateShareLinkResponse) *ShareLink { return r.JSON200 })
}

// FetchedFile describes a file written to its destination.
type FetchedFile struct {
	// Size is the number of bytes written.
	Size int64
	// Path is where the file is, for the ...ToFile methods ("" otherwise).
	Path string
	// Filename is the name the server gave (Content-Disposition), if any.
	Filename string
	// ContentType is the server's Content-Type.
	ContentType string
}

// String gives the size and the server's file name.
func (f FetchedFile) String() string {
	return fmt.Sprintf("%d bytes (%s)", f.Size, f.Filename)
}
