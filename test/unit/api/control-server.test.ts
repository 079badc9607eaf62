import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlServer } from '../../../src-main/api/control-server.js';
import { ControlClient } from '../../../src-main/api/control-client.js';
import type { ApiHandler } from '../../../src-main/api/contract.js';
import { controlSocketPath } from '../../../src-main/agent/home-dir.js';

const handler: ApiHandler = {
  call: (method, params) => Promise.resolve({ method, params } as never),
  onEvent: () => () => undefined,
};

function rawExchange(path: string, lines: string[]): Promise<unknown[]> {
  return new Promise((resolve) => {
    const s = connect(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      buf += c;
      const got = buf.split('\n').filter(Boolean);
      if (got.length === lines.length) {
        s.end();
        resolve(got.map((l) => JSON.parse(l) as unknown));
      }
    });
    s.write(lines.join('\n') + '\n');
  });
}

test('bad requests get clear error replies and the socket keeps serving', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-ctl-'));
  const path = controlSocketPath(home);
  const server = await startControlServer(path, handler);
  const replies = (await rawExchange(path, [
    '{oops',
    '{"id":1,"method":"nope"}',
    '{"id":2,"method":"peers.add","params":{"name":"x"}}',
    '{"id":3,"method":"status","params":{"extra":1}}',
    '{"id":4,"method":"status"}',
  ])) as { id: number | null; ok: boolean; error?: { message: string } }[];
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.match(byId.get(null)!.error!.message, /not valid JSON/);
  assert.equal(byId.get(1)!.error!.message, "unknown method 'nope'");
  assert.match(byId.get(2)!.error!.message, /invalid parameters for peers.add: fingerprint/);
  assert.match(byId.get(3)!.error!.message, /invalid parameters for status/);
  assert.equal(byId.get(4)!.ok, true);
  const client = await ControlClient.connect(path, home);
  assert.deepEqual(await client.call('peers.list', {}), { method: 'peers.list', params: {} });
  client.close();
  await server.close();
});

test('no agent: one line with what to do', async () => {
  const home = mkdtempSync(join(tmpdir(), 'cb-ctl-'));
  await assert.rejects(ControlClient.connect(controlSocketPath(home), home), (err: Error) => {
    assert.equal(
      err.message,
      `no agent is running for ${home}: start one with \`clawbridge agent --home ${home}\` (or open the Clawbridge app)`,
    );
    return true;
  });
});
