#!/usr/bin/env node
// Starts dynalite (in memory) for salesseg's local stack and tests.
//
// dynalite rethrows the error of a request whose client went away mid-body
// (ECONNRESET, "aborted"), which kills the whole emulator. Real DynamoDB
// shrugs such requests off, and clients do abandon requests (a timeout, a
// cancelled context), so this launcher logs those errors and keeps
// serving; any other uncaught error still ends the process.
//
// Usage: node infra/node/dynalite.cjs --port <port> [--host <host>]
'use strict';

const dynalite = require('dynalite');

const argv = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  argv[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
}

process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error('dynalite: a client abandoned a request:', err.message);
    return;
  }
  console.error(err);
  process.exit(1);
});

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(Number(argv.port) || 4567, argv.host || '127.0.0.1', () => {
  const a = server.address();
  console.log('dynalite listening on %s:%d', a.address, a.port);
});
