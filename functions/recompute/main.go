// Command recompute is the Lambda function the recompute schedule invokes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

func main() {
	log := logging.New(os.Stderr, os.Getenv("LOG_LEVEL"))
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{})
	if err != nil {
		log.Error("aws config", "error", err)
		os.Exit(1)
	}
	svc := recompute.New(store.New(clients.DynamoDB, os.Getenv("TABLE_NAME")), clients.S3, log,
		recompute.Options{Bucket: os.Getenv("BUCKET_NAME")})
	lambda.Start(svc.Handle)
}
