//go:build !goexperiment.boringcrypto

package keys

func boringEnabled() bool { return false }
