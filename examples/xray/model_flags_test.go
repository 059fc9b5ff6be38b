package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// -conv defaults to winograd, to direct for serve and with
// XRAY_CONV=direct, and refuses anything but winograd and direct.
func TestConvFlag(t *testing.T) {
	cases := []struct {
		env, preset, arg, want string
	}{
		{want: "winograd"},
		{env: "direct", want: "direct"},
		{env: "winograd2", want: "winograd"}, // F(2×2) only: the resnet package reads it
		{preset: "direct", want: "direct"},   // serve
		{preset: "direct", arg: "winograd", want: "winograd"},
		{arg: "direct", want: "direct"},
	}
	for _, c := range cases {
		e, _, _ := testEnv(map[string]string{"XRAY_CONV": c.env, "XRAY_WEIGHTS": "model.pth"})
		m := modelFlags{conv: c.preset}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		m.register(fs, e)
		var args []string
		if c.arg != "" {
			args = []string{"-conv", c.arg}
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if m.conv != c.want {
			t.Errorf("%+v: -conv %q, want %q", c, m.conv, c.want)
		}
		if _, err := m.options(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	e, _, _ := testEnv(map[string]string{"XRAY_WEIGHTS": "model.pth"})
	m := modelFlags{}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	m.register(fs, e)
	if err := fs.Parse([]string{"-conv", "fft"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.options(); err == nil || !strings.Contains(err.Error(), `-conv "fft"`) {
		t.Errorf("-conv fft: %v, want an error naming it", err)
	}
}
