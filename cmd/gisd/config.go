package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// settings registers flags whose defaults come from environment variables, so that the order of
// precedence is flag > environment > built-in default. A malformed environment value is kept as
// an error naming the variable, reported when the command starts.
type settings struct {
	fs   *flag.FlagSet
	errs []error
}

func newSettings(name, usage string) *settings {
	fs := flag.NewFlagSet("gisd "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gisd %s [flags]\n\n%s\n\nflags (each falls back to the environment variable shown):\n", name, usage)
		fs.PrintDefaults()
	}
	return &settings{fs: fs}
}

func (s *settings) usageSuffix(env string) string {
	if env == "" {
		return ""
	}
	return " (env " + env + ")"
}

func (s *settings) String(p *string, name, env, def, usage string) {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		def = v
	}
	s.fs.StringVar(p, name, def, usage+s.usageSuffix(env))
}

func (s *settings) Int(p *int, name, env string, def int, usage string) {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: not an integer", env, v))
		} else {
			def = n
		}
	}
	s.fs.IntVar(p, name, def, usage+s.usageSuffix(env))
}

func (s *settings) Bool(p *bool, name, env string, def bool, usage string) {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: not a boolean", env, v))
		} else {
			def = b
		}
	}
	s.fs.BoolVar(p, name, def, usage+s.usageSuffix(env))
}

func (s *settings) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, ok := os.LookupEnv(env); ok && env != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: not a duration (e.g. 30s, 2m)", env, v))
		} else {
			def = d
		}
	}
	s.fs.DurationVar(p, name, def, usage+s.usageSuffix(env))
}

// parse reads the command line; it fails on unknown flags, stray arguments and malformed
// environment values.
func (s *settings) parse(args []string) error {
	pos, err := s.parseWithArgs(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	return nil
}

// parseWithArgs reads flags and positional arguments in any order ("migrate up --database-url
// X" and "migrate --database-url X up" both work) and returns the positional ones.
func (s *settings) parseWithArgs(args []string) ([]string, error) {
	var pos []string
	for {
		if err := s.fs.Parse(args); err != nil {
			return nil, err
		}
		args = s.fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	return pos, nil
}

// maskURL hides the password of a connection URL for logging.
func maskURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	userinfo := u[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return u[:scheme+3] + userinfo[:i] + ":****" + u[at:]
	}
	return u
}
