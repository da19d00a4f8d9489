package main

// This file turns telediag's --check NAME=URL flags into readiness checks: each becomes a
// probes.Checker that a probes.Runner heartbeats into the Monitor, the way Teleport's services
// report theirs. The probing itself lives in package probes, where services can use it too.

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/telediag/telediag/probes"
)

// check is one parsed --check flag.
type check struct {
	// Name is the readiness component the check reports as.
	Name string
	// URL is the upstream: tcp://host:port (a dial) or http(s)://… (a GET that must answer 2xx).
	URL *url.URL
	// Checker probes URL; hand it to a probes.Runner.
	Checker probes.Checker
}

// parseCheck reads NAME=URL. The scheme must be tcp, http or https; a tcp URL needs host and
// port.
func parseCheck(spec string) (check, error) {
	name, raw, ok := strings.Cut(spec, "=")
	if !ok {
		return check{}, fmt.Errorf("check %q: want NAME=URL, e.g. db=tcp://127.0.0.1:5432", spec)
	}
	if err := probes.ValidateName(name); err != nil {
		return check{}, fmt.Errorf("check %q: %w", spec, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return check{}, fmt.Errorf("check %q: %w", spec, err)
	}
	var c probes.Checker
	switch u.Scheme {
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" || port == "" {
			return check{}, fmt.Errorf("check %q: a tcp URL needs host:port, as tcp://127.0.0.1:5432", spec)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return check{}, fmt.Errorf("check %q: a tcp URL has no path or query", spec)
		}
		c, err = probes.NewTCPCheck(name, u.Host)
		if err != nil {
			return check{}, fmt.Errorf("check %q: %w", spec, err)
		}
	case "http", "https":
		if u.Host == "" {
			return check{}, fmt.Errorf("check %q: URL has no host", spec)
		}
		c, err = probes.NewHTTPCheck(name, raw, nil)
		if err != nil {
			return check{}, fmt.Errorf("check %q: %w", spec, err)
		}
	default:
		return check{}, fmt.Errorf("check %q: scheme %q not supported: use tcp, http or https", spec, u.Scheme)
	}
	return check{Name: name, URL: u, Checker: c}, nil
}

// checkers returns the checkers of checks, for probes.NewRunner.
func checkers(checks []check) []probes.Checker {
	out := make([]probes.Checker, 0, len(checks))
	for _, c := range checks {
		out = append(out, c.Checker)
	}
	return out
}
