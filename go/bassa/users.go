package bassa

import (
	"context"
	"iter"
	"net/http"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// UsersService administers users: Client.Users. Every call needs an admin's session.
type UsersService struct{ c *Client }

func checkLevel(level int) error {
	if level < 0 || level > 127 {
		return invalid("level must be from 0 (admin) to 127: %d", level)
	}
	return nil
}

func checkUser(name string) error {
	if name == "" {
		return invalid("user name must not be empty")
	}
	return nil
}

// List returns the users that are not blocked, approved or not, by name (a current server
// sends at most 100: All reads them all).
func (s *UsersService) List(ctx context.Context) ([]UserSummary, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListUsers, func(server string) (*http.Request, error) {
		return bassaapi.NewListUsersRequest(server, nil)
	})
	if err != nil {
		return nil, err
	}
	rows, err := decode(ex, bassaapi.OpListUsers, bassaapi.ParseListUsersResponse,
		func(r *bassaapi.ListUsersResponse) *[]UserSummary { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	return *rows, nil
}

// UserPageSize is how many users All, AllBlocked and AllRequests ask for in one request.
const UserPageSize = 100

// All iterates over every user that is not blocked, by name, UserPageSize a request, following
// the server's cursor (a legacy server answers all of them in one request). A failed request
// ends the iteration with its error.
func (s *UsersService) All(ctx context.Context) iter.Seq2[UserSummary, error] {
	return userPages(ctx, s.c, bassaapi.OpListUsers,
		func(server string, limit *int, cursor *string) (*http.Request, error) {
			return bassaapi.NewListUsersRequest(server, &bassaapi.ListUsersParams{Limit: limit, Cursor: cursor})
		},
		bassaapi.ParseListUsersResponse,
		func(r *bassaapi.ListUsersResponse) *[]UserSummary { return r.JSON200 })
}

// AllBlocked iterates over every blocked user, by name, like All.
func (s *UsersService) AllBlocked(ctx context.Context) iter.Seq2[UserSummary, error] {
	return userPages(ctx, s.c, bassaapi.OpListBlockedUsers,
		func(server string, limit *int, cursor *string) (*http.Request, error) {
			return bassaapi.NewListBlockedUsersRequest(server, &bassaapi.ListBlockedUsersParams{Limit: limit, Cursor: cursor})
		},
		bassaapi.ParseListBlockedUsersResponse,
		func(r *bassaapi.ListBlockedUsersResponse) *[]UserSummary { return r.JSON200 })
}

// AllRequests iterates over every user waiting for approval, by name, like All.
func (s *UsersService) AllRequests(ctx context.Context) iter.Seq2[SignupRequest, error] {
	return userPages(ctx, s.c, bassaapi.OpListSignupRequests,
		func(server string, limit *int, cursor *string) (*http.Request, error) {
			return bassaapi.NewListSignupRequestsRequest(server, &bassaapi.ListSignupRequestsParams{Limit: limit, Cursor: cursor})
		},
		bassaapi.ParseListSignupRequestsResponse,
		func(r *bassaapi.ListSignupRequestsResponse) *[]SignupRequest { return r.JSON200 })
}

// userPages yields the rows of the user list `opID` page after page, UserPageSize a request
// (`request` builds one from the limit and the cursor), while the server sends a cursor.
func userPages[R, T any](
	ctx context.Context, c *Client, opID string,
	request func(server string, limit *int, cursor *string) (*http.Request, error),
	parse func(*http.Response) (*R, error), pick func(*R) *[]T,
) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		limit := UserPageSize
		var cursor *string
		for {
			ex, err := c.call(ctx, opID, func(server string) (*http.Request, error) {
				return request(server, &limit, cursor)
			})
			var rows []T
			next := ""
			if err == nil {
				rows, next, err = decodePage(ex, opID, parse, pick)
			}
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, row := range rows {
				if !yield(row, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			cursor = &next
		}
	}
}

// Add creates an approved user; level 0 makes an admin (users are 1).
func (s *UsersService) Add(ctx context.Context, userName, password, email string, level int) error {
	if userName == "" || password == "" || email == "" {
		return invalid("user name, password and email must not be empty")
	}
	if err := checkLevel(level); err != nil {
		return err
	}
	body := bassaapi.NewUser{UserName: userName, Password: password, Email: email, Auth: level}
	_, err := s.c.call(ctx, bassaapi.OpAddUser, func(server string) (*http.Request, error) {
		return bassaapi.NewAddUserRequest(server, body)
	})
	return err
}

// Update changes the given (non-nil) fields of a user; renaming ends their sessions.
func (s *UsersService) Update(ctx context.Context, username string, update UserUpdate) error {
	if err := checkUser(username); err != nil {
		return err
	}
	if update.UserName == nil && update.Password == nil && update.Auth == nil && update.Email == nil {
		return invalid("update needs at least one field to change")
	}
	if update.Auth != nil {
		if err := checkLevel(*update.Auth); err != nil {
			return err
		}
	}
	_, err := s.c.call(ctx, bassaapi.OpUpdateUser, func(server string) (*http.Request, error) {
		return bassaapi.NewUpdateUserRequest(server, username, update)
	})
	return err
}

// Delete deletes a user with their download records and ratings. A retry answered 404 after
// an attempt whose answer was lost counts as deleted.
func (s *UsersService) Delete(ctx context.Context, username string) error {
	if err := checkUser(username); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpDeleteUser, func(server string) (*http.Request, error) {
		return bassaapi.NewDeleteUserRequest(server, username)
	})
	if err != nil && s.c.deletedEarlier(err) {
		return nil
	}
	return err
}

// Requests returns the users waiting for approval, by name.
func (s *UsersService) Requests(ctx context.Context) ([]SignupRequest, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListSignupRequests, func(server string) (*http.Request, error) {
		return bassaapi.NewListSignupRequestsRequest(server, nil)
	})
	if err != nil {
		return nil, err
	}
	rows, err := decode(ex, bassaapi.OpListSignupRequests, bassaapi.ParseListSignupRequestsResponse,
		func(r *bassaapi.ListSignupRequestsResponse) *[]SignupRequest { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	return *rows, nil
}

// Approve lets a signed-up user sign in.
func (s *UsersService) Approve(ctx context.Context, username string) error {
	if err := checkUser(username); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpApproveUser, func(server string) (*http.Request, error) {
		return bassaapi.NewApproveUserRequest(server, username)
	})
	return err
}

// Blocked returns the blocked users, by name.
func (s *UsersService) Blocked(ctx context.Context) ([]UserSummary, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListBlockedUsers, func(server string) (*http.Request, error) {
		return bassaapi.NewListBlockedUsersRequest(server, nil)
	})
	if err != nil {
		return nil, err
	}
	rows, err := decode(ex, bassaapi.OpListBlockedUsers, bassaapi.ParseListBlockedUsersResponse,
		func(r *bassaapi.ListBlockedUsersResponse) *[]UserSummary { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	return *rows, nil
}

// Block blocks a user: their sign-in and every token already issued stop working.
func (s *UsersService) Block(ctx context.Context, username string) error {
	if err := checkUser(username); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpBlockUser, func(server string) (*http.Request, error) {
		return bassaapi.NewBlockUserRequest(server, username)
	})
	return err
}

// Unblock unblocks a user.
func (s *UsersService) Unblock(ctx context.Context, username string) error {
	if err := checkUser(username); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpUnblockUser, func(server string) (*http.Request, error) {
		return bassaapi.NewUnblockUserRequest(server, username)
	})
	return err
}

// Heavy returns the ten users who downloaded the most bytes in the last 30 days.
func (s *UsersService) Heavy(ctx context.Context) ([]HeavyUser, error) {
	ex, err := s.c.call(ctx, bassaapi.OpListHeavyUsers, bassaapi.NewListHeavyUsersRequest)
	if err != nil {
		return nil, err
	}
	rows, err := decode(ex, bassaapi.OpListHeavyUsers, bassaapi.ParseListHeavyUsersResponse,
		func(r *bassaapi.ListHeavyUsersResponse) *[]HeavyUser { return r.JSON200 })
	if err != nil {
		return nil, err
	}
	return *rows, nil
}

// EndSessions logs a user out everywhere: every token issued to them stops working at once
// (an extension: ErrUnsupported on a legacy server).
func (s *UsersService) EndSessions(ctx context.Context, username string) error {
	if err := checkUser(username); err != nil {
		return err
	}
	_, err := s.c.call(ctx, bassaapi.OpEndUserSessions, func(server string) (*http.Request, error) {
		return bassaapi.NewEndUserSessionsRequest(server, username)
	})
	return err
}
