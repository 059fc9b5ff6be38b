package prompt

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/notes"
)

// TestCatalogueComplete checks that every language fills every phrase, names
// every zone, has both report templates, and that format phrases take the
// same verbs in every language.
func TestCatalogueComplete(t *testing.T) {
	ref := reflect.ValueOf(words(DefaultLang))
	seen := map[Lang]bool{}
	for _, p := range catalogue() {
		if p.lang == "" || seen[p.lang] {
			t.Fatalf("language %q empty or listed twice", p.lang)
		}
		seen[p.lang] = true
		v := reflect.ValueOf(p)
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), v.Type().Field(i).Name
			if f.IsZero() || (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
				t.Errorf("%s: %s is not filled", p.lang, name)
			}
			if f.Kind() == reflect.String && verbs(f.String()) != verbs(ref.Field(i).String()) {
				t.Errorf("%s: %s takes %q, %s takes %q", p.lang, name, verbs(f.String()), DefaultLang, verbs(ref.Field(i).String()))
			}
		}
		for _, z := range notes.Zones() {
			if p.zones[z] == "" {
				t.Errorf("%s: no name for %s", p.lang, z)
			}
		}
		for _, a := range p.aliases {
			if a != strings.ToLower(a) {
				t.Errorf("%s: alias %q is not lower case", p.lang, a)
			}
		}
		for _, part := range []string{"system", "user"} {
			if _, err := templateFS.ReadFile("templates/" + string(p.lang) + "_" + part + ".tmpl"); err != nil {
				t.Errorf("%s: %v", p.lang, err)
			}
		}
		if l, err := ParseLang(string(p.lang)); err != nil || l != p.lang || !l.Valid() || LanguageName(l) != p.name {
			t.Errorf("%s: ParseLang gives %q, %v", p.lang, l, err)
		}
	}
	if Languages()[0] != DefaultLang {
		t.Errorf("languages %v do not start with the default", Languages())
	}
}

// verbs lists the format verbs of s in order, "%s %.0f %d", with %% left out.
func verbs(s string) string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("0123456789.[]", s[j]) >= 0 {
			j++
		}
		if j < len(s) && s[j] != '%' {
			out = append(out, s[i:j+1])
		}
		i = j
	}
	return strings.Join(out, " ")
}
