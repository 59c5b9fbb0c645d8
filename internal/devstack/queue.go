package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// ErrNoMoto means moto_server, which emulates SQS for the failure queue,
// is not installed.
var ErrNoMoto = errors.New(`moto_server not installed (pip install "moto[server]")`)

// FailureQueue is an SQS queue on moto_server standing in for the ingest
// function's on-failure destination. No Go or Node emulator of SQS speaks
// the JSON protocol today's SDK uses, so this one piece runs on moto.
type FailureQueue struct {
	URL      string // queue URL, as IngestFailureQueueUrl is in AWS
	Endpoint string // the emulator's endpoint, for SQS clients
	Client   *sqs.Client
	moto     *exec.Cmd
}

// StartFailureQueue starts moto_server on addr ("127.0.0.1:0" for any free
// port) and creates the queue name in it; cfg gives the SDK settings
// (region, test credentials). It returns an error wrapping ErrNoMoto when
// moto_server is not on PATH. Close stops the server.
func StartFailureQueue(ctx context.Context, cfg aws.Config, addr, name string) (*FailureQueue, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoMoto, err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("failure queue address %q: %w", addr, err)
	}
	if port == "0" {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = fmt.Sprint(p)
	}
	cmd := exec.Command(bin, "-H", host, "-p", port)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = nil // moto logs every request; its failures show as failed calls
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	q := &FailureQueue{moto: cmd, Endpoint: "http://" + net.JoinHostPort(host, port)}
	if err := waitTCP(ctx, net.JoinHostPort(host, port), 20*time.Second); err != nil {
		q.Close()
		return nil, fmt.Errorf("moto_server did not start on %s: %w", addr, err)
	}
	q.Client = sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(q.Endpoint) })
	out, err := q.Client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	q.URL = aws.ToString(out.QueueUrl)
	return q, nil
}

// Send puts body on the queue.
func (q *FailureQueue) Send(ctx context.Context, body []byte) error {
	if _, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(string(body))}); err != nil {
		return fmt.Errorf("send to %s: %w", q.URL, err)
	}
	return nil
}

// Close stops moto_server and waits for it to exit, so its port is free.
func (q *FailureQueue) Close() {
	if q.moto == nil || q.moto.Process == nil {
		return
	}
	stopGroup(q.moto)
	q.moto = nil
}
