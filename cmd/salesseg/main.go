// Command salesseg is the local tool: `salesseg local` runs the whole
// stack on this machine and `salesseg parse FILE` shows what ingestion
// makes of a sales file without any AWS service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  salesseg local [flags]   run the whole stack locally (emulated S3 and DynamoDB, API on localhost)
  salesseg parse FILE      parse a sales file and print its totals and detected format as JSON (-mapping FILE)
  salesseg analyze FILE... customer analytics (tiers, RFM, CLV, quadrants, bridges) of local files as JSON
  salesseg forecast FILE.. monthly revenue forecast with intervals and backtest (-dimension, -value, -horizon, -to) as JSON
  salesseg redrive [flags] replay ingests that failed after Lambda's retries (-local: the local stack's)

Run "salesseg local -h" for the local stack's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "salesseg:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "local":
		return runLocal(ctx, args[1:], stdout, stderr)
	case "parse":
		return runParse(args[1:], stdout, stderr)
	case "analyze":
		return runAnalyze(ctx, args[1:], stdout, stderr)
	case "forecast":
		return runForecast(ctx, args[1:], stdout, stderr)
	case "redrive":
		return runRedrive(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
