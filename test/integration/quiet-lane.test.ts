/**
 * Quiet lanes between two real agents (ADR 0042): once a direct link is up, the side that dialed it
 * opens a second connection for terminals, and terminals work both ways over it. Over the relay there
 * is no lane, and terminals share the link as before.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, stopAll } from '../helpers/processes.js';
import { tcpConnectionsBetween } from '../helpers/tcp-between.js';
import { startPair, term } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform !== 'linux' ? 'reads /proc/net/tcp' : false;

test(
  'a direct link gets a second connection, and terminals run over it from either side',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    try {
      const pids = [pair.a.child.pid!, pair.b.child.pid!] as const;
      await until('the quiet lane', () => tcpConnectionsBetween(...pids) === 2, 30_000);
      const fromA = await term(pair, ['echo', 'from-a'], 30_000);
      assert.equal(fromA.code, 0, fromA.stderr);
      assert.equal(fromA.stdout, 'from-a\n');
      const fromB = await cli(['term', 'a', '--home', pair.homeB, '--', 'echo', 'from-b'], 30_000);
      assert.equal(fromB.code, 0, fromB.stderr);
      assert.equal(fromB.stdout, 'from-b\n');
      assert.equal(tcpConnectionsBetween(...pids), 2);
    } finally {
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
