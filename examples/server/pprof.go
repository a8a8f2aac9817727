//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// A build with the pprof tag (the load test's, see loadtest/main.go)
// serves net/http/pprof on the address in GAMEKIT_PPROF, apart from the
// server's own listener and handler. Ordinary builds have none of it.
func init() {
	addr := os.Getenv("GAMEKIT_PPROF")
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			slog.Error("pprof", "addr", addr, "err", err)
		}
	}()
}
