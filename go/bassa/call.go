package bassa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// requestBuilder is a generated New<Operation>Request, bound to its arguments.
type requestBuilder func(server string) (*http.Request, error)

// exchange is a JSON call's successful answer, its body read.
type exchange struct {
	resp *http.Response
	body []byte
}

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 1 << 20

// call runs one JSON operation with retries and, when allowed, one re-login after a token error.
func (c *Client) call(ctx context.Context, opID string, build requestBuilder) (*exchange, error) {
	ex, err := c.callOnce(ctx, opID, build)
	if err != nil && c.reloginAllowed(opID, err) {
		if lerr := c.Session.relogin(ctx); lerr != nil {
			return nil, lerr
		}
		ex, err = c.callOnce(ctx, opID, build)
	}
	return ex, err
}

func (c *Client) callOnce(ctx context.Context, opID string, build requestBuilder) (*exchange, error) {
	var result *exchange
	err := c.run(ctx, opID, true, func(actx context.Context, st *callState, watch *idleWatch) error {
		resp, err := c.send(actx, opID, build, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(watchedBody{resp.Body, watch})
		if err != nil {
			return err
		}
		if failed(resp.StatusCode) {
			return statusError(resp, body, opID, st.op.Extension, time.Now())
		}
		result = &exchange{resp: resp, body: body}
		return nil
	})
	return result, err
}

// send makes and sends one attempt's request (after the rate limiter lets it go).
func (c *Client) send(ctx context.Context, opID string, build requestBuilder, header http.Header) (*http.Response, error) {
	req, err := build(c.base)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidArgument, opID, err)
	}
	if c.limiter != nil {
		if err := c.limiter.wait(ctx); err != nil {
			// the context ends before the limiter would let the request go
			e := c.contextError(opID, context.DeadlineExceeded)
			e.Err = err
			return nil, e
		}
	}
	req = req.WithContext(ctx)
	for name, values := range header {
		req.Header[name] = values
	}
	c.prepare(req)
	started := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	c.saw(resp, started)
	return resp, nil
}

// failed: a 4xx/5xx, or a status code outside the standard ones.
func failed(status int) bool {
	return status >= 400 || http.StatusText(status) == ""
}

// readErrorBody reads (a bounded part of) an error answer.
func readErrorBody(resp *http.Response, watch *idleWatch) []byte {
	body, _ := io.ReadAll(io.LimitReader(watchedBody{resp.Body, watch}, maxErrorBody))
	return body
}

// watchedBody restarts the attempt's idle timeout whenever bytes arrive, and hides the body's
// WriterTo so that copies go through its Read.
type watchedBody struct {
	r     io.Reader
	watch *idleWatch
}

func (b watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.watch.alive()
	}
	return n, err
}

// decode parses a successful answer with the generated parser and picks the expected model.
func decode[R any, T any](ex *exchange, opID string, parse func(*http.Response) (*R, error), pick func(*R) *T) (*T, error) {
	ex.resp.Body = io.NopCloser(bytes.NewReader(ex.body))
	parsed, err := parse(ex.resp)
	if err != nil {
		return nil, &ValidationError{Operation: opID, Reason: "undecodable body", Err: err}
	}
	value := pick(parsed)
	if value == nil {
		return nil, &ValidationError{Operation: opID, Reason: fmt.Sprintf(
			"expected %T in a %d %s response", value, ex.resp.StatusCode, ex.resp.Header.Get("Content-Type"))}
	}
	return value, nil
}

// decodePage is decode for a list page: its rows and the Bassa-Next-Cursor it carries ("" for
// none).
func decodePage[R any, T any](ex *exchange, opID string, parse func(*http.Response) (*R, error), pick func(*R) *[]T) ([]T, string, error) {
	rows, err := decode(ex, opID, parse, pick)
	if err != nil {
		return nil, "", err
	}
	return *rows, ex.resp.Header.Get(nextCursorHeader), nil
}

// reloginAllowed: a token error, the client keeps credentials, and the call is not login itself.
func (c *Client) reloginAllowed(opID string, err error) bool {
	return c.cfg.autoRelogin && opID != bassaapi.OpLogin && errors.Is(err, ErrToken) && c.state.hasCredentials()
}

// deletedEarlier: a DELETE's 404 that only means an earlier attempt of the same call, whose
// answer was lost, did the delete (so the call succeeded).
func (c *Client) deletedEarlier(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && apiErr.AfterUnknownOutcome {
		c.log.Info("bassa: an earlier attempt's answer was lost; the retry found it gone: deleted",
			"operation", apiErr.Operation)
		return true
	}
	return false
}
