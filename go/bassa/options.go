package bassa

import (
	"log/slog"
	"math"
	"net/http"
	"time"
)

// Defaults; each can be changed with the Option of the same name.
const (
	// DefaultTimeout bounds each attempt's wait for the server: for the response to start, and
	// then between two reads of its body.
	DefaultTimeout = 30 * time.Second
	// DefaultConnectTimeout bounds opening a connection (for the http.Client NewClient builds).
	DefaultConnectTimeout = 5 * time.Second
	// DefaultMaxAttempts is the number of attempts per call, the first one included.
	DefaultMaxAttempts = 3
	// DefaultRetryDeadline bounds a whole call, retries and waits included (a file transfer:
	// no new attempt starts after it).
	DefaultRetryDeadline = 60 * time.Second
	// DefaultWaitInitial and DefaultWaitMax bound the exponential backoff between attempts.
	DefaultWaitInitial = 500 * time.Millisecond
	DefaultWaitMax     = 8 * time.Second
	// DefaultMaxRetryAfter: a Retry-After longer than this fails the call at once.
	DefaultMaxRetryAfter = 60 * time.Second
	// DefaultPollInterval is the time between two polls of a wait.
	DefaultPollInterval = time.Second
	// DefaultWaitTimeout bounds a wait for a download or a zip.
	DefaultWaitTimeout = time.Hour
	// DefaultChunkSize is the buffer a file transfer copies through.
	DefaultChunkSize = 256 * 1024
)

// Environment variables NewClient reads.
const (
	EnvURL   = "BASSA_URL"
	EnvToken = "BASSA_TOKEN"
)

// Option configures a Client (see NewClient and Client.With).
type Option func(*config) error

type config struct {
	httpClient    *http.Client
	timeout       time.Duration
	maxAttempts   int
	retryDeadline time.Duration
	waitInitial   time.Duration
	waitMax       time.Duration
	maxRetryAfter time.Duration
	rate          float64
	burst         int
	token         string
	serverKey     string
	autoRelogin   bool
	logger        *slog.Logger
}

func defaultConfig() config {
	return config{
		timeout:       DefaultTimeout,
		maxAttempts:   DefaultMaxAttempts,
		retryDeadline: DefaultRetryDeadline,
		waitInitial:   DefaultWaitInitial,
		waitMax:       DefaultWaitMax,
		maxRetryAfter: DefaultMaxRetryAfter,
	}
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return invalid("%s must be positive: %s", name, d)
	}
	return nil
}

// WithHTTPClient sends requests through hc (its Transport, proxy, TLS settings). Its Timeout
// may be zero: the client's own timeouts apply whatever hc says.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return invalid("nil http.Client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithTimeout sets how long each attempt waits for the response to start and, after that,
// between two reads of its body.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error { c.timeout = d; return positive("timeout", d) }
}

// WithMaxAttempts sets the attempts per call, the first one included (1: no retries).
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("max attempts must be at least 1: %d", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithRetryDeadline bounds a whole call, retries and the waits between them included.
func WithRetryDeadline(d time.Duration) Option {
	return func(c *config) error { c.retryDeadline = d; return positive("retry deadline", d) }
}

// WithBackoff sets the first wait between attempts (doubled after each failure, plus a random
// jitter of up to the first wait, at most 1 s) and the longest wait.
func WithBackoff(initial, maxWait time.Duration) Option {
	return func(c *config) error {
		if initial < 0 || maxWait < initial {
			return invalid("backoff needs 0 <= initial <= max: %s, %s", initial, maxWait)
		}
		c.waitInitial, c.waitMax = initial, maxWait
		return nil
	}
}

// WithMaxRetryAfter sets the longest Retry-After the client waits for; a longer one (or one
// beyond the call's deadline) fails the call at once with the server's error.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("max retry-after must not be negative: %s", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithRateLimit paces every attempt of every goroutine of the client (and of clients derived
// with Client.With) to perSecond on average, at most burst at once. A 429 with Retry-After
// pauses the whole bucket.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(c *config) error {
		if !(perSecond > 0) || math.IsInf(perSecond, 0) || burst < 1 {
			return invalid("rate limit needs a positive finite rate and a burst of at least 1")
		}
		c.rate, c.burst = perSecond, burst
		return nil
	}
}

// WithoutRateLimit turns a rate limit off (for a client derived with Client.With).
func WithoutRateLimit() Option {
	return func(c *config) error { c.rate, c.burst = 0, 0; return nil }
}

// WithToken starts the client signed in with a session token from an earlier login.
func WithToken(token string) Option {
	return func(c *config) error { c.token = token; return nil }
}

// WithServerKey sets the server key the queue operations send.
func WithServerKey(key string) Option {
	return func(c *config) error { c.serverKey = key; return nil }
}

// WithAutoRelogin keeps the password given to Session.Login so that a call refused with a
// token error (an expired session) signs in again once and is repeated.
func WithAutoRelogin(on bool) Option {
	return func(c *config) error { c.autoRelogin = on; return nil }
}

// WithLogger sends the client's retry and failure messages to logger (default: slog.Default(),
// at warning level for retries). Tokens, passwords and query strings are never logged.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) error {
		if logger == nil {
			return invalid("nil logger")
		}
		c.logger = logger
		return nil
	}
}

func (c *config) apply(opts []Option) error {
	for _, opt := range opts {
		if opt == nil {
			return invalid("nil option")
		}
		if err := opt(c); err != nil {
			return err
		}
	}
	return nil
}
