package bassa

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error kinds, for [errors.Is]. They form the same tree as the Python SDK's exceptions:
//
//	ErrConnection             no response: refused, reset, DNS, broken stream
//	└── ErrTimeout            ... because a timeout or the deadline expired
//	*APIError                 the server answered 4xx/5xx (see its Kind)
//	├── ErrBadRequest         400
//	│   └── ErrQuotaExceeded  400 {"quota": "exceeded"}
//	├── ErrAuthentication     401, or 403 on login (bad credentials)
//	│   └── ErrToken          403 {"error": "token error"}: missing, bad or expired token
//	├── ErrPermission         403 {"error": "not authorized"}
//	├── ErrNotFound           404
//	│   └── ErrUnsupported    404 from a server that lacks an extension operation
//	├── ErrConflict           409
//	├── ErrRateLimited        429
//	└── ErrServer             5xx and unknown status codes
//	    └── ErrInsufficientStorage 507
//	ErrResponseValidation     a response the spec does not allow
//	ErrDownloadFailed         a waited-for download or zip failed
//	ErrWaitTimeout            a wait ran out of time
//	ErrInvalidArgument        a caller's mistake, reported before any I/O
var (
	ErrConnection          = errors.New("bassa: connection failed")
	ErrTimeout             = errors.New("bassa: timed out")
	ErrBadRequest          = errors.New("bassa: bad request")
	ErrQuotaExceeded       = errors.New("bassa: quota exceeded")
	ErrAuthentication      = errors.New("bassa: authentication failed")
	ErrToken               = errors.New("bassa: token error")
	ErrPermission          = errors.New("bassa: permission denied")
	ErrNotFound            = errors.New("bassa: not found")
	ErrUnsupported         = errors.New("bassa: operation not supported by this server")
	ErrConflict            = errors.New("bassa: conflict")
	ErrRateLimited         = errors.New("bassa: rate limited")
	ErrServer              = errors.New("bassa: server error")
	ErrInsufficientStorage = errors.New("bassa: insufficient storage")
	ErrResponseValidation  = errors.New("bassa: invalid response")
	ErrDownloadFailed      = errors.New("bassa: download failed")
	ErrWaitTimeout         = errors.New("bassa: wait timed out")
	ErrInvalidArgument     = errors.New("bassa: invalid argument")
)

// parents lists, for each kind, the kinds it also is.
var parents = map[error]error{
	ErrTimeout:             ErrConnection,
	ErrQuotaExceeded:       ErrBadRequest,
	ErrToken:               ErrAuthentication,
	ErrUnsupported:         ErrNotFound,
	ErrInsufficientStorage: ErrServer,
}

func isKind(kind, target error) bool {
	for k := kind; k != nil; k = parents[k] {
		if k == target {
			return true
		}
	}
	return false
}

// APIError is a 4xx or 5xx answer of the server.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Operation is the spec's operationId of the refused call.
	Operation string
	// Method and Path are the request's (never its query: it may carry a share token).
	Method, Path string
	// Message is the server's "error" text, if it sent one.
	Message string
	// Body is the raw response body.
	Body []byte
	// RetryAfter is the server's Retry-After as a duration; HasRetryAfter says whether it sent one.
	RetryAfter    time.Duration
	HasRetryAfter bool
	// AfterUnknownOutcome: an earlier attempt of the same call may have reached the server
	// (its answer was lost), so this answer may describe what that attempt did.
	AfterUnknownOutcome bool
	// Kind is the most specific error kind (ErrNotFound, ErrToken, ...); nil for a 4xx with
	// no kind of its own (408, 413, ...).
	Kind error

	retry retryVerdict
}

// Error describes the refusal: status, request and the server's message.
func (e *APIError) Error() string {
	text := http.StatusText(e.StatusCode)
	if text == "" {
		text = "Unknown Status"
	}
	msg := fmt.Sprintf("bassa: %d %s from %s %s", e.StatusCode, text, e.Method, e.Path)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is reports whether the error is of kind target (or of a kind below it).
func (e *APIError) Is(target error) bool { return isKind(e.Kind, target) }

// ConnectionError is a call that got no response: the connection failed or broke, or a
// timeout expired (then errors.Is(err, ErrTimeout) holds too).
type ConnectionError struct {
	// Operation is the spec's operationId.
	Operation string
	// Timeout: a per-attempt timeout or the call's deadline expired.
	Timeout bool
	// NotSent: the request provably never reached the server (the connection was never opened).
	NotSent bool
	// Err is the underlying network or context error.
	Err error

	retry retryVerdict
	final bool // the caller's context ended it: never retried
}

// Error describes the failure and the operation it hit.
func (e *ConnectionError) Error() string {
	what := "connection failed"
	if e.Timeout {
		what = "timed out"
	}
	return fmt.Sprintf("bassa: %s during %s: %v", what, e.Operation, e.Err)
}

// Is reports ErrConnection, and ErrTimeout for a timeout.
func (e *ConnectionError) Is(target error) bool {
	return target == ErrConnection || (e.Timeout && target == ErrTimeout)
}

// Unwrap returns the underlying error.
func (e *ConnectionError) Unwrap() error { return e.Err }

// ValidationError is a response the spec does not allow: an undecodable body, a missing token
// header, a file of the wrong size.
type ValidationError struct {
	Operation string
	Reason    string
	Err       error
}

// Error says what in the response breaks the spec.
func (e *ValidationError) Error() string {
	msg := fmt.Sprintf("bassa: invalid response to %s: %s", e.Operation, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports ErrResponseValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrResponseValidation }

// Unwrap returns the underlying error, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

// DownloadFailedError is a waited-for download (status 4, or its file removed) or zip job that
// failed; Reason is the server's word.
type DownloadFailedError struct {
	What   string
	Reason string
}

// Error names what failed and why.
func (e *DownloadFailedError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("bassa: %s failed: %s", e.What, reason)
}

// Is reports ErrDownloadFailed.
func (e *DownloadFailedError) Is(target error) bool { return target == ErrDownloadFailed }

// WaitTimeoutError is a wait for a download or a zip that ran out of time.
type WaitTimeoutError struct {
	What  string
	After time.Duration
}

// Error names what was not finished in time.
func (e *WaitTimeoutError) Error() string {
	return fmt.Sprintf("bassa: %s not finished after %s", e.What, e.After)
}

// Is reports ErrWaitTimeout.
func (e *WaitTimeoutError) Is(target error) bool { return target == ErrWaitTimeout }

// Timeout reports true, like the standard library's timeout errors.
func (e *WaitTimeoutError) Timeout() bool { return true }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// errorBody is the spec's Error schema, read leniently.
type errorBody struct {
	Error *string `json:"error"`
	Quota *string `json:"quota"`
}

// statusError builds the APIError for a 4xx/5xx response whose body was read.
func statusError(resp *http.Response, body []byte, op string, extension bool, now time.Time) *APIError {
	e := &APIError{
		StatusCode: resp.StatusCode,
		Operation:  op,
		Method:     resp.Request.Method,
		Path:       resp.Request.URL.Path,
		Body:       body,
	}
	var parsed errorBody
	hasDetail := json.Unmarshal(body, &parsed) == nil && parsed.Error != nil
	if hasDetail {
		e.Message = *parsed.Error
	}
	e.RetryAfter, e.HasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	status := resp.StatusCode
	switch {
	case status == 403 && e.Message == "token error":
		e.Kind = ErrToken
	case status == 403 && op == "login":
		e.Kind = ErrAuthentication
	case status == 403:
		e.Kind = ErrPermission
	case status == 400 && parsed.Quota != nil && *parsed.Quota == "exceeded":
		e.Kind = ErrQuotaExceeded
	case status == 400:
		e.Kind = ErrBadRequest
	case status == 401:
		e.Kind = ErrAuthentication
	case status == 404 && extension && !hasDetail:
		e.Kind = ErrUnsupported
		e.Message = "this server does not implement " + op + " (a Bassa extension); upgrade it"
	case status == 404:
		e.Kind = ErrNotFound
	case status == 409:
		e.Kind = ErrConflict
	case status == 429:
		e.Kind = ErrRateLimited
	case status == 507:
		e.Kind = ErrInsufficientStorage
	case status >= 500 || http.StatusText(status) == "":
		e.Kind = ErrServer
	}
	// any other 4xx (408, 413, ...) has no kind of its own: inspect StatusCode
	return e
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date (relative to now).
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseFloat(value, 64); err == nil {
		if seconds != seconds || seconds > 1e9 || seconds < -1e9 { // NaN and absurd values
			return 0, false
		}
		return max(0, time.Duration(seconds*float64(time.Second))), true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(0, when.Sub(now)), true
}
