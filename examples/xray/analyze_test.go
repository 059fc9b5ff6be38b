package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/prompt"
)

func TestAnalyzeOfflineBothLanguages(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "x.png", 256, 256)
	for _, lang := range []prompt.Lang{prompt.Korean, prompt.English} {
		t.Run(string(lang), func(t *testing.T) {
			// GEMINI_API_KEY is unset: the offline writer is the default.
			e, out, errOut := testEnv(nil)
			args := []string{"analyze", "-weights", fixtureWeights, "-lang", string(lang), "-env-file", filepath.Join(dir, "none.env"), img}
			if code := run(context.Background(), args, e); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			s := out.String()
			for _, section := range []string{"## 1)", "## 2)", "## 3)", "## 4)", prompt.Disclaimer(lang), "report: offline"} {
				if !strings.Contains(s, section) {
					t.Errorf("report lacks %q:\n%s", section, s)
				}
			}
		})
	}
}

func TestAnalyzeJSONAndDotEnv(t *testing.T) {
	dir := t.TempDir()
	img := writeTestImage(t, dir, "x.png", 224, 224)
	envFile := filepath.Join(dir, ".env")
	// The .env names a backend that needs a model; an already-set variable wins.
	os.WriteFile(envFile, []byte("XRAY_TEST_MARKER=from-file\nOPENAI_MODEL=from-file\n"), 0o600)
	vars := map[string]string{"OPENAI_MODEL": "already-set"}
	e, out, errOut := testEnv(vars)
	args := []string{"analyze", "-weights", fixtureWeights, "-json", "-llm", "offline", "-env-file", envFile, "-cam-method", "eigencam", img}
	if code := run(context.Background(), args, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if vars["XRAY_TEST_MARKER"] != "from-file" || vars["OPENAI_MODEL"] != "already-set" {
		t.Errorf(".env handling: %v", vars)
	}
	row := jsonLines(t, out.String())[0]
	rep := row["report"].(map[string]any)
	if rep["backend"] != "offline" || rep["fell_back"] != false || rep["truncated"] != false {
		t.Errorf("report %v", rep)
	}
	if !strings.Contains(rep["markdown"].(string), prompt.Disclaimer(prompt.Korean)) {
		t.Error("report without the notice")
	}
	if row["cam"].(map[string]any)["method"] != "eigencam" {
		t.Errorf("cam %v", row["cam"])
	}
}
