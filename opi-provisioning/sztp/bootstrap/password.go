package bootstrap

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Password hashes are "pbkdf2-sha256$ITERATIONS$SALT$KEY" (salt and key in
// unpadded base64), so that a registry never holds a device's password.
const (
	passwordScheme     = "pbkdf2-sha256"
	passwordIterations = 100_000
	passwordKeyLen     = 32
)

// HashPassword returns the stored form of a device's HTTP basic password.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("empty password")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, passwordKeyLen)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", passwordScheme, passwordIterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// ValidPasswordHash says whether h is a hash HashPassword could produce.
func ValidPasswordHash(h string) bool {
	_, _, _, err := parseHash(h)
	return err == nil
}

func parseHash(h string) (iter int, salt, key []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != passwordScheme {
		return 0, nil, nil, errors.New("not a pbkdf2-sha256 password hash")
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil || iter < 10_000 || iter > 10_000_000 {
		return 0, nil, nil, errors.New("password hash iterations out of range")
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[2]); err != nil || len(salt) < 8 {
		return 0, nil, nil, errors.New("bad password hash salt")
	}
	if key, err = enc.DecodeString(parts[3]); err != nil || len(key) != passwordKeyLen {
		return 0, nil, nil, errors.New("bad password hash key")
	}
	return iter, salt, key, nil
}

// dummyHash is compared against when a device is unknown, so that a reply
// takes as long for an unknown serial as for a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("no device has this password")
	return h
})

// VerifyPassword says whether password matches hash (HashPassword's),
// comparing in constant time.
func VerifyPassword(hash, password string) bool { return checkPassword(hash, password) }

// checkPassword compares password with the stored hash in constant time.
func checkPassword(hash, password string) bool {
	iter, salt, key, err := parseHash(hash)
	if err != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(key))
	return err == nil && subtle.ConstantTimeCompare(got, key) == 1
}
