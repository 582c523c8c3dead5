// Package httpcheck is the example's test-only dependency: small assertions on HTTP handlers.
// Only _test.go files import it, so it is never compiled into the binary.
package httpcheck

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Get serves one GET request to h and fails the test unless the status and body match.
func Get(t *testing.T, h http.Handler, path string, status int, bodyContains string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != status || !strings.Contains(string(body), bodyContains) {
		t.Fatalf("GET %s: %d %q, want %d containing %q", path, rec.Code, body, status, bodyContains)
	}
}
