package bassa

import (
	"context"
	"net/http"

	"github.com/scorelab/bassa-sdk/go/internal/bassaapi"
)

// QueueService starts and pauses the download engine: Client.Queue. Start and Stop send the
// server key given with WithServerKey.
type QueueService struct{ c *Client }

func (s *QueueService) key() (string, error) {
	if s.c.cfg.serverKey == "" {
		return "", invalid("the queue needs the server key: use WithServerKey")
	}
	return s.c.cfg.serverKey, nil
}

// Start starts (or resumes) the engine.
func (s *QueueService) Start(ctx context.Context) (*QueueChange, error) {
	key, err := s.key()
	if err != nil {
		return nil, err
	}
	ex, err := s.c.call(ctx, bassaapi.OpStartQueue, func(server string) (*http.Request, error) {
		return bassaapi.NewStartQueueRequest(server, &bassaapi.StartQueueParams{Key: key})
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpStartQueue, bassaapi.ParseStartQueueResponse,
		func(r *bassaapi.StartQueueResponse) *QueueChange { return r.JSON200 })
}

// Stop pauses the engine: running downloads pause, nothing new starts.
func (s *QueueService) Stop(ctx context.Context) (*QueueChange, error) {
	key, err := s.key()
	if err != nil {
		return nil, err
	}
	ex, err := s.c.call(ctx, bassaapi.OpKillQueue, func(server string) (*http.Request, error) {
		return bassaapi.NewKillQueueRequest(server, &bassaapi.KillQueueParams{Key: key})
	})
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpKillQueue, bassaapi.ParseKillQueueResponse,
		func(r *bassaapi.KillQueueResponse) *QueueChange { return r.JSON200 })
}

// Status says whether the queue runs and counts downloads by status (an extension).
func (s *QueueService) Status(ctx context.Context) (*QueueStatus, error) {
	ex, err := s.c.call(ctx, bassaapi.OpGetQueueStatus, bassaapi.NewGetQueueStatusRequest)
	if err != nil {
		return nil, err
	}
	return decode(ex, bassaapi.OpGetQueueStatus, bassaapi.ParseGetQueueStatusResponse,
		func(r *bassaapi.GetQueueStatusResponse) *QueueStatus { return r.JSON200 })
}
