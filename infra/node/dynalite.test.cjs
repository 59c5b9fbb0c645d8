// Tests of the dynalite launcher: node --test (make test runs them).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const abstractLevel = require('abstract-level');
const { MemoryLevel } = require('memory-level');
const { closeEndedIterators, createServer } = require('./dynalite.cjs');

// open holds every iterator the in-memory database has handed out and not
// yet closed; the wrappers go on before any request runs.
const open = new Set();
let opened = 0;
for (const method of ['_iterator', '_keys', '_values']) {
  const make = MemoryLevel.prototype[method];
  MemoryLevel.prototype[method] = function (...args) {
    const it = make.apply(this, args);
    open.add(it);
    opened++;
    return it;
  };
}
for (const C of [abstractLevel.AbstractIterator, abstractLevel.AbstractKeyIterator, abstractLevel.AbstractValueIterator]) {
  const close = C.prototype.close;
  C.prototype.close = function () {
    open.delete(this);
    return close.call(this);
  };
}

// call sends one DynamoDB JSON request to the server on port, signed
// with dummy credentials as dynalite only checks the header's shape.
async function call(port, target, body) {
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.' + target,
      'x-amz-date': '20260101T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const out = await res.json();
  assert.equal(res.status, 200, `${target}: ${JSON.stringify(out)}`);
  return out;
}

test('every request closes the iterators it opened', async () => {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  try {
    await call(port, 'CreateTable', {
      TableName: 'leak-check',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const byPK = { KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } };
    const rounds = 50;
    for (let i = 0; i < rounds; i++) {
      const items = [];
      for (let j = 0; j < 25; j++) {
        items.push({ PutRequest: { Item: { pk: { S: 'p' }, sk: { S: `s${String(j).padStart(2, '0')}` }, v: { N: String(i) } } } });
      }
      await call(port, 'BatchWriteItem', { RequestItems: { 'leak-check': items } });
      // One query read to its end, one cut short by Limit, one scan.
      const all = await call(port, 'Query', { TableName: 'leak-check', ...byPK });
      assert.equal(all.Count, 25);
      const first = await call(port, 'Query', { TableName: 'leak-check', ...byPK, Limit: 3 });
      assert.equal(first.Count, 3);
      assert.ok(first.LastEvaluatedKey, 'a query cut short by Limit says where to go on');
      await call(port, 'Scan', { TableName: 'leak-check', Limit: 5 });
    }
    assert.ok(opened >= 3 * rounds, `requests opened ${opened} iterators; the count is not hooked in`);
    // Streams close their iterator after the response has gone out.
    for (let wait = 0; open.size > 0 && wait < 100; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(open.size, 0, `${open.size} of ${opened} iterators left open`);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an iterator class with return() of its own is left alone', () => {
  class Own {
    return() {
      return 'own';
    }
  }
  class Plain {
    close() {
      return 'closed';
    }
  }
  const changed = closeEndedIterators({ AbstractIterator: Own, AbstractKeyIterator: Plain, AbstractValueIterator: Own });
  assert.deepEqual(changed, [Plain]);
  assert.equal(new Own().return(), 'own');
  assert.equal(new Plain().return(), 'closed');
});
