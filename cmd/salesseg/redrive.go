package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/redrive"
)

// errRedriveIncomplete means some records could not be replayed; they stay
// in the queue and the report says why.
var errRedriveIncomplete = errors.New("some failed ingests could not be replayed; they stay in the queue")

// runRedrive replays the failure queue's records into the ingest function
// and prints the report as JSON: deployed, the queue and function are
// named by flags (the stack's IngestFailureQueueUrl and IngestFunction);
// with -local, the running `salesseg local` stack's queue is replayed
// through the ingest handler in this process, on that stack's emulators.
func runRedrive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	queueURL := fs.String("queue-url", "", "URL of the ingest failure queue (the stack output IngestFailureQueueUrl)")
	function := fs.String("function", "", "name or ARN of the deployed ingest function")
	local := fs.Bool("local", false, "replay the failure queue of the stack `salesseg local` runs")
	s3Addr := fs.String("s3-addr", localS3Addr, "with -local: the local stack's S3 address")
	ddbPort := fs.Int("dynamodb-port", localDDBPort, "with -local: the local stack's DynamoDB port")
	sqsAddr := fs.String("sqs-addr", localSQSAddr, "with -local: the local stack's failure queue address")
	dry := fs.Bool("dry-run", false, "list the failed ingests without replaying them")
	limit := fs.Int("max", 0, "replay at most this many records (0: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("redrive takes no arguments, got %q", fs.Args())
	}
	fns, err := config.FunctionsFromEnv(localEnv(os.Getenv))
	if err != nil && *local {
		return fmt.Errorf("environment: %w", err)
	}
	log := logging.New(stderr, fns.LogLevel)
	var (
		queue   *redrive.SQS
		invoker redrive.Invoker
	)
	switch {
	case *local:
		clients, err := awsconf.Load(ctx, awsconf.Endpoints{S3: "http://" + *s3Addr, DynamoDB: fmt.Sprintf("http://127.0.0.1:%d", *ddbPort)})
		if err != nil {
			return err
		}
		sq := sqs.NewFromConfig(clients.Config, func(o *sqs.Options) { o.BaseEndpoint = aws.String("http://" + *sqsAddr) })
		url, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(localFailureQueue)})
		if err != nil {
			var op *net.OpError
			if errors.As(err, &op) {
				return fmt.Errorf("no local failure queue at %s: is `salesseg local` running? (%w)", *sqsAddr, err)
			}
			return fmt.Errorf("find the local failure queue: %w", err)
		}
		queue = redrive.NewSQS(sq, aws.ToString(url.QueueUrl))
		invoker = lambda.NewHandler(ingest.NewFromConfig(fns.Ingest, clients.S3, clients.DynamoDB, log).HandleS3)
	case *queueURL != "" && *function != "":
		clients, err := awsconf.Load(ctx, awsconf.Endpoints{})
		if err != nil {
			return err
		}
		queue = redrive.NewSQS(sqs.NewFromConfig(clients.Config), *queueURL)
		invoker = redrive.NewLambda(awslambda.NewFromConfig(clients.Config), *function)
	default:
		fs.Usage()
		return errors.New("redrive needs -queue-url and -function, or -local")
	}
	rep, err := redrive.New(queue, invoker, log).Run(ctx, redrive.Options{DryRun: *dry, Max: *limit})
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if eerr := enc.Encode(rep); eerr != nil {
		return eerr
	}
	if err != nil {
		return err
	}
	if len(rep.Failed) > 0 {
		return errRedriveIncomplete
	}
	return nil
}
