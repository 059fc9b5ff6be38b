package dotenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDoesNotOverride(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	src := "# comment\nGEMINI_API_KEY=from-file\nexport GEMINI_MODEL = \"gemini-x\" # trailing\nEMPTY=\nQ='a b # c'\nU=plain value # note\nSET_EMPTY=file\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GEMINI_API_KEY": "from-env", "SET_EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	setenv := func(k, v string) error { env[k] = v; return nil }
	if err := Load(path, lookup, setenv); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"GEMINI_API_KEY": "from-env", "GEMINI_MODEL": "gemini-x", "EMPTY": "", "Q": "a b # c", "U": "plain value", "SET_EMPTY": ""}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	if err := Load(filepath.Join(t.TempDir(), "nope"), nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrorsHideValues(t *testing.T) {
	for _, src := range []string{"NOEQUALS\n", "K=\"secret-unterminated\n", "1K=v\n", "K='secret' junk\n"} {
		_, err := Parse(strings.NewReader(src))
		if err == nil {
			t.Errorf("%q: no error", src)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error leaks value: %v", src, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("A=1\nB=\"x\\ny\"\n# c\nexport C='z'\n")
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, kv := range vars {
			if !validKey(kv[0]) {
				t.Errorf("invalid key %q accepted", kv[0])
			}
		}
	})
}
