/**
 * The CLI side of the control socket (api/control-client.ts) talks only to a socket of its own user:
 * before connecting it checks the socket's owner and, outside the home, that its directory is private.
 * Another local user who bound the fallback name first would otherwise get every request, pairing
 * codes included. The agent side (control-server.ts) creates that directory 0700 and refuses one that
 * another user made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient, connectControlSocket } from '../../../src-main/api/control-client.js';
import { startControlServer } from '../../../src-main/api/control-server.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { tempDir } from '../../helpers/temp-dir.js';

const asRoot = process.platform !== 'win32' && process.getuid?.() === 0;
const OTHER_UID = 65534;

const handler: ServedApi = {
  contract: agentContract,
  call: (method, params) => Promise.resolve({ method, params } as never),
  onEvent: () => () => undefined,
};

/** A plain listener standing in for another user's process; counts who connects. */
async function impostor(path: string): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, connections: () => n };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
/** A socket path of the fallback kind (not `agent.sock` in a home): its directory must be private. */
const fallbackName = 'clawbridge-0123456789abcdef.sock';

test('a fallback socket bound by another user is refused before connecting', { skip: !asRoot }, async () => {
  const base = tempDir('cb-cli-');
  const dir = join(base, 'clawbridge-0');
  mkdirSync(dir, { mode: 0o700 });
  const path = join(dir, fallbackName);
  const other = await impostor(path);
  chownSync(path, OTHER_UID, OTHER_UID);
  await assert.rejects(ControlClient.connect(path, '/deep/home'), {
    code: 'CONFIG_INVALID',
    message: `refusing control socket ${path}: owned by uid 65534, not you: someone else is listening in the agent's place; remove it`,
  });
  await assert.rejects(connectControlSocket(path, '/deep/home'), /owned by uid 65534/);
  assert.equal(other.connections(), 0, 'the CLI must not connect to it');
  await close(other.server);
});

test(
  "a fallback socket in another user's directory is refused, whoever owns the socket",
  { skip: !asRoot },
  async () => {
    const base = tempDir('cb-cli-');
    const dir = join(base, 'clawbridge-0');
    mkdirSync(dir, { mode: 0o700 });
    const path = join(dir, fallbackName);
    const other = await impostor(path); // the socket is ours (root made it); the directory is not
    chownSync(dir, OTHER_UID, OTHER_UID);
    await assert.rejects(ControlClient.connect(path, '/deep/home'), {
      code: 'CONFIG_INVALID',
      message: `refusing ${dir}: owned by uid 65534, not you; remove it`,
    });
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o777);
    await assert.rejects(ControlClient.connect(path, '/deep/home'), {
      message: `refusing ${dir}: mode 0777 lets other users in (want 0700); remove it`,
    });
    assert.equal(other.connections(), 0);
    await close(other.server);
  },
);

test("a socket in the home that is another user's is refused too", { skip: !asRoot }, async () => {
  const home = tempDir('cb-cli-');
  const path = join(home, 'agent.sock');
  const other = await impostor(path);
  chownSync(path, OTHER_UID, OTHER_UID);
  await assert.rejects(
    ControlClient.connect(path, home),
    /refusing control socket .*owned by uid 65534, not you/,
  );
  assert.equal(other.connections(), 0);
  await close(other.server);
});

test('no socket, or no socket directory yet: the usual "no agent" line', async () => {
  const base = tempDir('cb-cli-');
  const path = join(base, 'clawbridge-0', fallbackName);
  await assert.rejects(ControlClient.connect(path, '/deep/home'), {
    code: 'NO_AGENT',
    message:
      'no agent is running for /deep/home: start one with `clawbridge agent --home /deep/home` (or open the Clawbridge app)',
    hint: { argv: ['agent', '--home', '/deep/home'], where: 'here', at: [51, 87] },
  });
});

test(
  'the agent creates the fallback directory 0700 and the CLI reaches it',
  { skip: process.platform === 'win32' },
  async () => {
    const base = tempDir('cb-cli-');
    const dir = join(base, 'clawbridge-0');
    const path = join(dir, fallbackName);
    const server = await startControlServer(path, handler);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const client = await ControlClient.connect(path, '/deep/home');
    assert.deepEqual(await client.call('status', {}), { method: 'status', params: {} });
    client.close();
    await server.close();
    // Restarting reuses the directory.
    const again = await startControlServer(path, handler);
    await again.close();
  },
);

test("the agent will not listen in another user's directory", { skip: !asRoot }, async () => {
  const base = tempDir('cb-cli-');
  const dir = join(base, 'clawbridge-0');
  mkdirSync(dir, { mode: 0o777 });
  chownSync(dir, OTHER_UID, OTHER_UID);
  await assert.rejects(startControlServer(join(dir, fallbackName), handler), {
    code: 'CONFIG_INVALID',
    message: `refusing ${dir}: owned by uid 65534, not you; remove it`,
  });
});
