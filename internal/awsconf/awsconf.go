// Package awsconf builds the AWS SDK clients salesseg uses, from the Lambda
// environment or pointed at local emulators.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/metrics"
)

// Endpoints overrides service endpoints; empty fields mean AWS itself.
type Endpoints struct {
	S3       string
	DynamoDB string
}

// Clients are the SDK clients of one process, built once and shared.
type Clients struct {
	Config   aws.Config
	S3       *s3.Client
	DynamoDB *dynamodb.Client
	Presign  *s3.PresignClient
}

// Load builds clients. With endpoints set, it uses static test credentials,
// path-style S3 addressing and checksums only where required, as local
// emulators need; otherwise the default credential chain and region.
func Load(ctx context.Context, ep Endpoints) (*Clients, error) {
	var opts []func(*config.LoadOptions) error
	local := ep.S3 != "" || ep.DynamoDB != ""
	if local {
		opts = append(opts,
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		)
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	// The clients' HTTP clients are wrapped in their options, which run
	// after the SDK has set up its own (timeouts of the defaults mode):
	// wrapping cfg.HTTPClient instead would make the SDK leave it as is.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.HTTPClient = readOnlyBodies{next: o.HTTPClient}
		if ep.S3 != "" {
			o.BaseEndpoint = aws.String(ep.S3)
			o.UsePathStyle = true
		}
	})
	// The DynamoDB client counts the items it writes for work that
	// package metrics measures (an ingested file).
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.HTTPClient = readOnlyBodies{next: o.HTTPClient}
		if ep.DynamoDB != "" {
			o.BaseEndpoint = aws.String(ep.DynamoDB)
		}
	}, metrics.CountWrites)
	return &Clients{Config: cfg, S3: s3c, DynamoDB: ddb, Presign: s3.NewPresignClient(s3c)}, nil
}
