// Command ingest is the Lambda function that ingests sales files when they
// land in, or leave, the sales bucket.
package main

import (
	"context"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/store"
)

func main() {
	log := logging.New(os.Stderr, os.Getenv("LOG_LEVEL"))
	rate := 0.5
	if v := os.Getenv("MAX_REJECT_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			log.Error("MAX_REJECT_RATE must be a number in [0, 1]", "value", v)
			os.Exit(1)
		}
		rate = r
	}
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{})
	if err != nil {
		log.Error("aws config", "error", err)
		os.Exit(1)
	}
	svc := ingest.NewService(clients.S3, store.New(clients.DynamoDB, os.Getenv("TABLE_NAME")), log, rate)
	if v := os.Getenv("MAX_SPOOL_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			log.Error("MAX_SPOOL_BYTES must be a whole number of bytes", "value", v)
			os.Exit(1)
		}
		svc.MaxSpoolBytes = n
	}
	lambda.Start(svc.HandleS3)
}
