package bassa

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// The retry rules, the same as the Python SDK's:
//
//   - a connection that could not be opened (dial or DNS failure, connect timeout) is retried for
//     every call: the request never reached the server;
//   - a timeout, a connection broken mid-exchange, 408, 429 and 5xx are retried only when the call
//     is safe to repeat (bassaapi.Operation.SafeToRetry, generated from the spec);
//   - anything else is final.
//
// Each attempt decides its own error's verdict (it knows the operation, the call's deadline and
// the cap on Retry-After), so one failsafe-go RetryPolicy per client serves every call: it reads
// the verdict, counts attempts, computes the waits and honours the context.

// retryVerdict is what an attempt decided about its failure.
type retryVerdict struct {
	retry bool
}

func verdictOf(err error) retryVerdict {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.retry
	}
	var connErr *ConnectionError
	if errors.As(err, &connErr) {
		return connErr.retry
	}
	return retryVerdict{}
}

type retrier struct {
	policy retrypolicy.RetryPolicy[any]
}

func newRetrier(c *Client) *retrier {
	cfg := c.cfg
	log := c.log
	return &retrier{policy: retrypolicy.NewBuilder[any]().
		HandleIf(func(_ any, err error) bool { return verdictOf(err).retry }).
		WithMaxAttempts(cfg.maxAttempts).
		WithMaxDuration(cfg.retryDeadline).
		WithDelayFunc(func(exec failsafe.ExecutionAttempt[any]) time.Duration {
			return backoff(cfg, exec.Attempts(), exec.LastError())
		}).
		ReturnLastFailure().
		OnRetryScheduled(func(e failsafe.ExecutionScheduledEvent[any]) {
			log.Warn("bassa: retrying", "operation", operationOf(e.LastError()),
				"attempt", e.Attempts(), "of", cfg.maxAttempts, "delay", e.Delay,
				"reason", describe(e.LastError()))
		}).
		Build()}
}

// backoff is the wait after the attempts-th failure: the server's Retry-After when it sent one,
// else exponential from waitInitial, capped at waitMax, plus a jitter.
func backoff(cfg config, attempts int, last error) time.Duration {
	var apiErr *APIError
	if errors.As(last, &apiErr) && apiErr.HasRetryAfter {
		return apiErr.RetryAfter
	}
	wait := cfg.waitInitial
	for i := 1; i < attempts && wait < cfg.waitMax; i++ {
		wait *= 2
	}
	if jitter := min(cfg.waitInitial, time.Second); jitter > 0 {
		wait += rand.N(jitter)
	}
	return min(wait, cfg.waitMax)
}

func operationOf(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Operation
	}
	var connErr *ConnectionError
	if errors.As(err, &connErr) {
		return connErr.Operation
	}
	return ""
}

func describe(err error) string {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return http.StatusText(apiErr.StatusCode)
	}
	if errors.Is(err, ErrTimeout) {
		return "timeout"
	}
	return "connection failed"
}

// callState is one call's memory across its attempts.
type callState struct {
	op       bassaapi.Operation
	deadline time.Time
	// uncertain: an earlier attempt may have reached the server without its answer arriving
	uncertain bool
}

// failed decides whether err deserves another attempt and records what it says about the
// server having seen the request.
func (st *callState) failed(c *Client, err error) error {
	switch e := err.(type) {
	case *ConnectionError:
		e.retry.retry = !e.final && (e.NotSent || st.op.SafeToRetry)
		st.uncertain = st.uncertain || !e.NotSent
	case *APIError:
		e.AfterUnknownOutcome = st.uncertain
		status := e.StatusCode
		e.retry.retry = st.op.SafeToRetry && (status == 408 || status == 429 || status >= 500)
		if e.retry.retry && e.HasRetryAfter {
			allowed := min(c.cfg.maxRetryAfter, time.Until(st.deadline))
			if e.RetryAfter > allowed {
				c.log.Warn("bassa: not retrying: the server asks to wait longer than allowed",
					"operation", e.Operation, "retry_after", e.RetryAfter, "allowed", max(allowed, 0))
				e.retry.retry = false
			}
		}
		// 408 and 429 say the request was not processed; a 5xx may come after the work was done
		st.uncertain = st.uncertain || status >= 500
	}
	return err
}

// attemptFunc runs one attempt under ctx (cancelled by the idle timer or the caller).
type attemptFunc func(ctx context.Context, st *callState, watch *idleWatch) error

// run calls attempt until it succeeds, its error is final, or attempts or deadline run out.
// bounded: the call's context gets the retry deadline (not for file transfers, whose attempts
// may last long; for them the deadline only stops new attempts).
func (c *Client) run(ctx context.Context, opID string, bounded bool, attempt attemptFunc) error {
	op, ok := bassaapi.Operations[opID]
	if !ok {
		panic("bassa: unknown operation " + opID)
	}
	st := &callState{op: op, deadline: time.Now().Add(c.cfg.retryDeadline)}
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, st.deadline)
		defer cancel()
	}
	if d, ok := ctx.Deadline(); ok && d.Before(st.deadline) {
		st.deadline = d
	}
	var last error
	err := failsafe.With[any](c.retrier.policy).WithContext(ctx).Run(func() error {
		if err := ctx.Err(); err != nil {
			return c.contextError(opID, err)
		}
		watch := newIdleWatch(ctx, c.cfg.timeout)
		defer watch.stop()
		err := attempt(watch.ctx, st, watch)
		if err != nil {
			err = st.failed(c, c.classify(ctx, opID, watch, err))
			last = err
		}
		return err
	})
	if err == nil {
		return nil
	}
	if verdictOf(err) == (retryVerdict{}) && last != nil && !isOurs(err) {
		// the caller's context or the deadline ended a wait between attempts: report the
		// failure that caused the wait
		return last
	}
	if !isOurs(err) {
		return c.contextError(opID, err)
	}
	return err
}

func isOurs(err error) bool {
	var apiErr *APIError
	var connErr *ConnectionError
	var valErr *ValidationError
	var sinkErr *sinkError
	return errors.As(err, &apiErr) || errors.As(err, &connErr) || errors.As(err, &valErr) ||
		errors.As(err, &sinkErr) || errors.Is(err, ErrInvalidArgument)
}

func (c *Client) contextError(opID string, err error) *ConnectionError {
	return &ConnectionError{Operation: opID, Timeout: errors.Is(err, context.DeadlineExceeded), Err: err, final: true}
}

// classify turns what an attempt returned into the error tree.
func (c *Client) classify(ctx context.Context, opID string, watch *idleWatch, err error) error {
	if isOurs(err) {
		return err
	}
	if ctx.Err() != nil { // the caller's context or the call's deadline
		return c.contextError(opID, ctx.Err())
	}
	notSent := neverSent(err)
	if watch.fired.Load() {
		return &ConnectionError{Operation: opID, Timeout: true, NotSent: notSent, Err: err}
	}
	var netErr net.Error
	timeout := errors.As(err, &netErr) && netErr.Timeout()
	return &ConnectionError{Operation: opID, Timeout: timeout, NotSent: notSent, Err: err}
}

// neverSent reports a failure to open the connection: nothing of the request left the client.
func neverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// idleWatch cancels an attempt when the server keeps it waiting longer than the timeout: for
// the response to start, or between two reads of its body.
type idleWatch struct {
	ctx     context.Context
	cancel  context.CancelFunc
	timer   *time.Timer
	timeout time.Duration
	fired   atomic.Bool
}

func newIdleWatch(parent context.Context, timeout time.Duration) *idleWatch {
	w := &idleWatch{timeout: timeout}
	w.ctx, w.cancel = context.WithCancel(parent)
	w.timer = time.AfterFunc(timeout, func() {
		w.fired.Store(true)
		w.cancel()
	})
	return w
}

// alive restarts the timeout: the server just sent something.
func (w *idleWatch) alive() { w.timer.Reset(w.timeout) }

func (w *idleWatch) stop() {
	w.timer.Stop()
	w.cancel()
}
