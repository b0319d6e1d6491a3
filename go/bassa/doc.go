// Package bassa is the Go client of the Bassa download queue: sign in, queue links, wait for
// the server's download engine to fetch them, and stream the finished files (one by one or
// zipped) to disk.
//
// A [Client] groups the API by resource, as fields: [Client.Session], [Client.Downloads],
// [Client.Users], [Client.Queue] and [Client.Files]. Every method takes a [context.Context]
// first. The client is safe for concurrent use by many goroutines.
//
//	client, err := bassa.NewClient("http://127.0.0.1:5000")
//	if err != nil { ... }
//	if _, err := client.Session.Login(ctx, "alice", "secret"); err != nil { ... }
//	created, err := client.Downloads.Add(ctx, "https://www.example.org/report.pdf")
//
// # Resilience
//
// Every attempt has a finite timeout ([WithTimeout], default 30 s) and every call an overall
// deadline ([WithRetryDeadline], default 60 s), whatever [http.Client] is passed in; a
// shorter deadline on the context always wins. Failed attempts are retried ([WithMaxAttempts],
// default 3 attempts) with exponential backoff and jitter: a connection that could not be opened
// is retried for every call; a timeout, a broken connection, 408, 429 and 5xx only for calls that
// are safe to repeat (GET, HEAD, PUT, DELETE and the POSTs the spec marks
// x-bassa-safe-to-retry). A Retry-After longer than [WithMaxRetryAfter] fails the call at once.
// An optional token bucket ([WithRateLimit]) paces every attempt of every goroutine.
//
// # Errors
//
// Failures are inspected with [errors.Is] against the sentinel kinds ([ErrNotFound],
// [ErrToken], [ErrServer], [ErrTimeout], ...) and with [errors.As] against [*APIError] for the
// status, body and Retry-After of a refused request.
package bassa
