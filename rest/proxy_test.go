package rest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/gamekit/gamekit/rest"
)

// Behind trusted proxies the handler sees the client's address and
// scheme; a client's own X-Forwarded-For entries and requests from
// anywhere else change nothing.
func TestTrustProxies(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.RemoteAddr+" "+rest.AbsoluteURL(r, "/x"))
	})
	get := func(trusted string, header http.Header) string {
		t.Helper()
		prefixes, err := rest.ParsePrefixes(trusted)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(rest.TrustProxies(prefixes, echo))
		defer srv.Close()
		req, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		got := strings.Replace(string(body), srv.Listener.Addr().String(), "HOST", 1)
		return peer.ReplaceAllString(got, "PEER")
	}
	xff := func(values ...string) http.Header {
		return http.Header{"X-Forwarded-For": values}
	}
	for _, tc := range []struct {
		name, trusted string
		header        http.Header
		want          string // PEER: the connection's own address
	}{
		{"no proxies trusted", "", xff("192.0.2.1"), "PEER http://HOST/x"},
		{"peer not trusted", "10.0.0.0/8", xff("192.0.2.1"), "PEER http://HOST/x"},
		{"one proxy", "127.0.0.1", xff("192.0.2.1"), "192.0.2.1:0 http://HOST/x"},
		{"a client's own entries are passed over", "127.0.0.1", xff("203.0.113.9, 192.0.2.1"), "192.0.2.1:0 "},
		{"a chain of proxies", "127.0.0.0/8, 10.0.0.0/8", xff("203.0.113.9, 192.0.2.1, 10.1.2.3"), "192.0.2.1:0 "},
		{"several header lines", "127.0.0.1, 10.0.0.0/8", xff("203.0.113.9", "192.0.2.1, 10.1.2.3"), "192.0.2.1:0 "},
		{"IPv6 client", "127.0.0.1", xff("2001:db8::1"), "[2001:db8::1]:0 "},
		{"with ports", "127.0.0.1, 10.0.0.0/8", xff("[2001:db8::1]:4711, 10.1.2.3:80"), "[2001:db8::1]:0 "},
		{"every hop trusted", "127.0.0.1, 10.0.0.0/8", xff("10.9.9.9"), "10.9.9.9:0 "},
		{"garbage stops the walk", "127.0.0.1", xff("192.0.2.1, garbage"), "127.0.0.1:0 "},
		{"no header", "127.0.0.1", http.Header{}, "127.0.0.1:0 "},
		{"TLS ended at the proxy", "127.0.0.1", http.Header{"X-Forwarded-For": {"192.0.2.1"}, "X-Forwarded-Proto": {"https"}}, "192.0.2.1:0 https://HOST/x"},
		{"scheme from an untrusted peer", "10.0.0.0/8", http.Header{"X-Forwarded-Proto": {"https"}}, "PEER http://HOST/x"},
		{"unknown scheme", "127.0.0.1", http.Header{"X-Forwarded-Proto": {"gopher"}}, "http://HOST/x"},
	} {
		if got := get(tc.trusted, tc.header); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want it to contain %q", tc.name, got, tc.want)
		}
	}
}

// peer is the address of a loopback client's connection, with its port.
var peer = regexp.MustCompile(`127\.0\.0\.1:[1-9][0-9]*`)

func TestParsePrefixes(t *testing.T) {
	got, err := rest.ParsePrefixes(" 10.1.2.3/8, 192.0.2.7,::1 ,")
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("::1/128")}
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %v %v, want %v", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("prefix %d: got %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0"} {
		if _, err := rest.ParsePrefixes(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePrefixes(%q): got %v, want an error naming it", bad, err)
		}
	}
}

// A client has one key however its address is written, and a client given
// an IPv6 /64 has one key for all of it.
func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ remoteAddr, want string }{
		{"192.0.2.1:54321", "192.0.2.1"},
		{"192.0.2.1", "192.0.2.1"}, // set without a port by a proxy-aware middleware
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::/64"},
		{"[2001:db8::ffff:ffff:ffff:ffff]:443", "2001:db8::/64"},
		{"[2001:db8:0:1::1]:443", "2001:db8:0:1::/64"},
		{"[fe80::1%eth0]:443", "fe80::/64"},
		{"[2001:db8::1]", "2001:db8::/64"},
		{"2001:db8::1", "2001:db8::/64"},
		{"@", "@"}, // a Unix socket
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remoteAddr
		if got := rest.ClientKey(r); got != tc.want {
			t.Errorf("ClientKey(%q): got %v, want %v", tc.remoteAddr, got, tc.want)
		}
		// A key is its own key, so a caller handed one may key it again.
		if got := rest.AddressKey(tc.want); got != tc.want {
			t.Errorf("AddressKey(%q): got %v, want it unchanged", tc.want, got)
		}
	}
}
