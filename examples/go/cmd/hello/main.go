// The example's HTTP API: GET / (greeting) and GET /stats?values=1,2,3.
// `-self-test` starts it on a loopback port, asks both routes once, prints the answers and
// exits, so a container without a network can show that it works.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"

	"example.com/stagelens/hello/internal/greet"
)

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, map[string]string{"message": greet.Greeting("stage lens")})
	})
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		var values []float64
		for _, s := range strings.Split(r.URL.Query().Get("values"), ",") {
			if v, err := strconv.ParseFloat(s, 64); err == nil {
				values = append(values, v)
			}
		}
		writeJSON(w, greet.Of(values))
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func main() {
	selfTest := flag.Bool("self-test", false, "serve on loopback, request each route once, print the answers")
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	if !*selfTest {
		log.Printf("listening on %s", *addr)
		log.Fatal(http.ListenAndServe(*addr, handler()))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = http.Serve(ln, handler()) }()
	for _, p := range []string{"/", "/stats?values=2,4,4,4,5,5,7,9"} {
		res, err := http.Get("http://" + ln.Addr().String() + p)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Printf("%s %d %s\n", p, res.StatusCode, strings.TrimSpace(string(body)))
	}
}
