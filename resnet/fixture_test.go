package resnet

import (
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
)

// Shorthands for the shared fixture helpers.
var (
	pattern  = fixtures.Pattern
	patterns = fixtures.Patterns
	describe = fixtures.Describe
)

// compareStats compares activation statistics.
func compareStats(t *testing.T, name string, got, want fixtures.Stats, tol float64) {
	t.Helper()
	fixtures.Compare(t, name, got, want, tol)
}

// readFixtures reads testdata/expected.json.
func readFixtures(t testing.TB) map[string]fixtures.Model {
	return fixtures.Read(t, filepath.Join("testdata", "expected.json"))
}
