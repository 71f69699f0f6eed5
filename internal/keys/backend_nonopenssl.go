//go:build !credo_openssl

package keys

var backendErr error

func backendVersion() string { return "" }
