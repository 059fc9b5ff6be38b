package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dotenvEnv is an env whose variables live in vars.
func dotenvEnv(vars map[string]string) env {
	return env{
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		setenv:    func(k, v string) error { vars[k] = v; return nil },
	}
}

func writeDotenv(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDotenvDoesNotOverride(t *testing.T) {
	path := writeDotenv(t, "\ufeff# comment\nGEMINI_API_KEY=from-file\nexport GEMINI_MODEL = \"gemini-x\" # trailing\nEMPTY=\nQ='a b # c'\nU=plain value # note\nSET_EMPTY=file\nESC=\"x\\ny\"\n")
	vars := map[string]string{"GEMINI_API_KEY": "from-env", "SET_EMPTY": ""}
	if err := dotenvEnv(vars).loadDotenv(path); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"GEMINI_API_KEY": "from-env", "GEMINI_MODEL": "gemini-x", "EMPTY": "", "Q": "a b # c", "U": "plain value", "SET_EMPTY": "", "ESC": "x\ny"}
	for k, v := range want {
		if got, ok := vars[k]; !ok || got != v {
			t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
		}
	}
}

func TestLoadDotenvMissingFile(t *testing.T) {
	if err := (env{}).loadDotenv(filepath.Join(t.TempDir(), "nope")); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDotenvErrorsHideValues(t *testing.T) {
	// godotenv accepts keys starting with a digit ("1K=v"), which the
	// former parser refused, so that case is gone.
	for _, src := range []string{"NOEQUALS-secret\n", "K=\"secret-unterminated\n", "K='secret' junk\n"} {
		vars := map[string]string{}
		err := dotenvEnv(vars).loadDotenv(writeDotenv(t, src))
		if err == nil {
			t.Errorf("%q: no error", src)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error leaks value: %v", src, err)
		}
	}
}
