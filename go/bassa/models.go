package bassa

import "github.com/scorelab/bassa-sdk/go/internal/bassaapi"

// The API's models, generated from the spec (see the field docs there).
type (
	// LoginResult is a successful login; Auth "0" means an admin.
	LoginResult = bassaapi.LoginResult
	// Download is one row of a downloads page.
	Download = bassaapi.Download
	// DownloadCreated is a queued link; Id is the new download's id.
	DownloadCreated = bassaapi.DownloadCreated
	// DownloadProgress is one download's status and progress.
	DownloadProgress = bassaapi.DownloadProgress
	// RatingResult is a download's new average rating.
	RatingResult = bassaapi.RatingResult
	// QueueChange is the answer to starting or stopping the queue.
	QueueChange = bassaapi.QueueChange
	// QueueStatus says whether the queue runs and counts downloads by status.
	QueueStatus = bassaapi.QueueStatus
	// UserSummary is one user in an admin's lists.
	UserSummary = bassaapi.UserSummary
	// SignupRequest is a user waiting for approval.
	SignupRequest = bassaapi.SignupRequest
	// HeavyUser is a user with the bytes they downloaded in the last 30 days.
	HeavyUser = bassaapi.HeavyUser
	// UserUpdate lists the fields of a user to change; nil fields keep their value.
	UserUpdate = bassaapi.UserUpdate
	// CompressionJob is a zip job's state.
	CompressionJob = bassaapi.CompressionJob
	// ShareLink is a signed token that lets anyone fetch a zip until it expires.
	ShareLink = bassaapi.ShareLink
)

// Download statuses (new values may appear: treat them as still running).
const (
	StatusQueued    = bassaapi.DownloadStatusQueued
	StatusStarted   = bassaapi.DownloadStatusStarted
	StatusDeleted   = bassaapi.DownloadStatusDeleted
	StatusCompleted = bassaapi.DownloadStatusCompleted
	StatusError     = bassaapi.DownloadStatusError
)
