// Command recompute is the Lambda function the recompute schedule invokes.
// Its environment is described by config.RecomputeFromEnv.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/recompute"
)

func main() {
	cfg, err := config.RecomputeFromEnv(os.Getenv)
	log := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{})
	if err != nil {
		log.Error("aws config", "error", err)
		os.Exit(1)
	}
	lambda.Start(recompute.LambdaHandler(cfg, clients, log))
}
