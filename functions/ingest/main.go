// Command ingest is the Lambda function that ingests sales files when they
// land in, or leave, the sales bucket. Its environment is described by
// config.IngestFromEnv.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/logging"
)

func main() {
	cfg, err := config.IngestFromEnv(os.Getenv)
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
	lambda.Start(ingest.NewFromConfig(cfg, clients.S3, clients.DynamoDB, log).HandleS3)
}
