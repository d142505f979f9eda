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

	"amldsr/internal/config"
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
	app, err := wire(ctx, cfg, log)
	if err != nil {
		log.Error("start-up failed", "error", err)
		os.Exit(1)
	}
	if err := serve(ctx, cfg, app); err != nil {
		log.Error("stopped with an error", "error", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

func newLogger(cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Mode == config.Local {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	// The Functions host logs a custom handler's stderr as errors.
	return slog.New(slog.NewJSONHandler(os.Stdout, opts))
}
