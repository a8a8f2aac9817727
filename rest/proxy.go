package rest

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustProxies is middleware for a server behind reverse proxies (a load
// balancer in front of several servers): for a request that arrives from
// one of the trusted proxies it sets r.RemoteAddr to the client's address
// from X-Forwarded-For, and the scheme AbsoluteURL writes from
// X-Forwarded-Proto, before next sees the request. Everything that keys on
// the client then works behind the proxy as it does without one: sign-in
// throttles, websocket caps per address, request logs.
//
// The client is the nearest address in X-Forwarded-For that is not a
// trusted proxy, read from the right, since only the entries appended by
// trusted proxies can be believed; whatever a client writes into the
// header itself stays to the left of them. A request from anywhere else
// keeps its RemoteAddr and its headers are ignored, so a client cannot
// claim another address by sending them. With no trusted proxies,
// TrustProxies returns next.
func TrustProxies(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		a = a.Unmap()
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, ok := remoteAddr(r)
		if !ok || !isTrusted(peer) {
			next.ServeHTTP(w, r)
			return
		}
		client := peer
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, ok := parseHop(strings.TrimSpace(hops[i]))
			if !ok {
				break // not written by a proxy we trust: keep the last good one
			}
			client = hop
			if !isTrusted(client) {
				break
			}
		}
		r2 := r.Clone(r.Context())
		r2.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		switch proto := r.Header.Get("X-Forwarded-Proto"); proto {
		case "http", "https":
			r2.URL.Scheme = proto
		}
		next.ServeHTTP(w, r2)
	})
}

// ParsePrefixes reads a comma-separated list of addresses and networks,
// such as "10.0.0.0/8, 192.0.2.7, ::1": an address alone is a network of
// one. It is how a flag or setting names the trusted proxies.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			prefixes = append(prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a network (such as 10.0.0.0/8)", item)
		}
		prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return prefixes, nil
}

// parseHop reads one X-Forwarded-For entry: an address, or an address and
// port as some proxies write them ("192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// ClientKey is the key under which limits count what comes from r's
// client (sign-in throttles, websocket connection caps): AddressKey of
// the host of r.RemoteAddr. Behind a reverse proxy, put TrustProxies in
// front, which sets RemoteAddr to the client's.
func ClientKey(r *http.Request) string {
	return AddressKey(remoteHost(r))
}

// AddressKey is the key of a client address: the address itself, except
// that an IPv6 address counts by its /64, since a client (a home, a cloud
// machine) is usually given a whole /64 and could otherwise take a fresh
// address for every attempt. An IPv4 address mapped into IPv6 is keyed as
// IPv4, and a zone is dropped, so one client has one key however its
// address is written. Anything that is not an IP address, a key included,
// is its own key, so AddressKey(AddressKey(a)) is AddressKey(a).
func AddressKey(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap().WithZone(""); a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// remoteAddr is the IP address of r.RemoteAddr, IPv4 unmapped.
func remoteAddr(r *http.Request) (netip.Addr, bool) {
	a, err := netip.ParseAddr(remoteHost(r))
	return a.Unmap(), err == nil
}

// remoteHost is the host of r.RemoteAddr, which a proxy-aware middleware
// may have set without a port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.Trim(r.RemoteAddr, "[]")
	}
	return host
}
