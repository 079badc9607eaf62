/**
 * A full relay (issue 56, ADR 0054): `clawbridge relay` as an operator starts it, with a small node cap
 * (`--max-nodes`) or a small open-file limit (`ulimit -n`), refuses the next node with close 4024
 * RELAY_FULL, says so in its log and in /metrics, and keeps relaying for the nodes it has; once one
 * leaves, a new node gets in again.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { isClawError, type ClawError } from '../../src-main/core/errors.js';
import { RelayCloseCode } from '../../src-main/protocol/relay-close-codes.js';
import { RelayClient } from '../../src-main/transport/relay-client.js';
import { testIdentity } from '../helpers/identities.js';
import { connectedClient, exchange, RawClient, within } from '../helpers/relay-harness.js';
import { startProcess, stopAll, tempHome, type Proc } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

/** Generous: the machine runs other tests and helpers beside this one. */
const WAIT_MS = 30_000;

after(stopAll);

async function startRelay(args: string[], prefix: string[] = []): Promise<{ proc: Proc; url: string }> {
  const proc = startProcess(
    ['relay', '--listen', '127.0.0.1:0', '--no-tls', '--home', tempHome('relay-full'), ...args],
    {},
    prefix,
  );
  const m = await proc.waitForLine(/^relay listening on (ws:\/\/127\.0\.0\.1:\d+)$/m, WAIT_MS);
  return { proc, url: m[1]! };
}

async function metrics(url: string): Promise<string> {
  const res = await fetch(`${url.replace('ws:', 'http:')}/metrics`);
  return res.text();
}

/** The error a RelayClient reports on its first failed attempt. */
async function firstError(client: RelayClient): Promise<ClawError> {
  return within(
    'the relay to refuse the node',
    new Promise<ClawError>((resolve) => {
      const off = client.on('error', (err) => {
        off();
        resolve(err);
      });
      client.start();
    }),
    WAIT_MS,
  );
}

test('--max-nodes: the next node is refused with 4024, logged and counted; the others still relay', async () => {
  const relay = await startRelay(['--max-nodes', '3']);
  const a = await connectedClient(relay.url, await testIdentity('full-a'));
  const b = await connectedClient(relay.url, await testIdentity('full-b'));
  const c = await connectedClient(relay.url, await testIdentity('full-c'));
  const raw = await RawClient.connect(relay.url);
  assert.deepEqual(await raw.closedWith(), {
    code: RelayCloseCode.RELAY_FULL,
    reason: 'relay full: it takes no more nodes now (nodes)',
  });
  assert.equal(raw.frames.length, 0, 'no CHALLENGE for a refused node');

  const d = new RelayClient({
    url: relay.url,
    identity: await testIdentity('full-d'),
    retryDelayMs: () => 200,
  });
  const err = await firstError(d);
  assert.ok(isClawError(err, 'RELAY_LIMIT'), err.message);
  assert.match(err.message, /is full and takes no more nodes/);

  await until(
    'the relay to log that it is full',
    () =>
      /relay full: refusing new nodes with close 4024 \(nodes: 3 nodes connected/.test(relay.proc.stderr()),
    WAIT_MS,
  );
  const text = await metrics(relay.url);
  assert.match(text, /clawbridge_relay_refused_full_total\{reason="nodes"\} [1-9]/);
  assert.match(text, /^clawbridge_relay_full 1$/m);
  assert.match(text, /^clawbridge_relay_node_capacity 3$/m);
  assert.match(text, /^clawbridge_relay_nodes 3$/m);

  // The nodes it has are served as before.
  await within('a circuit between two nodes of the full relay', exchange(a, b), WAIT_MS);

  // One leaves: the refused node gets in on its next retry, and the log says there is room again.
  c.stop();
  await until('the refused node to get in', () => d.state === 'connected', WAIT_MS);
  await until('the relay to log room again', () => /relay has room again/.test(relay.proc.stderr()), WAIT_MS);
  assert.match(await metrics(relay.url), /^clawbridge_relay_full 0$/m);
  await within('a circuit to the node let in', exchange(a, d), WAIT_MS);
  assert.equal(relay.proc.child.exitCode, null, 'the relay still runs');
  for (const n of [a, b, d]) n.stop();
  await relay.proc.stop();
});

test('open files: past its fd reserve the relay refuses nodes with 4024 instead of failing accept()', async () => {
  // 256 descriptors (fewer and Node fails loading its modules): Node takes about 20, the reserve 32
  // (defaultFdReserve), so about 200 nodes fit.
  const relay = await startRelay([], ['sh', '-c', 'ulimit -n 256 && exec "$0" "$@"']);
  const a = await connectedClient(relay.url, await testIdentity('fds-a'));
  const b = await connectedClient(relay.url, await testIdentity('fds-b'));
  const held: RawClient[] = [];
  let refused: { code: number; reason: string } | undefined;
  // Bounded: 256 is the whole limit, so a refusal comes before the loop ends.
  for (let i = 0; i < 256 && !refused; i++) {
    // 20 per source address, under the shipped connectionsPerIp (32).
    const raw = await RawClient.connect(relay.url, `127.0.0.${2 + Math.floor(i / 20)}`);
    refused = await Promise.race([raw.next().then(() => undefined), raw.closedWith()]);
    held.push(raw);
  }
  assert.deepEqual(refused, {
    code: RelayCloseCode.RELAY_FULL,
    reason: 'relay full: it takes no more nodes now (fds)',
  });
  await until(
    'the relay to log the open files',
    () =>
      /relay full: refusing new nodes with close 4024 \(fds: \d+ of 256 open files in use, 32 kept in reserve/.test(
        relay.proc.stderr(),
      ),
    WAIT_MS,
  );
  const text = await metrics(relay.url);
  assert.match(text, /clawbridge_relay_refused_full_total\{reason="fds"\} [1-9]/);
  assert.match(text, /^clawbridge_relay_full 1$/m);
  await within('a circuit between two nodes of the full relay', exchange(a, b), WAIT_MS);
  assert.doesNotMatch(relay.proc.stderr(), /EMFILE|relay listener error/);
  assert.equal(relay.proc.child.exitCode, null, 'the relay still runs');
  for (const raw of held) raw.ws.close();
  a.stop();
  b.stop();
  await relay.proc.stop();
});

test('--max-memory: with the RSS over its budget the relay refuses nodes as full (memory)', async () => {
  // 1 MiB: any Node process is over it, so the first node already finds the relay full.
  const relay = await startRelay(['--max-memory', '1']);
  const raw = await RawClient.connect(relay.url);
  assert.deepEqual(await raw.closedWith(), {
    code: RelayCloseCode.RELAY_FULL,
    reason: 'relay full: it takes no more nodes now (memory)',
  });
  await until(
    'the relay to log the memory',
    () =>
      /relay full: refusing new nodes with close 4024 \(memory: RSS \d+ MiB, budget 1 MiB/.test(
        relay.proc.stderr(),
      ),
    WAIT_MS,
  );
  assert.match(await metrics(relay.url), /clawbridge_relay_refused_full_total\{reason="memory"\} 1/);
  await relay.proc.stop();
});
