package emutest

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/salesseg/salesseg/internal/store"
)

// ErrInjected is the failure FaultyDB returns.
var ErrInjected = errors.New("injected failure")

// FaultyDB fails one chosen DynamoDB call, either before sending it or
// after it was applied (a lost response), as a crash or a timeout would.
// With Dead set, every call from FailAt on fails before it is sent, as
// after the death of the process.
type FaultyDB struct {
	store.DB
	FailAt int64 // 1-based call number to fail; 0 never
	After  bool
	Dead   bool
	Calls  atomic.Int64
	// Injected is set once a failure was returned: a call that fails by
	// itself (a conditional write) gets no injected failure after it.
	Injected atomic.Bool
}

func (f *FaultyDB) fail(apply func() error) error {
	n := f.Calls.Add(1)
	if f.FailAt == 0 || n < f.FailAt || (n > f.FailAt && !f.Dead) {
		return apply()
	}
	if f.After && n == f.FailAt {
		if err := apply(); err != nil {
			return err
		}
	}
	f.Injected.Store(true)
	return ErrInjected
}

// GetItem fails as chosen, or calls the DB.
func (f *FaultyDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.GetItemOutput, err error) {
	err = f.fail(func() error { out, err = f.DB.GetItem(ctx, in, o...); return err })
	return out, err
}

// PutItem fails as chosen, or calls the DB.
func (f *FaultyDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.PutItemOutput, err error) {
	err = f.fail(func() error { out, err = f.DB.PutItem(ctx, in, o...); return err })
	return out, err
}

// UpdateItem fails as chosen, or calls the DB.
func (f *FaultyDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.UpdateItemOutput, err error) {
	err = f.fail(func() error { out, err = f.DB.UpdateItem(ctx, in, o...); return err })
	return out, err
}

// BatchWriteItem fails as chosen, or calls the DB.
func (f *FaultyDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (out *dynamodb.BatchWriteItemOutput, err error) {
	err = f.fail(func() error { out, err = f.DB.BatchWriteItem(ctx, in, o...); return err })
	return out, err
}

// Query fails as chosen, or calls the DB.
func (f *FaultyDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (out *dynamodb.QueryOutput, err error) {
	err = f.fail(func() error { out, err = f.DB.Query(ctx, in, o...); return err })
	return out, err
}
