package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/joho/godotenv"
)

// loadDotenv reads the .env file at path with github.com/joho/godotenv and
// sets each of its variables that is not already set: as with
// godotenv.Load, variables already in the environment win. It goes through
// e.lookupEnv and e.setenv so that tests can supply their own environment.
// A missing file is not an error. Values are never echoed in errors, since
// .env files hold secrets; godotenv's parse errors quote the file, so they
// are not passed on.
func (e env) loadDotenv(path string) error {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dotenv: %w", err)
	}
	vars, err := godotenv.UnmarshalBytes(bytes.TrimPrefix(src, []byte("\ufeff")))
	if err != nil {
		return fmt.Errorf("dotenv: %s: not a KEY=VALUE file (the parser's message is withheld: it quotes values)", path)
	}
	for key, value := range vars {
		if _, set := e.lookupEnv(key); set {
			continue
		}
		if err := e.setenv(key, value); err != nil {
			return fmt.Errorf("dotenv: %s: set %s: %w", path, key, err)
		}
	}
	return nil
}
