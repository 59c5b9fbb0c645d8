// Package devstack runs salesseg's AWS pieces on one machine: DynamoDB
// (dynalite, a Node.js implementation of the DynamoDB wire protocol), S3
// (gofakes3, in process, behind a check of presigned URLs' signatures,
// which gofakes3 does not make), S3 event notifications to the ingest handler, the
// recompute schedule, and an HTTP server that turns requests into API
// Gateway HTTP API events for the api handler.
//
// dynalite and gofakes3 were chosen over moto_server because salesseg's
// storage design needs no transactions and they are an order of magnitude
// faster on reads (measurements in ../shared/LOCAL-AWS.md); dynalite also
// enforces AWS limits moto skips, such as 25 items per BatchWriteItem.
// dynalite runs through infra/node/dynalite.cjs, which keeps it serving
// when a client abandons a request and closes the database iterators it
// would leave open (its comments say why both matter).
package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/store"
)

// ErrNoDynalite means the dynalite binary is not installed; `make deps`
// (run by `make local` and `make test`) installs it with npm.
var ErrNoDynalite = errors.New("dynalite not installed: run `make deps` (needs node and npm)")

// DynalitePath is where `make deps` installs dynalite, and DynaliteLauncher
// the script that runs it, relative to the repository root.
const (
	DynalitePath     = "infra/node/node_modules/dynalite"
	DynaliteLauncher = "infra/node/dynalite.cjs"
)

// Emulators are a running DynamoDB emulator and S3 emulator with clients
// pointed at them.
type Emulators struct {
	Clients  *awsconf.Clients
	Bucket   string
	Table    string
	S3URL    string
	DDBURL   string
	dynalite *exec.Cmd
	s3srv    *http.Server
	s3ln     net.Listener
	notify   *notifier
	closed   sync.Once
}

// Options configure the emulators.
type Options struct {
	Root   string // repository root, to find dynalite
	Bucket string
	Table  string
	S3Addr string // listen address for S3, e.g. "127.0.0.1:0"
	// DDBPort is dynalite's port on 127.0.0.1; 0 picks a free one.
	DDBPort int
}

// Start starts dynalite and gofakes3 and creates the bucket (versioned) and
// the table. Close stops both, dynalite by process id.
func Start(ctx context.Context, o Options) (*Emulators, error) {
	bin := filepath.Join(o.Root, DynalitePath)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (looked for %s)", ErrNoDynalite, bin)
	}
	var err error
	port := o.DDBPort
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	} else if err := portFree(port); err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(o.Root, DynaliteLauncher), "--port", fmt.Sprint(port), "--host", "127.0.0.1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr // stdout only announces the port, which we chose
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dynalite: %w", err)
	}
	e := &Emulators{dynalite: cmd, Bucket: o.Bucket, Table: o.Table, DDBURL: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := waitTCP(ctx, fmt.Sprintf("127.0.0.1:%d", port), 15*time.Second); err != nil {
		e.Close()
		return nil, fmt.Errorf("dynalite did not start: %w", err)
	}
	addr := o.S3Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if e.s3ln, err = net.Listen("tcp", addr); err != nil {
		e.Close()
		return nil, fmt.Errorf("listen for S3 on %s: %w", addr, err)
	}
	e.S3URL = "http://" + e.s3ln.Addr().String()
	if e.Clients, err = awsconf.Load(ctx, awsconf.Endpoints{S3: e.S3URL, DynamoDB: e.DDBURL}); err != nil {
		e.s3ln.Close()
		e.Close()
		return nil, err
	}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithInsecureCORS(), gofakes3.WithTimeSkewLimit(0))
	e.notify = newNotifier(faker.Server())
	e.s3srv = &http.Server{Handler: newPresignChecker(e.notify, e.Clients.Config.Credentials), ReadHeaderTimeout: 10 * time.Second}
	go e.s3srv.Serve(e.s3ln) //nolint:errcheck // returns ErrServerClosed on Close
	if err := e.create(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// Fresh creates another bucket and table on the same running emulators and
// returns emulators that use them, so that tests needing many clean tables
// do not start a process for each. Closing the returned value stops
// nothing; the original's Close stops the processes.
func (e *Emulators) Fresh(ctx context.Context, bucket, table string) (*Emulators, error) {
	f := &Emulators{Clients: e.Clients, Bucket: bucket, Table: table, S3URL: e.S3URL, DDBURL: e.DDBURL, notify: e.notify}
	if err := f.create(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// create makes the bucket and table as template.yaml defines them: a
// versioned bucket, a table keyed by string pk and sk with the upload
// history index (store.UploadsIndex), billed per request.
func (e *Emulators) create(ctx context.Context) error {
	if _, err := e.Clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(e.Bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", e.Bucket, err)
	}
	if _, err := e.Clients.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(e.Bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		return fmt.Errorf("enable versioning on %s: %w", e.Bucket, err)
	}
	_, err := e.Clients.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(e.Table),
		AttributeDefinitions: []dtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String(store.UploadsIndexPK), AttributeType: dtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String(store.UploadsIndexSK), AttributeType: dtypes.ScalarAttributeTypeS},
		},
		KeySchema: []dtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange},
		},
		GlobalSecondaryIndexes: []dtypes.GlobalSecondaryIndex{{
			IndexName: aws.String(store.UploadsIndex),
			KeySchema: []dtypes.KeySchemaElement{
				{AttributeName: aws.String(store.UploadsIndexPK), KeyType: dtypes.KeyTypeHash},
				{AttributeName: aws.String(store.UploadsIndexSK), KeyType: dtypes.KeyTypeRange},
			},
			Projection: &dtypes.Projection{ProjectionType: dtypes.ProjectionTypeAll},
		}},
		BillingMode: dtypes.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %s: %w", e.Table, err)
	}
	// Even with no creation delay dynalite activates a table
	// asynchronously: wait, so the first write never finds it missing.
	w := dynamodb.NewTableExistsWaiter(e.Clients.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(e.Table)}, 10*time.Second); err != nil {
		return fmt.Errorf("table %s did not become active: %w", e.Table, err)
	}
	return nil
}

// Close stops the S3 server and dynalite, waiting for dynalite to exit so
// its port is free again.
func (e *Emulators) Close() { e.closed.Do(e.stop) }

func (e *Emulators) stop() {
	if e.s3srv != nil {
		e.s3srv.Close()
	}
	if e.dynalite != nil && e.dynalite.Process != nil {
		stopGroup(e.dynalite)
	}
}

// stopGroup stops an emulator started in its own process group and waits
// for it to exit, killing it if it takes longer than five seconds.
func stopGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// portFree fails when port is taken, which dynalite would only report by
// exiting, leaving the wait for it to time out.
func portFree(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return fmt.Errorf("DynamoDB port %d: %w", port, err)
	}
	return ln.Close()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitTCP(ctx context.Context, addr string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// FindRoot walks up from the working directory to the directory holding
// go.mod, where infra/ lives.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the salesseg repository (no go.mod above the working directory)")
		}
		dir = parent
	}
}
