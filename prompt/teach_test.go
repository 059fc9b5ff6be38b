package prompt

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestTeachPhrasesComplete checks that every language fills every phrase
// of the teaching view and that the page sees them under their catalogue
// keys.
func TestTeachPhrasesComplete(t *testing.T) {
	for _, l := range Languages() {
		v := reflect.ValueOf(TeachPhrases(l))
		for i := 0; i < v.NumField(); i++ {
			name, s := v.Type().Field(i).Name, v.Field(i).String()
			if strings.TrimSpace(s) == "" {
				t.Errorf("%s: teach %s is not filled", l, name)
			}
		}
		b, err := json.Marshal(TeachPhrases(l))
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]string
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatal(err)
		}
		for k := range keys {
			if !strings.HasPrefix(k, "teach_") {
				t.Errorf("%s: key %q lacks the teach_ prefix", l, k)
			}
		}
		if len(keys) != v.NumField() {
			t.Errorf("%s: %d keys for %d phrases", l, len(keys), v.NumField())
		}
	}
	if TeachPhrases(Korean).Tab == TeachPhrases(English).Tab {
		t.Error("Korean and English name the teaching view alike")
	}
	if TeachPhrases("xx").Tab != TeachPhrases(DefaultLang).Tab {
		t.Error("an unknown language does not fall back to the default")
	}
}
