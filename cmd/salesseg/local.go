package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/api"
	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/dashboard"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/ingest"
	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/recompute"
	"github.com/salesseg/salesseg/internal/store"
)

// stack is the whole salesseg deployment on one machine: the same three
// handlers as in Lambda, invoked through Lambda's own JSON decoding.
type stack struct {
	emu      *devstack.Emulators
	failures *devstack.FailureQueue // nil without moto_server
	dispatch *devstack.Dispatcher
	gateway  *devstack.Gateway
	cancel   context.CancelFunc
}

type stackOptions struct {
	root      string
	s3Addr    string
	ddbPort   int
	sqsAddr   string // failure queue's address; "" for none
	schedule  time.Duration
	debounce  time.Duration
	functions config.Functions // read through localEnv
	log       *slog.Logger
	devToken  string // bearer token the local gateway accepts; "" for the default
	// ingestDB, when set, wraps the DynamoDB client ingest uses, for
	// tests that make ingest fail.
	ingestDB func(store.DB) store.DB
}

// localName names the emulated table and bucket; the sample events in
// events/ use it too.
const localName = "salesseg-local"

// sampleDataset is the dataset `salesseg local` loads its sample into,
// so the sample never mixes into the files a user puts at the top of the
// bucket (the default dataset, which queries read without dataset=).
const sampleDataset = "sample"

// localFailureQueue names the local stack's failure queue.
const localFailureQueue = "salesseg-local-ingest-failures"

// The local stack's default addresses, which `salesseg redrive -local`
// uses too.
const (
	localS3Addr  = "127.0.0.1:4566"
	localDDBPort = 4567
	localSQSAddr = "127.0.0.1:4568"
)

// localEnv is the environment the functions see locally: getenv's, with
// the emulated table and bucket in TABLE_NAME and BUCKET_NAME, where
// template.yaml puts the real ones.
func localEnv(getenv func(string) string) func(string) string {
	return func(name string) string {
		if name == config.TableVar || name == config.BucketVar {
			return localName
		}
		return getenv(name)
	}
}

func startStack(ctx context.Context, o stackOptions) (*stack, error) {
	emu, err := devstack.Start(ctx, devstack.Options{Root: o.root, Bucket: localName, Table: localName, S3Addr: o.s3Addr, DDBPort: o.ddbPort})
	if err != nil {
		return nil, err
	}
	var fq *devstack.FailureQueue
	if o.sqsAddr != "" {
		if fq, err = devstack.StartFailureQueue(ctx, emu.Clients.Config, o.sqsAddr, localFailureQueue); err != nil {
			emu.Close()
			return nil, err
		}
	}
	h := newHandlers(emu, o)
	runCtx, cancel := context.WithCancel(ctx)
	d := emu.Dispatch(runCtx, h.ingest, h.recompute, o.log, o.schedule, o.debounce)
	if fq != nil {
		d.OnFailure(fq)
	}
	return &stack{emu: emu, failures: fq, dispatch: d, gateway: devstack.NewGateway(h.api, o.devToken), cancel: cancel}, nil
}

// handlers are the three Lambda handlers, built from their configuration
// as functions/*/main.go build them but on the emulators' clients.
type handlers struct {
	ingest, api, recompute lambda.Handler
}

func newHandlers(emu *devstack.Emulators, o stackOptions) handlers {
	f := o.functions
	var db store.DB = emu.Clients.DynamoDB
	if o.ingestDB != nil {
		db = o.ingestDB(db)
	}
	return handlers{
		ingest:    lambda.NewHandler(ingest.NewFromConfig(f.Ingest, emu.Clients.S3, db, o.log).HandleS3),
		api:       lambda.NewHandler(api.NewFromConfig(f.API, emu.Clients, o.log).Handle),
		recompute: lambda.NewHandler(recompute.LambdaHandler(f.Recompute, emu.Clients, o.log)),
	}
}

// handler serves the HTTP API under /v1/ (unchanged paths, as API Gateway
// passes them) and the dashboard everywhere else.
func (s *stack) handler() http.Handler {
	dash := dashboard.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
			s.gateway.ServeHTTP(w, r)
			return
		}
		dash.ServeHTTP(w, r)
	})
}

func (s *stack) close() {
	s.cancel()
	if s.failures != nil {
		s.failures.Close()
	}
	s.emu.Close()
}

// upload puts a local file into the bucket, which triggers ingestion.
func (s *stack) upload(ctx context.Context, path, key string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = s.emu.Clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.emu.Bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	return nil
}

// loadSample uploads the sample file into the sample dataset, waits for
// its ingestion and runs recompute, so that the first request sees its
// figures and customer analytics.
func (s *stack) loadSample(ctx context.Context, path string) error {
	if err := s.upload(ctx, path, dataset.Key(sampleDataset, "transactions/"+filepath.Base(path))); err != nil {
		return fmt.Errorf("load the sample: %w", err)
	}
	if err := s.dispatch.Idle(ctx); err != nil {
		return fmt.Errorf("load the sample: %w", err)
	}
	s.dispatch.RunRecompute(ctx)
	return nil
}

// portTaken explains a port that cannot be listened on and how to pick
// another, with make's variable and the command's flag.
func portTaken(what, addr, makeVar, flag string, err error) error {
	return fmt.Errorf("%s cannot listen on %s (%w): is another salesseg local running? Stop it, or choose another port: make local %s=<port> (salesseg local %s)",
		what, addr, err, makeVar, flag)
}

func runLocal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address of the HTTP API")
	s3Addr := fs.String("s3-addr", localS3Addr, "listen address of the emulated S3")
	ddbPort := fs.Int("dynamodb-port", localDDBPort, "port of the emulated DynamoDB on 127.0.0.1 (0: any free port)")
	sqsAddr := fs.String("sqs-addr", localSQSAddr, "listen address of the emulated failure queue (moto_server); empty for none")
	root := fs.String("root", "", "repository root (default: found from the working directory)")
	sample := fs.String("sample", "infra/sample/superstore.csv", "file uploaded at start into the dataset "+sampleDataset+", relative to the root; empty for none")
	schedule := fs.Duration("schedule", time.Hour, "recompute schedule interval")
	debounce := fs.Duration("debounce", 5*time.Second, "recompute delay after the last ingest")
	devToken := fs.String("dev-token", devstack.DefaultDevToken, "bearer token the local API accepts (stands in for a JWT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *root == "" {
		r, err := devstack.FindRoot()
		if err != nil {
			return err
		}
		*root = r
	}
	// The functions read the same variables as in Lambda, with the same
	// defaults and checks.
	fns, err := config.FunctionsFromEnv(localEnv(os.Getenv))
	if err != nil {
		return fmt.Errorf("environment: %w", err)
	}
	log := logging.New(stderr, fns.LogLevel)
	// Take the API's port and check the emulators' before any work, so a
	// taken port is reported at once rather than after loading the sample.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return portTaken("the HTTP API", *addr, "PORT", "-addr", err)
	}
	defer ln.Close()
	for _, p := range []struct{ what, addr, makeVar, flag string }{
		{"the emulated S3", *s3Addr, "S3_PORT", "-s3-addr"},
		{"the emulated DynamoDB", fmt.Sprintf("127.0.0.1:%d", *ddbPort), "DYNAMODB_PORT", "-dynamodb-port"},
		{"the failure queue", *sqsAddr, "SQS_PORT", "-sqs-addr"},
	} {
		if p.addr == "" || strings.HasSuffix(p.addr, ":0") {
			continue
		}
		probe, err := net.Listen("tcp", p.addr)
		if err != nil {
			return portTaken(p.what, p.addr, p.makeVar, p.flag, err)
		}
		probe.Close()
	}
	if *sqsAddr != "" {
		if _, err := exec.LookPath("moto_server"); err != nil {
			// The queue only keeps failed ingests for redrive: run
			// without it rather than not at all.
			log.Warn("no failure queue: failed ingests are only logged", "reason", devstack.ErrNoMoto.Error())
			*sqsAddr = ""
		}
	}
	s, err := startStack(ctx, stackOptions{root: *root, s3Addr: *s3Addr, ddbPort: *ddbPort, sqsAddr: *sqsAddr,
		schedule: *schedule, debounce: *debounce, functions: fns, log: log, devToken: *devToken})
	if err != nil {
		return err
	}
	defer s.close()
	if *sample != "" {
		if err := s.loadSample(ctx, filepath.Join(*root, *sample)); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while loading: stop quietly
			}
			return err
		}
	}
	// Serve only once the sample is in, so the first request sees data.
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ErrServerClosed on shutdown
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	failures := "off (moto_server not installed): failed ingests are only logged"
	if s.failures != nil {
		failures = s.failures.URL + "  (ingests that fail after 3 attempts; replay them with: go run ./cmd/salesseg redrive -local)"
	}
	// The sample is in a dataset of its own: the commands printed read it
	// with dataset=, and the dashboard shows it while the default dataset
	// is empty.
	sampleNote, ds := "none (started with -sample '')", ""
	if *sample != "" {
		sampleNote = fmt.Sprintf("%s in the dataset %q (add dataset=%s to a query; the dashboard shows it until you upload your own files)", *sample, sampleDataset, sampleDataset)
		ds = "&dataset=" + sampleDataset
	}
	fmt.Fprintf(stdout, `salesseg is running locally.
  Dashboard:  %[1]s/#token=%[6]s
  HTTP API:   %[1]s/v1/  (send Authorization: Bearer %[6]s; the dev token stands in for a JWT)
  S3:         %[2]s  (bucket %[3]s; put files under transactions/ to ingest them)
  DynamoDB:   %[4]s  (table %[5]s)
  Failures:   %[7]s
  Sample:     %[8]s
  Your data:  files at the top of the bucket, or uploaded without a dataset, form the default dataset,
              which queries without dataset= read; the sample never mixes into it.

Try:
  curl -s -H 'Authorization: Bearer %[6]s' '%[1]s/v1/segments?dimension=segment&from=2016-01&to=2019-12%[9]s'
  curl -s -H 'Authorization: Bearer %[6]s' '%[1]s/v1/segments?dimension=region,category&period=2017&top=5%[9]s'
  curl -s -H 'Authorization: Bearer %[6]s' '%[1]s/v1/trend?dimension=segment&grain=quarter&from=2016-Q1&to=2017-Q4%[9]s'
  curl -s -H 'Authorization: Bearer %[6]s' '%[1]s/v1/kpis?period=2017-Q4%[9]s'
  curl -s -H 'Authorization: Bearer %[6]s' '%[1]s/v1/datasets'
  curl -s '%[1]s/v1/openapi.json'
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url %[2]s s3 cp FILE s3://%[3]s/transactions/FILE

Press Ctrl-C to stop.
`, base, s.emu.S3URL, s.emu.Bucket, s.emu.DDBURL, s.emu.Table, *devToken, failures, sampleNote, ds)
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return nil
}
