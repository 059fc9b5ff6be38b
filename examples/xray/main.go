// Command xray classifies chest X-rays as NORMAL or PNEUMONIA, shows where
// the network looked with Grad-CAM and writes an educational report. It is
// a teaching tool: nothing it prints is a diagnosis.
//
// Usage:
//
//	xray classify -weights W [-json] [-cam DIR] IMAGE...
//	xray analyze  -weights W [-llm gemini|openai|offline] [-lang ko|en] [-json] IMAGE...
//	xray eval     -weights W [-json] [-tsv FILE] [-out DIR] DIR
//	xray serve    -weights W [-addr :8080]
//	xray explore  -weights W [-layer layer2.1] [-top 16] [-rank mean|alpha] [-o grid.png] IMAGE
//	xray explain-steps -weights W [-method gradcam] [-layer layer4] [-o DIR] IMAGE
//	xray compare  -weights W [-layer layer4] [-o compare.png] IMAGE
//
// Run "xray COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv, setenv: os.Setenv})
	stop()
	os.Exit(code)
}

// env is what a command may touch of the process, so tests can supply
// their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
	setenv         func(key, value string) error
}

// command is one subcommand.
type command struct {
	summary string
	// args names what follows the flags, for the usage line.
	args string
	// nargs says whether a number of arguments is right.
	nargs func(n int) bool
	// flags returns a fresh set of the command's flags.
	flags func() commandFlags
}

// commandFlags are one command's flags and what the command does with
// them.
type commandFlags interface {
	// register declares the flags on fs.
	register(fs *flag.FlagSet, e env)
	// run runs the command on the arguments left after the flags.
	run(ctx context.Context, args []string, e env) error
}

// commands lists the subcommands.
func commands() map[string]command {
	return map[string]command{
		"classify": {"classify images; optionally write Grad-CAM maps and overlays", "IMAGE...", someArgs,
			func() commandFlags { return new(classifyFlags) }},
		"analyze": {"classify, explain and write an educational report", "IMAGE...", someArgs,
			func() commandFlags { return new(analyzeFlags) }},
		"eval": {"measure accuracy, AUC and F1 on a labelled folder", "DIR (with one sub-folder per class, e.g. NORMAL/ and PNEUMONIA/)", oneArg,
			func() commandFlags { return new(evalFlags) }},
		"serve": {"serve the analyzer over HTTP", "", noArgs,
			func() commandFlags { return new(serveFlags) }},
		"explore": {"draw one layer's strongest channels (activation maps) as a grid", "IMAGE", oneArg,
			func() commandFlags { return new(exploreFlags) }},
		"explain-steps": {"write every step of one Grad-CAM explanation as a picture, and steps.json", "IMAGE", oneArg,
			func() commandFlags { return new(explainStepsFlags) }},
		"compare": {"draw every CAM method's map of one image side by side", "IMAGE", oneArg,
			func() commandFlags { return new(compareFlags) }},
	}
}

// errUsage marks errors for which the usage has been printed.
var errUsage = errors.New("usage")

// run dispatches to a subcommand and returns the exit code: 0 success, 1
// failure, 2 usage error.
func run(ctx context.Context, args []string, e env) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if _, ok := cmds[args[0]]; !ok {
		fmt.Fprintf(e.stderr, "xray: unknown command %q\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	err := runCommand(ctx, args[0], args[1:], e)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(e.stderr, "xray %s: %v\n", args[0], err)
		return 1
	}
}

// runCommand runs the command name on its command line args: it parses
// the command's flags, checks the number of arguments left and runs it.
func runCommand(ctx context.Context, name string, args []string, e env) error {
	c, ok := commands()[name]
	if !ok {
		return fmt.Errorf("unknown command %q", name)
	}
	f := c.flags()
	fs := newFlagSet(name, c, e)
	f.register(fs, e)
	if err := parseFlags(fs, args, c.nargs); err != nil {
		return err
	}
	return f.run(ctx, fs.Args(), e)
}

// usage lists the commands.
func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: xray COMMAND [flags] ARGS...")
	fmt.Fprintln(w, "An educational chest X-ray classifier with Grad-CAM. Not a diagnostic device.")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
}
