// Command gridloop runs the gridloop city case platform.
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
	defer stop()
	m := NewMain(os.Stdin, os.Stdout, os.Stderr)
	err := m.Run(ctx, os.Args[1:])
	m.Close()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "gridloop:", err)
		os.Exit(1)
	}
}

const usage = `gridloop — 城市网格化治理平台 (grid-based city case platform)

Usage: gridloop <command> [flags]

Commands:
  demo      serve a demo city (seeds it on first run)   gridloop demo -h
  serve     serve an existing store                     gridloop serve -h
  migrate   apply database migrations                   gridloop migrate -h
  user      manage staff accounts and API tokens        gridloop user -h
  calendar  holidays and make-up workdays (CSV import)  gridloop calendar -h
  rollups   rebuild or check the evaluation rollups     gridloop rollups -h
  anonymise blank reporters of long-closed cases       gridloop anonymise -h
  gen       generate scale data (cases with histories)  gridloop gen -h
  bench     load-test over the JSON API                 gridloop bench -h
  import    import division codes and boundaries        gridloop import -h
  grids     generate unit grids for communities         gridloop grids -h

The store is a SQLite file path or a postgres:// URL, given with -db or GRIDLOOP_DB
(default data/gridloop.db).
`

// Main is the program: its streams and what it has opened, so Close can release them.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	closers        []func() error
}

// NewMain returns a Main on the given streams.
func NewMain(stdin io.Reader, stdout, stderr io.Writer) *Main {
	return &Main{Stdin: stdin, Stdout: stdout, Stderr: stderr}
}

// Run runs one command.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return m.serve(ctx, rest, false)
	case "demo":
		return m.serve(ctx, rest, true)
	case "migrate":
		return m.migrate(ctx, rest)
	case "user":
		return m.user(ctx, rest)
	case "calendar":
		return m.calendar(ctx, rest)
	case "rollups":
		return m.rollups(ctx, rest)
	case "anonymise":
		return m.anonymise(ctx, rest)
	case "gen":
		return m.gen(ctx, rest)
	case "bench":
		return m.bench(ctx, rest)
	case "import":
		return m.importCmd(ctx, rest)
	case "grids":
		return m.grids(ctx, rest)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// Close releases what Run opened, last first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

func (m *Main) flags(name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: gridloop %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func defaultDB() string {
	if v := os.Getenv("GRIDLOOP_DB"); v != "" {
		return v
	}
	return "data/gridloop.db"
}
