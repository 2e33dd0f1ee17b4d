// Command standin is the whole content of the images whose containers only imitate a bookie
// (registry.yaml behaviours ready, never-ready and crash). It is the image's entrypoint and
// answers both readiness probes a bookie pod may have: BookKeeper's admin endpoint
// /api/v1/bookie/is_ready on port 8000 (the deploy role's template) and, linked as
// /opt/bookkeeper/bin/bookkeeper, `bookkeeper shell bookiesanity` (the Pravega operator's), so a
// real kubelet sees the declared behaviour.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	configPath  = "/etc/standin.json"
	startedPath = "/tmp/standin.started"
	adminAddr   = ":8000"
)

// config is the image's declared behaviour, written into the image by scripts/cluster/images.py.
type config struct {
	Behaviour         string  `json:"behaviour"`
	ReadyDelaySeconds float64 `json:"readyDelaySeconds"`
}

func main() {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin: %v\n", err)
		os.Exit(2)
	}
	args := os.Args[1:]
	switch {
	case filepath.Base(os.Args[0]) == "bookkeeper" && len(args) == 2 && args[0] == "shell" && args[1] == "bookiesanity":
		os.Exit(probe(cfg))
	case filepath.Base(os.Args[0]) == "standin" && len(args) == 0:
		os.Exit(serve(cfg))
	default:
		fmt.Fprintln(os.Stderr, "usage: standin (as the entrypoint) | bookkeeper shell bookiesanity (the readiness probe)")
		os.Exit(2)
	}
}

func loadConfig() (config, error) {
	var cfg config
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %v", configPath, err)
	}
	return cfg, nil
}

// serve runs as the container's main process: it crashes as declared, or records its start
// (the probe measures the ready delay from it) and waits for the kubelet's stop signal.
func serve(cfg config) int {
	switch cfg.Behaviour {
	case "crash":
		fmt.Println("standin: crashing as declared (behaviour crash), exit code 1")
		time.Sleep(500 * time.Millisecond)
		return 1
	case "ready", "never-ready":
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		started := strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := os.WriteFile(startedPath, []byte(started), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "standin: %v\n", err)
			return 1
		}
		go serveAdmin(cfg)
		fmt.Printf("standin: running (behaviour %s, ready delay %gs)\n", cfg.Behaviour, cfg.ReadyDelaySeconds)
		got := <-stop
		fmt.Printf("standin: %v received, exiting\n", got)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "standin: unknown behaviour %q\n", cfg.Behaviour)
		return 2
	}
}

// serveAdmin answers BookKeeper's admin paths the probes and health gates ask: 200 when ready,
// 503 with the reason otherwise.
func serveAdmin(cfg config) {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/bookie/is_ready", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := ready(cfg)
		if !ok {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "OK")
	})
	mux.HandleFunc("/heartbeat", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "OK") })
	if err := http.ListenAndServe(adminAddr, mux); err != nil {
		fmt.Fprintf(os.Stderr, "standin: admin endpoint: %v\n", err)
	}
}

// probe answers the exec readiness probe with ready's verdict as its exit code.
func probe(cfg config) int {
	ok, why := ready(cfg)
	fmt.Println(why)
	if !ok {
		return 1
	}
	return 0
}

// ready is true only for behaviour ready, once the delay has passed since the entrypoint started.
func ready(cfg config) (bool, string) {
	if cfg.Behaviour != "ready" {
		return false, fmt.Sprintf("not ready: behaviour %s never becomes ready", cfg.Behaviour)
	}
	raw, err := os.ReadFile(startedPath)
	if err != nil {
		return false, fmt.Sprintf("not ready: the entrypoint has not started (%v)", err)
	}
	nanos, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return false, fmt.Sprintf("not ready: %s: %v", startedPath, err)
	}
	running := time.Since(time.Unix(0, nanos))
	delay := time.Duration(cfg.ReadyDelaySeconds * float64(time.Second))
	if running < delay {
		return false, fmt.Sprintf("not ready: running %.1fs of the %gs ready delay", running.Seconds(), cfg.ReadyDelaySeconds)
	}
	return true, fmt.Sprintf("ready: running %.1fs", running.Seconds())
}
