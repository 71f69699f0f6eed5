//go:build goexperiment.boringcrypto

package keys

import "crypto/boring"

func boringEnabled() bool { return boring.Enabled() }
