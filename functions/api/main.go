// Command api is the Lambda function behind the HTTP API. Its environment
// is described by config.APIFromEnv.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/api"
	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/logging"
)

func main() {
	cfg, err := config.APIFromEnv(os.Getenv)
	log := logging.New(os.Stderr, cfg.LogLevel)
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{})
	if err != nil {
		log.Error("aws config", "error", err)
		os.Exit(1)
	}
	lambda.Start(api.NewFromConfig(cfg, clients, log).Handle)
}
