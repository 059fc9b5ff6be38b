package prompt

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/xrayllm/xray/gradcam/notes"
)

// TestCatalogueComplete checks that every language fills every phrase, names
// every zone, has both report templates, and that format phrases take the
// same verbs in every language.
func TestCatalogueComplete(t *testing.T) {
	ref := reflect.ValueOf(words(DefaultLang))
	seen := map[Lang]bool{}
	for _, p := range catalogue() {
		if p.Lang == "" || seen[p.Lang] {
			t.Fatalf("language %q empty or listed twice", p.Lang)
		}
		seen[p.Lang] = true
		v := reflect.ValueOf(p)
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), v.Type().Field(i).Name
			if f.IsZero() || (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
				t.Errorf("%s: %s is not filled", p.Lang, name)
			}
			if f.Kind() == reflect.String && verbs(f.String()) != verbs(ref.Field(i).String()) {
				t.Errorf("%s: %s takes %q, %s takes %q", p.Lang, name, verbs(f.String()), DefaultLang, verbs(ref.Field(i).String()))
			}
		}
		for _, z := range notes.Zones() {
			if p.Zones[z] == "" {
				t.Errorf("%s: no name for %s", p.Lang, z)
			}
		}
		for _, a := range p.Aliases {
			if a != strings.ToLower(a) {
				t.Errorf("%s: alias %q is not lower case", p.Lang, a)
			}
		}
		for _, part := range []string{"system", "user"} {
			if _, err := templateFS.ReadFile("templates/" + string(p.Lang) + "_" + part + ".tmpl"); err != nil {
				t.Errorf("%s: %v", p.Lang, err)
			}
		}
		if l, err := ParseLang(string(p.Lang)); err != nil || l != p.Lang || !l.Valid() || LanguageName(l) != p.Name {
			t.Errorf("%s: ParseLang gives %q, %v", p.Lang, l, err)
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

// TestReadCatalogueRefuses checks that a catalogue file with a wrong code,
// an unknown phrase or no default language is refused, naming the file.
func TestReadCatalogueRefuses(t *testing.T) {
	ko, err := langFS.ReadFile("lang/ko.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, files := range map[string]fstest.MapFS{
		"wrong code":    {"lang/ko.json": {Data: ko}, "lang/ja.json": {Data: ko}},
		"unknown field": {"lang/ko.json": {Data: []byte(`{"lang":"ko","greeting":"안녕"}`)}},
		"no default":    {"lang/en.json": {Data: []byte(`{"lang":"en"}`)}},
		"not json":      {"lang/ko.json": {Data: []byte(`lang: ko`)}},
	} {
		if _, err := readCatalogue(files); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	all, err := readCatalogue(fstest.MapFS{"lang/ko.json": {Data: ko}, "lang/aa.json": {Data: []byte(`{"lang":"aa"}`)}})
	if err != nil || len(all) != 2 || all[0].Lang != Korean || all[1].Lang != "aa" {
		t.Errorf("two catalogues: %v, %v", all, err)
	}
}
