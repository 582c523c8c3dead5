package main

import (
	"testing"

	"example.com/stagelens/hello/internal/httpcheck"
)

func TestRoutes(t *testing.T) {
	h := handler()
	httpcheck.Get(t, h, "/", 200, "hello from go")
	httpcheck.Get(t, h, "/stats?values=2,4,4,4,5,5,7,9", 200, `"pstdev":2`)
	httpcheck.Get(t, h, "/nope", 404, "")
}
