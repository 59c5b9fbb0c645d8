package devstack_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/salesseg/salesseg/internal/devstack/emutest"
)

// TestDynaliteSurvivesAbandonedRequests sends half a request and hangs up,
// as a client whose context is cancelled does: the emulator must keep
// serving (plain dynalite exits on it).
func TestDynaliteSurvivesAbandonedRequests(t *testing.T) {
	emu := emutest.Start(t)
	addr := strings.TrimPrefix(emu.DDBURL, "http://")
	for i := range 3 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Lim", addr)
		time.Sleep(50 * time.Millisecond)
		c.Close()
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := emu.Clients.DynamoDB.ListTables(ctx, &dynamodb.ListTablesInput{})
		cancel()
		if err != nil {
			t.Fatalf("after abandoned request %d: %v", i+1, err)
		}
		if len(out.TableNames) != 1 {
			t.Fatalf("tables %v", out.TableNames)
		}
	}
}
