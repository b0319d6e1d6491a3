package bassa

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// sessionState is the token of one signed-in user, shared by a client and the clients derived
// from it. Its String never shows the token.
type sessionState struct {
	mu       sync.RWMutex
	token    string
	userName string
	password string // kept only with WithAutoRelogin
	keep     bool
}

func (s *sessionState) current() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.token
}

// renew keeps a token the server sent (ignoring a missing or empty header).
func (s *sessionState) renew(token string) {
	if token == "" {
		return
	}
	s.mu.Lock()
	s.token = token
	s.mu.Unlock()
}

func (s *sessionState) signedIn(token, userName, password string, keep bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.userName, s.password, s.keep = token, userName, "", keep
	if keep {
		s.password = password
	}
}

func (s *sessionState) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.userName, s.password, s.keep = "", "", "", false
}

func (s *sessionState) hasCredentials() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keep && s.userName != ""
}

func (s *sessionState) credentials() (string, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.userName, s.password
}

func (s *sessionState) String() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	state := "signed out"
	if s.token != "" {
		state = "signed in"
	}
	if s.userName != "" {
		state += fmt.Sprintf(" as %q", s.userName)
	}
	return "<session " + state + ">"
}

// SessionService signs in and out: Client.Session.
type SessionService struct{ c *Client }

// Login signs in; the token is kept, renewed from every response, and sent with every request.
// LoginResult.Auth "0" means an admin.
func (s *SessionService) Login(ctx context.Context, userName, password string) (*LoginResult, error) {
	if userName == "" || password == "" {
		return nil, invalid("user name and password must not be empty")
	}
	form := bassaapi.LoginForm{UserName: userName, Password: password}
	ex, err := s.c.call(ctx, bassaapi.OpLogin, func(server string) (*http.Request, error) {
		return bassaapi.NewLoginRequestWithFormdataBody(server, form)
	})
	if err != nil {
		return nil, err
	}
	result, err := decode(ex, bassaapi.OpLogin, bassaapi.ParseLoginResponse,
		func(r *bassaapi.LoginResponse) *LoginResult { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	token := ex.resp.Header.Get(bassaapi.TokenHeader)
	if token == "" {
		return nil, &ValidationError{Operation: bassaapi.OpLogin, Reason: "login succeeded but sent no token header"}
	}
	s.c.state.signedIn(token, userName, password, s.c.cfg.autoRelogin)
	return result, nil
}

func (s *SessionService) relogin(ctx context.Context) error {
	user, password := s.c.state.credentials()
	_, err := s.Login(ctx, user, password)
	return err
}

// SignUp asks for an account; an admin must approve it before it can sign in.
func (s *SessionService) SignUp(ctx context.Context, userName, password, email string) error {
	if userName == "" || password == "" || email == "" {
		return invalid("user name, password and email must not be empty")
	}
	body := bassaapi.SignUpRequest{UserName: userName, Password: password, Email: email}
	_, err := s.c.call(ctx, bassaapi.OpSignUp, func(server string) (*http.Request, error) {
		return bassaapi.NewSignUpRequest(server, body)
	})
	return err
}

// EndEverywhere ends every session of the signed-in user, on every device, at once; this
// client carries on with the one new session the answer brings (an extension: ErrUnsupported on
// a legacy server).
func (s *SessionService) EndEverywhere(ctx context.Context) error {
	_, err := s.c.call(ctx, bassaapi.OpEndOwnSessions, bassaapi.NewEndOwnSessionsRequest)
	return err
}

// Logout forgets the token (and any password kept for re-login); no request is sent.
func (s *SessionService) Logout() { s.c.state.clear() }

// Token is the current session token ("" when signed out). Treat it as a secret.
func (s *SessionService) Token() string { return s.c.state.current() }

// UserName is who signed in with Login on this client ("" if nobody did).
func (s *SessionService) UserName() string {
	user, _ := s.c.state.credentials()
	return user
}

// String describes the session without its token.
func (s *SessionService) String() string { return s.c.state.String() }
