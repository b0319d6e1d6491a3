package bassa

// Version is this library's version; releases are tagged go/vVERSION in the repository.
const Version = "0.1.0"

// userAgent is sent with every request.
const userAgent = "bassa-go/" + Version
