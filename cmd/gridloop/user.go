package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

const userUsage = `Usage: gridloop user <add|set|token|list> [flags] [NAME]

  add    -db STORE -role ROLES [-password PW] [-display NAME] [-dept CODES] [-area CODES] NAME
  set    -db STORE [-role ROLES] [-dept CODES] [-area CODES] [-display NAME] [-disable|-enable] NAME
  token  -db STORE [-name LABEL] [-ttl DURATION] NAME      prints the token alone on stdout
  list   -db STORE

Roles: grid_member, operator, shift_lead, dispatcher, handler, supervisor, admin (comma-separated).
-dept takes department codes; -area takes area code prefixes. An empty scope is the whole city.
`

func (m *Main) user(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(m.Stderr, userUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "add":
		return m.userAdd(ctx, args[1:])
	case "set":
		return m.userSet(ctx, args[1:])
	case "token":
		return m.userToken(ctx, args[1:])
	case "list":
		return m.userList(ctx, args[1:])
	}
	fmt.Fprint(m.Stderr, userUsage)
	return fmt.Errorf("unknown user command %q", args[0])
}

// userFlags parses flags before and after the NAME argument.
func parseWithName(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", fmt.Errorf("missing user NAME")
	}
	name := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return name, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseRoles(s string) []gl.Role {
	var out []gl.Role
	for _, r := range splitList(s) {
		out = append(out, gl.Role(r))
	}
	return out
}

func deptIDs(ctx context.Context, svc *service.Service, codes string) ([]int64, error) {
	var ids []int64
	for _, code := range splitList(codes) {
		var d *gl.Department
		err := svc.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			d, err = tx.DepartmentByCode(ctx, code)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("department %q: %w", code, err)
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

func (m *Main) userAdd(ctx context.Context, args []string) error {
	fs := m.flags("user add", "Create a staff account.")
	dsn := fs.String("db", defaultDB(), "store")
	roles := fs.String("role", "", "roles, comma-separated (required)")
	password := fs.String("password", "", "password (at least 10 characters); read from stdin if empty")
	display := fs.String("display", "", "display name")
	depts := fs.String("dept", "", "department scope: department codes, comma-separated")
	areas := fs.String("area", "", "area scope: area code prefixes, comma-separated")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	if *password == "" {
		fmt.Fprint(m.Stderr, "password: ")
		line, _ := bufio.NewReader(m.Stdin).ReadString('\n')
		*password = strings.TrimSpace(line)
	}
	u := &gl.User{Name: name, DisplayName: *display, Roles: parseRoles(*roles), AreaScope: splitList(*areas)}
	if u.DeptScope, err = deptIDs(ctx, svc, *depts); err != nil {
		return err
	}
	if err := svc.AddUser(ctx, u, *password); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "user %s created (id %d)\n", u.Name, u.ID)
	return nil
}

func (m *Main) userSet(ctx context.Context, args []string) error {
	fs := m.flags("user set", "Change a staff account's roles, scope or status.")
	dsn := fs.String("db", defaultDB(), "store")
	roles := fs.String("role", "", "new roles, comma-separated")
	display := fs.String("display", "", "new display name")
	depts := fs.String("dept", "", "new department scope (codes); \"-\" clears it")
	areas := fs.String("area", "", "new area scope (code prefixes); \"-\" clears it")
	disable := fs.Bool("disable", false, "disable the account")
	enable := fs.Bool("enable", false, "enable the account")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	u, err := svc.UserByName(ctx, name)
	if err != nil {
		return err
	}
	if *roles != "" {
		u.Roles = parseRoles(*roles)
	}
	if *display != "" {
		u.DisplayName = *display
	}
	switch *depts {
	case "":
	case "-":
		u.DeptScope = nil
	default:
		if u.DeptScope, err = deptIDs(ctx, svc, *depts); err != nil {
			return err
		}
	}
	switch *areas {
	case "":
	case "-":
		u.AreaScope = nil
	default:
		u.AreaScope = splitList(*areas)
	}
	if *disable {
		u.Disabled = true
	}
	if *enable {
		u.Disabled = false
	}
	if err := svc.UpdateUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "user %s updated: roles %v\n", u.Name, u.Roles)
	return nil
}

func (m *Main) userToken(ctx context.Context, args []string) error {
	fs := m.flags("user token", "Issue an API token for a user and print it alone on stdout.")
	dsn := fs.String("db", defaultDB(), "store")
	label := fs.String("name", "cli", "a label for the token")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h (0: no expiry)")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	secret, err := svc.IssueToken(ctx, name, *label, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, secret)
	return nil
}

func (m *Main) userList(ctx context.Context, args []string) error {
	fs := m.flags("user list", "List staff accounts.")
	dsn := fs.String("db", defaultDB(), "store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	var users []gl.User
	err = svc.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		users, err = tx.Users(ctx)
		return err
	})
	if err != nil {
		return err
	}
	for _, u := range users {
		state := ""
		if u.Disabled {
			state = " (disabled)"
		}
		fmt.Fprintf(m.Stdout, "%-20s %-24s %v%s\n", u.Name, u.DisplayName, u.Roles, state)
	}
	return nil
}
