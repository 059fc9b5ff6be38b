package main

import (
	"context"
	"errors"
)

// runServe is being written.
func runServe(ctx context.Context, args []string, e env) error {
	return errors.New("serve: not implemented yet")
}
