// Command mhhs is Great Britain's Market-wide Half-Hourly Settlement in one
// binary: a Data Integration Platform wire-compatible with Elexon's DIP API
// v2.2.1 and the services of the MHHS target design behind it.
//
// Usage:
//
//	mhhs demo                          run the embedded demonstration
//	mhhs validate [--channel IF-nnn] FILE|-
//	mhhs catalogue [--seed] [--example IF-nnn:Event]
//	mhhs serve [--addr 127.0.0.1:8080] [--data ./mhhs-data] [--store postgres://…] [--services isd,…]
//	mhhs service NAME --dip-url URL --dip-id ID --key-file F --cert-file F --api-key-file F --listen ADDR
//	mhhs participant add|list|rotate-key|disable|webhook
//	mhhs send --url URL --channel IF-021 --dip-id ID --key-file F --cert-file F --api-key-file F FILE
//	mhhs journal SENDER-UNIQUE-REFERENCE
//	mhhs version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a failure (a rejected message)
	exitUsage = 2
)

const usage = `mhhs: Market-wide Half-Hourly Settlement in one binary

Commands:
  demo                                  show the market this build can run
  validate [--channel IF-nnn] [--json] FILE|-
                                        check DIP message arrays (L1 schema, L2 stateless rules)
  catalogue [--seed] [--example IF-nnn:Event] [--full]
                                        list interfaces and variants, the seed's artefacts, or print an example
  serve [--addr 127.0.0.1:8080] [--data ./mhhs-data] [--store postgres://…] [--services isd,…]
                                        run the DIP: its API, routing, durable store and deliveries
  service NAME --dip-url URL --dip-id ID --key-file F --cert-file F --api-key-file F --listen ADDR
                                        run one service (isd, regs, sim-supplier, sim-ldso) as its own process
  participant add|list|rotate-key|disable|webhook
                                        administer the participant registry and participants' webhooks
  send --url URL --channel IF-nnn --dip-id ID --key-file F --cert-file F --api-key-file F FILE
                                        sign and send a message array; print the verdicts
  recipient list|resume|dead-letters|requeue [ID]
                                        delivery health: pause, resume, dead letters
  journal [--remote] SENDER-UNIQUE-REFERENCE
                                        the DIP journal of a message (from the archive once purged)
  archive list|show [--day YYYY-MM-DD] [REFERENCE|TRANSACTION-ID]
                                        the archive of messages purged past retention
  regs show|load|css                    the Registration Service's data: as-at answers, a load, CSS events
  isd init|import|export|diff|versions|publish
                                        Industry Standing Data: versions, CSV/JSON import and export, IF-047 publication
  version                               print the version

Run 'mhhs COMMAND -h' for a command's flags.
`

// run is the whole program: main only supplies the process's arguments,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	env := &cmdEnv{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch args[0] {
	case "demo":
		return demo(env, args[1:])
	case "validate":
		return validate(env, args[1:])
	case "catalogue", "catalog":
		return catalogueCmd(env, args[1:])
	case "serve":
		return serve(env, args[1:])
	case "service":
		return serviceCmd(env, args[1:])
	case "send":
		return send(env, args[1:])
	case "journal":
		return journal(env, args[1:])
	case "archive":
		return archiveCmd(env, args[1:])
	case "participant":
		return participantCmd(env, args[1:])
	case "recipient":
		return recipientCmd(env, args[1:])
	case "regs":
		return regsCmd(env, args[1:])
	case "isd":
		return isdCmd(env, args[1:])
	case "version":
		fmt.Fprintln(stdout, "mhhs", version)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "mhhs: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

const version = "0.1.0-dev"

// cmdEnv is what every subcommand gets from the process.
type cmdEnv struct {
	ctx            context.Context
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// newFlagSet returns the flag set of the subcommand name ("participant
// add"), whose -h prints the synopsis and the flags.
func newFlagSet(env *cmdEnv, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: mhhs %s %s\n\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// subcommand parses args with fs, runs fn and turns its error into the
// exit code (exitCode). -h prints the flags and exits 0; a bad flag prints
// them and exits 2.
func subcommand(env *cmdEnv, fs *flag.FlagSet, args []string, fn func() error) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	return exitCode(env, fs.Name(), fn())
}

// exitCode is the one place a subcommand's error becomes an exit code and
// a line on stderr ("mhhs participant add: …"): a usageError exits 2, any
// other error 1.
func exitCode(env *cmdEnv, name string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(env.stderr, "mhhs %s: %v\n", name, err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}
