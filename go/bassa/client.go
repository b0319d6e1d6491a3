package bassa

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
	"golang.org/x/time/rate"
)

// Client talks to one Bassa server. Its resources are fields; it is safe for concurrent use.
type Client struct {
	// Session signs in and out.
	Session *SessionService
	// Downloads queues links and follows them.
	Downloads *DownloadsService
	// Users administers users (admins only).
	Users *UsersService
	// Queue starts and stops the download engine.
	Queue *QueueService
	// Files fetches finished files and zips, and shares zips.
	Files *FilesService

	cfg     config
	base    string
	http    *http.Client
	state   *sessionState
	limiter *limiter
	retrier *retrier
	log     *slog.Logger
}

// NewClient returns a client of the server at baseURL (BASSA_URL when empty). The token comes
// from WithToken, else from BASSA_TOKEN.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = os.Getenv(EnvURL)
	}
	base, err := checkBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	cfg := defaultConfig()
	cfg.token = os.Getenv(EnvToken)
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, base: base, state: &sessionState{}}
	c.state.renew(cfg.token)
	c.cfg.token = "" // the session holds it from now on
	if cfg.rate > 0 {
		c.limiter = newLimiter(cfg.rate, cfg.burst)
	}
	c.attach()
	return c, nil
}

func checkBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", invalid("no server URL: pass one or set %s", EnvURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalid("the server URL must be an http(s) URL with a host: %q", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// defaultHTTPClient has a finite connect timeout; Timeout stays zero because the client bounds
// every attempt itself (a total timeout would cut long file transfers).
func defaultHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: DefaultConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.MaxIdleConnsPerHost = 20
	return &http.Client{Transport: transport}
}

var sharedHTTPClient = defaultHTTPClient()

func (c *Client) attach() {
	c.http = c.cfg.httpClient
	if c.http == nil {
		c.http = sharedHTTPClient
	}
	c.log = c.cfg.logger
	if c.log == nil {
		c.log = slog.Default()
	}
	c.retrier = newRetrier(c)
	c.Session = &SessionService{c: c}
	c.Downloads = &DownloadsService{c: c}
	c.Users = &UsersService{c: c}
	c.Queue = &QueueService{c: c}
	c.Files = &FilesService{c: c}
}

// With returns a new client with some options changed. It shares this client's session (a
// login on either signs both in) and, unless the rate limit changed, its rate limiter.
func (c *Client) With(opts ...Option) (*Client, error) {
	cfg := c.cfg
	if err := cfg.apply(opts); err != nil {
		return nil, err
	}
	d := &Client{cfg: cfg, base: c.base, state: c.state, limiter: c.limiter}
	if cfg.token != "" { // WithToken on a derived client signs the shared session in
		d.state.renew(cfg.token)
		d.cfg.token = ""
	}
	if cfg.rate != c.cfg.rate || cfg.burst != c.cfg.burst {
		d.limiter = nil
		if cfg.rate > 0 {
			d.limiter = newLimiter(cfg.rate, cfg.burst)
		}
	}
	d.attach()
	return d, nil
}

// BaseURL is the server's URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// String describes the client without its token or server key.
func (c *Client) String() string {
	return fmt.Sprintf("bassa.Client(%s, %s)", c.base, c.state)
}

// GoString is String: %#v must not print the server key either.
func (c *Client) GoString() string { return c.String() }

// prepare adds what every request carries: the session token and the User-Agent.
func (c *Client) prepare(req *http.Request) {
	req.Header.Set("User-Agent", userAgent)
	if token := c.state.current(); token != "" && req.Header.Get(bassaapi.TokenHeader) == "" {
		req.Header.Set(bassaapi.TokenHeader, token)
	}
}

// saw takes what every response gives: a renewed token, and a 429's pause for the limiter.
func (c *Client) saw(resp *http.Response, started time.Time) {
	c.state.renew(resp.Header.Get(bassaapi.TokenHeader))
	if resp.StatusCode == http.StatusTooManyRequests && c.limiter != nil {
		if pause, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && pause > 0 {
			c.limiter.pause(pause)
		}
	}
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("bassa: response", "method", resp.Request.Method,
			"path", resp.Request.URL.Path, // never the query: it may carry a share token
			"status", resp.StatusCode, "elapsed", time.Since(started))
	}
}

// limiter is the client's token bucket (golang.org/x/time/rate) with a pause for Retry-After.
type limiter struct {
	bucket *rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{bucket: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

func (l *limiter) wait(ctx context.Context) error { return l.bucket.Wait(ctx) }

// pause holds every request for d, with no burst after it: the bucket is drawn down (below
// zero if need be) so that the next token comes when the pause ends. Each reservation takes at
// most a burst, so a long pause needs several.
func (l *limiter) pause(d time.Duration) {
	now := time.Now()
	excess := l.bucket.TokensAt(now) + d.Seconds()*float64(l.bucket.Limit()) - 1
	for excess >= 1 {
		n := min(int(excess), l.bucket.Burst())
		l.bucket.ReserveN(now, n)
		excess -= float64(n)
	}
}
