// Command api is the Lambda function behind the HTTP API. It reads
// TABLE_NAME (the DynamoDB table), BUCKET_NAME (the sales bucket, for
// presigned uploads), LOG_LEVEL, and FISCAL_YEAR_START (month number 1-12
// that fiscal years start in; default 1).
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/salesseg/salesseg/internal/api"
	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/store"
)

func main() {
	log := logging.New(os.Stderr, os.Getenv("LOG_LEVEL"))
	cal, err := calendar(os.Getenv("FISCAL_YEAR_START"))
	if err != nil {
		log.Error("configuration", "error", err)
		os.Exit(1)
	}
	clients, err := awsconf.Load(context.Background(), awsconf.Endpoints{})
	if err != nil {
		log.Error("aws config", "error", err)
		os.Exit(1)
	}
	svc := api.New(api.Config{
		Reader:    store.New(clients.DynamoDB, os.Getenv("TABLE_NAME")),
		Presigner: clients.Presign,
		Bucket:    os.Getenv("BUCKET_NAME"),
		Calendar:  cal,
		Log:       log,
	})
	lambda.Start(svc.Handle)
}

// calendar builds the fiscal calendar from FISCAL_YEAR_START; empty means
// January.
func calendar(v string) (period.Calendar, error) {
	if v == "" {
		return period.Calendar{}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return period.Calendar{}, fmt.Errorf("FISCAL_YEAR_START %q: %w", v, err)
	}
	return period.NewCalendar(time.Month(n))
}
