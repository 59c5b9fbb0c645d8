#!/usr/bin/env node
// Starts dynalite (in memory) for salesseg's local stack and tests, with
// two of its faults worked around.
//
// dynalite rethrows the error of a request whose client went away mid-body
// (ECONNRESET, "aborted"), which kills the whole emulator. Real DynamoDB
// shrugs such requests off, and clients do abandon requests (a timeout, a
// cancelled context), so this launcher logs those errors and keeps
// serving; any other uncaught error still ends the process.
//
// dynalite 4.0.0 reads tables through a stream that, when it ends or is
// destroyed, closes its abstract-level iterator only if the iterator has
// a return() method, which abstract-level 3 iterators lack. So every
// Query, Scan and BatchWriteItem lookup left its iterator open, held by
// the database until the process exited, together with the snapshot of
// the in-memory tree it was reading. The heap grew with every request:
// after 1,000 uploads of salesseg's query-cost benchmark it held 255 MB
// live, young-generation collections took longer, and queries on that
// emulator were slower at the tail than on a fresh one holding the same
// items. closeEndedIterators gives the iterators that method.
//
// Usage: node infra/node/dynalite.cjs --port <port> [--host <host>]
'use strict';

const abstractLevel = require('abstract-level');
const dynalite = require('dynalite');

// closeEndedIterators gives abstract-level's iterator classes the
// return() method dynalite's streams call when they end or are
// destroyed, closing the iterator; it returns the classes it changed.
// An iterator that has one already is left alone, so a dynalite or
// abstract-level that fixes this makes the workaround a no-op.
function closeEndedIterators(level) {
  const changed = [];
  for (const C of [level.AbstractIterator, level.AbstractKeyIterator, level.AbstractValueIterator]) {
    if (typeof C.prototype.return === 'function') {
      continue;
    }
    Object.defineProperty(C.prototype, 'return', {
      configurable: true,
      writable: true,
      value: function () {
        return this.close();
      },
    });
    changed.push(C);
  }
  return changed;
}

// createServer returns dynalite's HTTP server, tables created, updated and
// deleted at once, with open iterators closed as they end.
function createServer() {
  closeEndedIterators(abstractLevel);
  return dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
}

function main() {
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
  const server = createServer();
  server.listen(Number(argv.port) || 4567, argv.host || '127.0.0.1', () => {
    const a = server.address();
    console.log('dynalite listening on %s:%d', a.address, a.port);
  });
}

if (require.main === module) {
  main();
}

module.exports = { closeEndedIterators, createServer };
