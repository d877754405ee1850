package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/gridloop/gridloop/worktime"
)

const calendarUsage = `Usage: gridloop calendar <import|list> [flags]

  import -db STORE FILE.csv   load official holidays and make-up workdays (调休)
                              CSV columns: date,kind,name — kind holiday|workday (or 休|班)
  list   -db STORE            print the special days in force (embedded 2025–2026 schedule
                              plus what was imported)
`

func (m *Main) calendar(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(m.Stderr, calendarUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "import":
		fs := m.flags("calendar import", "Load holidays and make-up workdays from a CSV file (date,kind,name).")
		dsn := fs.String("db", defaultDB(), "store")
		file, err := parseWithName(fs, args[1:])
		if err != nil {
			return err
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		days, err := worktime.ParseCSV(f)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		svc, err := m.openService(ctx, *dsn)
		if err != nil {
			return err
		}
		if err := svc.PutSpecialDays(ctx, days); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "imported %d special days from %s\n", len(days), file)
		return nil
	case "list":
		fs := m.flags("calendar list", "Print the special days in force.")
		dsn := fs.String("db", defaultDB(), "store")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		svc, err := m.openService(ctx, *dsn)
		if err != nil {
			return err
		}
		for _, d := range svc.Calendar().Days() {
			fmt.Fprintf(m.Stdout, "%s  %-7s %s\n", d.Date, d.Kind, d.Name)
		}
		return nil
	}
	fmt.Fprint(m.Stderr, calendarUsage)
	return fmt.Errorf("unknown calendar command %q", args[0])
}
