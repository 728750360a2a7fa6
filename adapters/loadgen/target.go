package loadgen

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// target is a resolved server address.
type target struct {
	base string // http://host:port, without a trailing slash
	ws   string // ws://host:port/ws
	port int
	// local is true when every address the host resolves to is loopback,
	// so the server's process can be looked at in /proc.
	local bool
}

// resolveTarget parses raw and resolves its host. It refuses a host with
// any non-loopback address unless allowRemote: a load test aimed at the
// wrong machine is an attack on it.
func resolveTarget(ctx context.Context, raw string, allowRemote bool) (target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, fmt.Errorf("target %q: %w", raw, err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return target{}, fmt.Errorf("target %q: bad port %q", raw, port)
	}
	ip, local, err := resolveHost(ctx, host)
	if err != nil {
		return target{}, fmt.Errorf("target %q: %w", raw, err)
	}
	if !local && !allowRemote {
		return target{}, fmt.Errorf("target %q is not a loopback address: a load test sends traffic only to this machine unless --allow-remote is given", raw)
	}
	if local {
		// Connect to the address that was checked, not to whatever a second
		// look-up of the name might answer.
		host = ip.String()
	}
	base := strings.TrimSuffix(u.Scheme+"://"+net.JoinHostPort(host, port)+u.Path, "/")
	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	return target{base: base, ws: ws, port: p, local: local}, nil
}

// resolveHost returns the first address host resolves to, and whether every
// one of them is loopback.
func resolveHost(ctx context.Context, host string) (net.IP, bool, error) {
	if host == "" {
		return nil, false, fmt.Errorf("no host")
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip, ip.IsLoopback(), nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, false, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, false, fmt.Errorf("%s resolves to no address", host)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return a.IP, false, nil
		}
	}
	return addrs[0].IP, true, nil
}
