// Command handler is amldsr: an Azure Functions custom handler that
// carries out GDPR data-subject requests against Azure Machine Learning.
//
// It runs in one of three modes (see internal/config): Functions (the host
// sets FUNCTIONS_CUSTOMHANDLER_PORT), local (the default: the API on
// DSR_LISTEN and the queue consumed in process), and worker (`handler
// worker`: Service Bus consumed with peek-lock). main reads the
// configuration, wires adapters into the core, and serves; nothing else.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"amldsr/internal/config"
	"amldsr/internal/logs"
	"amldsr/internal/metrics"
)

func main() {
	cfg, err := config.Load(os.Getenv, os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "amldsr: configuration: %v\n", err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	meters, err := metrics.Setup(ctx)
	if err != nil {
		log.Error("metrics: the OpenTelemetry exporter could not be set up", "error", err)
		os.Exit(1)
	}
	defer flushMetrics(meters, log)
	app, err := wire(ctx, cfg, log)
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	if err := serve(ctx, cfg, app); err != nil {
		log.Error("stopped with an error", "error", err)
		flushMetrics(meters, log)
		os.Exit(1)
	}
	log.Info("stopped")
}

// newLogger: text on stderr for a person in local mode; JSON lines on
// stdout in Functions and worker mode (the Functions host logs a custom
// handler's stderr as errors), with the request id as operation_Id.
func newLogger(cfg config.Config) *slog.Logger {
	if cfg.Mode == config.Local {
		return logs.New(os.Stderr, cfg.LogLevel, false)
	}
	return logs.New(os.Stdout, cfg.LogLevel, true)
}

// flushMetrics exports what is left, within 5 seconds.
func flushMetrics(p *metrics.Provider, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		log.Warn("metrics: the last export failed", "error", err)
	}
}
