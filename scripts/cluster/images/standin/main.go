// Command standin is the whole content of the images whose containers only imitate a bookie
// (registry.yaml behaviours ready, never-ready and crash). It is the image's entrypoint and,
// linked as /opt/bookkeeper/bin/bookkeeper, the target of the pod template's readiness probe
// `bookkeeper shell bookiesanity`, so a real kubelet sees the declared behaviour.
package main

import (
	"encoding/json"
	"fmt"
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
		fmt.Printf("standin: running (behaviour %s, ready delay %gs)\n", cfg.Behaviour, cfg.ReadyDelaySeconds)
		got := <-stop
		fmt.Printf("standin: %v received, exiting\n", got)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "standin: unknown behaviour %q\n", cfg.Behaviour)
		return 2
	}
}

// probe answers the readiness probe: ready only for behaviour ready, once the delay has passed.
func probe(cfg config) int {
	if cfg.Behaviour != "ready" {
		fmt.Printf("not ready: behaviour %s never becomes ready\n", cfg.Behaviour)
		return 1
	}
	raw, err := os.ReadFile(startedPath)
	if err != nil {
		fmt.Printf("not ready: the entrypoint has not started (%v)\n", err)
		return 1
	}
	nanos, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		fmt.Printf("not ready: %s: %v\n", startedPath, err)
		return 1
	}
	running := time.Since(time.Unix(0, nanos))
	delay := time.Duration(cfg.ReadyDelaySeconds * float64(time.Second))
	if running < delay {
		fmt.Printf("not ready: running %.1fs of the %gs ready delay\n", running.Seconds(), cfg.ReadyDelaySeconds)
		return 1
	}
	fmt.Printf("ready: running %.1fs\n", running.Seconds())
	return 0
}
