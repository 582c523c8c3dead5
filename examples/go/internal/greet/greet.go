// Package greet is the example's runtime dependency: what the server answers with.
package greet

import "math"

// Greeting is the text of GET /.
func Greeting(name string) string { return "hello from go, " + name }

// Stats is the answer of GET /stats.
type Stats struct {
	Count  int     `json:"count"`
	Mean   float64 `json:"mean"`
	Pstdev float64 `json:"pstdev"`
}

// Of computes the count, mean and population standard deviation of values.
func Of(values []float64) Stats {
	n := len(values)
	if n == 0 {
		return Stats{}
	}
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	mean := sum / float64(n)
	sq := 0.0
	for _, v := range values {
		sq += (v - mean) * (v - mean)
	}
	return Stats{Count: n, Mean: mean, Pstdev: math.Sqrt(sq / float64(n))}
}
