// Package statemachine holds the Amazon States Language definitions that
// template.yaml deploys (DefinitionUri), embedded so that Go code and tests
// read exactly the file SAM packages.
package statemachine

import _ "embed"

// recompute is recompute.asl.json, with its ${...} placeholders still in
// place; package workflow substitutes them.
//
//go:embed recompute.asl.json
var recompute []byte

// Recompute returns a copy of the recompute state machine's definition as
// written, placeholders (${RecomputeFunctionArn}, ${BucketName},
// ${FailureQueueUrl}) unsubstituted.
func Recompute() []byte { return append([]byte(nil), recompute...) }
