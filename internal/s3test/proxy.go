package s3test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stall makes a Proxy stop answering the requests whose URI (path and
// query) contains Match: before sending the response headers, or, with
// Body, after the headers and half the body. It stalls the first Times
// such requests (a negative Times: all of them) until the client gives up.
// With Flip, the request is not stalled but answered whole with one byte
// of the body (the one in the middle) flipped. With Status, it is not
// forwarded but answered at once with that status and an S3 error
// (SlowDown for 503, InternalError otherwise); with Reset, its connection
// is reset (closed at once with a TCP RST) without an answer.
type Stall struct {
	Match  string
	Body   bool
	Flip   bool
	Status int
	Reset  bool
	Times  int

	n int // requests stalled so far
}

// Proxy is an HTTP proxy on loopback in front of a Server that forwards
// every request unchanged (signatures stay valid: the Host header is kept)
// except those its stalls catch.
type Proxy struct {
	Endpoint string // "http://127.0.0.1:PORT"

	// ListDelay, when set (before requests are made), delays every listing
	// request (a GET of the bucket, no key) by that long before forwarding it.
	ListDelay time.Duration

	target string
	tr     *http.Transport
	done   chan struct{}
	mu     sync.Mutex
	stalls []*Stall

	listing, maxListing, lists int // listing requests in flight, the most at once, all
}

// Proxy starts a proxy in front of s, stopped when the test ends. The
// first stall that matches a request and has stalls left applies.
func (s *Server) Proxy(t testing.TB, stalls ...*Stall) *Proxy {
	t.Helper()
	p := &Proxy{target: s.Endpoint, tr: &http.Transport{}, done: make(chan struct{}), stalls: stalls}
	hs := httptest.NewServer(p)
	p.Endpoint = hs.URL
	t.Cleanup(func() {
		close(p.done)
		hs.Close()
		p.tr.CloseIdleConnections()
	})
	return p
}

// Listings returns how many listing requests the proxy has received, and
// the most it had in flight at once.
func (p *Proxy) Listings() (total, maxInFlight int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lists, p.maxListing
}

// isListing reports whether r lists a bucket: a GET of /bucket (path
// style) with list-type or no query, not of a key.
func isListing(r *http.Request) bool {
	path := strings.Trim(r.URL.Path, "/")
	return r.Method == http.MethodGet && path != "" && !strings.Contains(path, "/") &&
		(r.URL.Query().Has("list-type") || r.URL.RawQuery == "" || r.URL.Query().Has("prefix"))
}

// Stalled returns how many requests st has stalled.
func (p *Proxy) Stalled(st *Stall) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return st.n
}

func (p *Proxy) stall(uri string) *Stall {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.stalls {
		if strings.Contains(uri, st.Match) && (st.Times < 0 || st.n < st.Times) {
			st.n++
			return st
		}
	}
	return nil
}

// hang blocks until the client goes away or the test ends.
func (p *Proxy) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-p.done:
	}
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isListing(r) {
		p.mu.Lock()
		p.lists++
		p.listing++
		p.maxListing = max(p.maxListing, p.listing)
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.listing--
			p.mu.Unlock()
		}()
		if p.ListDelay > 0 {
			select {
			case <-time.After(p.ListDelay):
			case <-r.Context().Done():
				return
			}
		}
	}
	st := p.stall(r.URL.RequestURI())
	switch {
	case st != nil && st.Status != 0:
		code := "InternalError"
		if st.Status == http.StatusServiceUnavailable {
			code = "SlowDown"
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(st.Status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the test proxy</Message></Error>`, code)
		return
	case st != nil && st.Reset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with a reset
			}
			conn.Close()
		}
		return
	}
	if st != nil && !st.Body && !st.Flip {
		p.hang(r)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host
	out.ContentLength = r.ContentLength
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if st == nil {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	if st.Flip && len(body) > 0 {
		body[len(body)/2] ^= 0x01
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
	w.(http.Flusher).Flush()
	p.hang(r)
}
