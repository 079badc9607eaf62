/**
 * Two agents that reach each other only through a relay as users run one (wss://, its certificate
 * pinned) move their link onto a splice (ADR 0013): the relay says it pipes one splice, and a forward
 * and a terminal work through it, bytes intact.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { get } from 'node:https';
import {
  cli,
  cliJson,
  peerOf,
  startProcess,
  stopAll,
  tempHome,
  nodeId,
  startAgent,
} from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

/** GET /metrics of the relay at `port` (open by default), as text. */
function metrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`https://127.0.0.1:${port}/metrics`, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('a relay link moves onto a splice; a forward and a terminal run through it', async () => {
  const relay = startProcess(['relay', '--listen', '127.0.0.1:0', '--home', tempHome('splice-relay')]);
  const [, url, port, fingerprint] = await relay.waitForLine(
    /^relay listening on (wss:\/\/127\.0\.0\.1:(\d+)) fingerprint ([0-9a-f]{64})$/m,
  );
  const homeA = tempHome('splice-a');
  const homeB = tempHome('splice-b');
  const flags = ['--relay', url!, '--relay-fingerprint', fingerprint!, '--no-direct'];
  await Promise.all([
    startAgent(homeA, { name: 'a', args: flags }),
    startAgent(homeB, { name: 'b', args: flags }),
  ]);
  const idA = await nodeId(homeA);
  const idB = await nodeId(homeB);
  assert.equal((await cli(['peers', 'add', idB.fingerprint, '--name', 'b', '--home', homeA])).code, 0);
  assert.equal((await cli(['peers', 'add', idA.fingerprint, '--name', 'a', '--home', homeB])).code, 0);
  await until('b online over the relay', async () => (await peerOf(homeA, 'b'))?.path === 'relay', 20_000);
  await until(
    'the relay to pipe one splice',
    async () => /^clawbridge_relay_splices 1$/m.test(await metrics(Number(port))),
    30_000,
  );
  // The relay pipes the splice once both ends joined it; each agent moves its link onto it after that.
  const listed = await until(
    'peers --json to say the link runs on a splice',
    async () => {
      const b = await peerOf(homeA, 'b');
      return b?.relaySpliced === true ? b : undefined;
    },
    30_000,
  );
  assert.equal(listed.relay, url, 'the peer still shows the relay it goes through');
  const shown = await cli(['peers', '--home', homeA]);
  assert.match(shown.stdout, /^b\s+\S+\s+online\s+relay \(spliced\)\s/m, 'the peers table says so too');

  // A forward through the splice: 8 MiB from a server on b's side arrive whole.
  const payload = randomBytes(8 * 1024 * 1024);
  const server = createServer((s) => s.end(payload));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const remote = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const added = await cliJson<{ local: string }>([
      'forward',
      'add',
      '--local',
      '127.0.0.1:0',
      '--via',
      'b',
      '--remote',
      remote,
      '--json',
      '--home',
      homeA,
    ]);
    const localPort = Number(added.local.split(':').pop());
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(localPort, '127.0.0.1');
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    assert.equal(got.length, payload.length);
    assert.equal(
      createHash('sha256').update(got).digest('hex'),
      createHash('sha256').update(payload).digest('hex'),
    );
  } finally {
    server.close();
  }

  const term = await cli(['term', 'b', '--home', homeA, '--', 'echo', 'through the splice']);
  assert.equal(term.code, 0, term.stderr);
  assert.match(term.stdout, /through the splice/);
});
