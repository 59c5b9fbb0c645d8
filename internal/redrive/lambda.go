package redrive

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaAPI is the part of the Lambda client a Lambda invoker uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, o ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Lambda invokes a deployed function synchronously, so a redrive knows
// whether each replay succeeded before it deletes the record.
type Lambda struct {
	api      LambdaAPI
	function string
}

// NewLambda returns an invoker of function (a name or ARN) through api.
func NewLambda(api LambdaAPI, function string) *Lambda {
	return &Lambda{api: api, function: function}
}

// Invoke runs the function with payload and waits for it. A function that
// fails returns a *FunctionError with the function's own message; a call
// that fails returns the SDK's error.
func (l *Lambda) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := l.api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(l.function), Payload: payload, InvocationType: ltypes.InvocationTypeRequestResponse,
	})
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", l.function, err)
	}
	if out.FunctionError != nil {
		fe := &FunctionError{}
		if json.Unmarshal(out.Payload, fe) != nil || fe.Message == "" {
			fe = &FunctionError{Message: string(out.Payload), Type: aws.ToString(out.FunctionError)}
		}
		return nil, fe
	}
	return out.Payload, nil
}
