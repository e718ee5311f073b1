package ecs

import "net/netip"

// ParseAddr is netip.ParseAddr without the error: ok is false when s is not
// an IP address literal. Unlike netip.ParseAddr it allocates nothing for
// such text (an error per service name or "AWS Internal" in
// sourceIPAddress), since it refuses a string holding a byte no address
// literal has before netip.ParseAddr sees it.
func ParseAddr(s string) (netip.Addr, bool) {
	if !mayBeAddr(s) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil
}

// mayBeAddr reports whether s may be an address netip.ParseAddr takes:
// false when s is empty or holds, before any '%' (which starts an IPv6
// zone, free text), a byte that is not a decimal or hexadecimal digit, '.'
// or ':'.
func mayBeAddr(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F', c == '.', c == ':':
		case c == '%':
			return true
		default:
			return false
		}
	}
	return s != ""
}
