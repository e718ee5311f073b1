package ecs

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// checkParseAddr fails when ParseAddr and netip.ParseAddr disagree on s.
func checkParseAddr(t *testing.T, s string) {
	t.Helper()
	want, err := netip.ParseAddr(s)
	got, ok := ParseAddr(s)
	if ok != (err == nil) || got != want {
		t.Errorf("ParseAddr(%q) = %v, %v; netip.ParseAddr: %v, %v", s, got, ok, want, err)
	}
}

// TestParseAddr: ParseAddr answers as netip.ParseAddr does, for addresses
// of both families, zones, service names and random text over the bytes
// that matter, and allocates nothing for text that is no address.
func TestParseAddr(t *testing.T) {
	for _, s := range []string{"", "192.0.2.1", "10.0.0.256", "::1", "fe80::1%eth0", "::ffff:192.0.2.1", "2001:DB8::1",
		"AWS Internal", "ec2.amazonaws.com", "cafe.be", "1.2.3", "abc", "%", ":", "1.2.3.4%x", "fe80::1%", " 192.0.2.1"} {
		checkParseAddr(t, s)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789abcdefABCDEFgx.:%. "
	for range 20000 {
		b := make([]byte, rnd.IntN(20))
		for i := range b {
			b[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		checkParseAddr(t, string(b))
	}
	if n := testing.AllocsPerRun(100, func() { ParseAddr("secretsmanager.amazonaws.com") }); n != 0 {
		t.Errorf("ParseAddr of a service name: %v allocations, want 0", n)
	}
}

func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "::1", "fe80::1%eth0", "AWS Internal", "cafe.be"} {
		f.Add(s)
	}
	f.Fuzz(checkParseAddr)
}
