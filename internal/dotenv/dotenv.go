// Package dotenv reads .env files as the original app did (python-dotenv
// style): KEY=VALUE lines whose variables are set only when not already in
// the environment.
package dotenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Load reads the file at path and, for each variable not already set
// according to lookup (os.LookupEnv in production), calls setenv
// (os.Setenv). A missing file is not an error. Values are never echoed in
// errors, since .env files hold secrets.
func Load(path string, lookup func(string) (string, bool), setenv func(key, value string) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dotenv: %w", err)
	}
	defer f.Close()
	vars, err := Parse(f)
	if err != nil {
		return fmt.Errorf("dotenv: %s: %w", path, err)
	}
	for _, kv := range vars {
		if _, set := lookup(kv[0]); set {
			continue
		}
		if err := setenv(kv[0], kv[1]); err != nil {
			return fmt.Errorf("dotenv: %s: set %s: %w", path, kv[0], err)
		}
	}
	return nil
}

// Parse reads KEY=VALUE lines in order. Blank lines and lines starting
// with # are skipped; an "export " prefix is allowed; values may be quoted
// with ' (literal) or " (with \n, \t, \" and \\ escapes); an unquoted
// value ends at " #". A later line for the same key wins in the result
// order, as with python-dotenv.
func Parse(r io.Reader) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validKey(key) {
			return nil, fmt.Errorf("line %d: not KEY=VALUE", n)
		}
		v, err := value(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
		out = append(out, [2]string{key, v})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		ok := c == '_' || c == '.' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

func value(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '\'', '"':
		end := closing(v, q)
		if end < 0 {
			return "", errors.New("unterminated quote")
		}
		rest := strings.TrimSpace(v[end+1:])
		if rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("text after closing quote")
		}
		inner := v[1:end]
		if q == '"' {
			inner = unescape(inner)
		}
		return inner, nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// closing finds the closing quote q in v (v[0] is the opening one).
func closing(v string, q byte) int {
	for i := 1; i < len(v); i++ {
		if q == '"' && v[i] == '\\' {
			i++
			continue
		}
		if v[i] == q {
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\t`, "\t", `\"`, `"`)
	return r.Replace(s)
}
