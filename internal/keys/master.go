package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MasterKey encrypts data at rest (private signing keys, HS256 API secrets,
// Action secrets) with AES-256-GCM. Its zero value is unusable.
type MasterKey struct {
	aead cipher.AEAD
}

// sealVersion prefixes every sealed value so the format can evolve.
const sealVersion = 1

// ParseMasterKey accepts a 32-byte key encoded as base64 (std or url, padded
// or not) or hex.
func ParseMasterKey(s string) (*MasterKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == 32 {
			raw = b
			break
		}
	}
	if raw == nil {
		return nil, errors.New("master key must be 32 bytes, base64- or hex-encoded (generate one with: openssl rand -base64 32)")
	}
	return newMasterKey(raw)
}

func newMasterKey(raw []byte) (*MasterKey, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &MasterKey{aead: aead}, nil
}

// ErrNoMasterKeyFile is returned by LoadMasterKey when the file is missing.
var ErrNoMasterKeyFile = errors.New("master key file not found")

// LoadMasterKey reads the key file at path; it never creates one.
func LoadMasterKey(path string) (*MasterKey, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoMasterKeyFile, path)
	}
	mk, _, err := LoadOrCreateMasterKey(path)
	return mk, err
}

// LoadOrCreateMasterKey reads the key file at path, or creates it with a new
// random key and mode 0600 when it does not exist (created reports that).
// A key file readable by group or others is refused.
func LoadOrCreateMasterKey(path string) (mk *MasterKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		st, serr := os.Stat(path)
		if serr == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("master key file %s is readable by others (mode %v): chmod 600 it", path, st.Mode().Perm())
		}
		mk, err := ParseMasterKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("master key file %s: %w", path, err)
		}
		return mk, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first
			return LoadOrCreateMasterKey(path)
		}
		return nil, false, fmt.Errorf("create master key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	mk, err = newMasterKey(raw)
	return mk, true, err
}

// Seal encrypts plaintext; aad binds the ciphertext to its purpose (e.g. a
// kid) so that sealed values cannot be swapped between records.
func (m *MasterKey) Seal(plaintext []byte, aad string) ([]byte, error) {
	if m == nil || m.aead == nil {
		return nil, errors.New("keys: no master key")
	}
	nonce := make([]byte, m.aead.NonceSize(), 1+m.aead.NonceSize()+len(plaintext)+m.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return m.aead.Seal(out, nonce, plaintext, []byte(aad)), nil
}

// Open decrypts a value produced by Seal with the same aad.
func (m *MasterKey) Open(sealed []byte, aad string) ([]byte, error) {
	if m == nil || m.aead == nil {
		return nil, errors.New("keys: no master key")
	}
	ns := m.aead.NonceSize()
	if len(sealed) < 1+ns+m.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("keys: sealed value is malformed")
	}
	pt, err := m.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(aad))
	if err != nil {
		return nil, errors.New("keys: cannot decrypt (wrong master key?)")
	}
	return pt, nil
}

// SealString seals a string and returns it base64-encoded, for text columns.
func (m *MasterKey) SealString(plaintext, aad string) (string, error) {
	b, err := m.Seal([]byte(plaintext), aad)
	if err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// OpenString reverses SealString.
func (m *MasterKey) OpenString(sealed, aad string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", errors.New("keys: sealed value is malformed")
	}
	pt, err := m.Open(b, aad)
	return string(pt), err
}
