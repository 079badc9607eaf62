/**
 * The Windows named pipe's proof (src-main/home/pipe-proof.ts), run here over Unix sockets with the
 * proof turned on (no Windows machine runs the tests; the pipe and the socket are the same net.Socket
 * to the code): which paths need it, that a client with the home's key is served, that a client
 * without it is never read, and that a server without it (another user's process squatting the
 * pipe's name) gets nothing from the client but its random hello.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { connectControlSocket } from '../../../src-main/api/control-client.js';
import { claimControlSocket } from '../../../src-main/api/control-server.js';
import {
  acceptPipeProof,
  ensurePipeKey,
  offerPipeProof,
  parseClientHello,
  parseServerHello,
  pipeMac,
  pipeProofNeeded,
  PIPE_KEY_FILE,
  refusalOf,
  sameMac,
} from '../../../src-main/home/pipe-proof.js';
import { hostProofKey } from '../../../src-main/terminal/session-host/host-run.js';
import { startSessionHost } from '../../../src-main/terminal/session-host/host-server.js';
import { SessionHostClient } from '../../../src-main/terminal/session-host/host-client.js';
import {
  encodeHostMessage,
  HOST_PROTOCOL_VERSION,
} from '../../../src-main/terminal/session-host/host-protocol.js';
import { pino } from 'pino';
import { tempDir } from '../../helpers/temp-dir.js';
import { sleep, until } from '../../helpers/wait.js';

const calls: string[] = [];
const handler: ServedApi = {
  contract: agentContract,
  call: (method) => (calls.push(method), Promise.resolve({ ok: true } as never)),
  onEvent: () => () => undefined,
};

function readLineFrom(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    socket.once('close', () => reject(new Error(`closed; got ${JSON.stringify(buf)}`)));
  });
}

test('only Windows named pipes need the proof', () => {
  assert.equal(pipeProofNeeded('\\\\.\\pipe\\clawbridge-0123', 'win32'), true);
  assert.equal(pipeProofNeeded('\\\\?\\pipe\\clawbridge-0123-sessions', 'win32'), true);
  assert.equal(pipeProofNeeded('/home/u/.config/Clawbridge/agent.sock', 'linux'), false);
  assert.equal(
    pipeProofNeeded('/Users/u/Library/Application Support/Clawbridge/agent.sock', 'darwin'),
    false,
  );
  assert.equal(pipeProofNeeded('C:\\Users\\u\\agent.sock', 'win32'), false); // AF_UNIX on Windows: its file's ACL
});

test('the proof lines: strict shapes, MACs bound to role and both nonces, compared in constant time', () => {
  const key = randomBytes(32);
  const cn = 'a'.repeat(64);
  const sn = 'b'.repeat(64);
  assert.equal(parseClientHello(`clawbridge-pipe 1 ${cn}`), cn);
  assert.equal(parseClientHello(`clawbridge-pipe 2 ${cn}`), undefined);
  assert.equal(parseClientHello(`clawbridge-pipe 1 ${cn.toUpperCase()}`), undefined);
  const smac = pipeMac(key, 'server', cn, sn);
  assert.deepEqual(parseServerHello(`clawbridge-pipe 1 ${sn} ${smac}`), { sn, mac: smac });
  assert.notEqual(pipeMac(key, 'client', cn, sn), smac, 'a server MAC is not a client MAC (no reflection)');
  assert.notEqual(
    pipeMac(key, 'server', cn, 'c'.repeat(64)),
    smac,
    'a new server nonce, a new MAC (no replay)',
  );
  assert.notEqual(pipeMac(randomBytes(32), 'server', cn, sn), smac);
  assert.equal(sameMac(smac, smac), true);
  assert.equal(sameMac(smac, pipeMac(key, 'client', cn, sn)), false);
  assert.equal(sameMac(smac, 'zz'), false);
});

test('the agent makes the key once, 0600, and replaces one that is not 32 bytes', () => {
  const home = tempDir('cb-pipekey-');
  const key = ensurePipeKey(home);
  assert.equal(key.length, 32);
  assert.deepEqual(ensurePipeKey(home), key);
  assert.equal(statSync(join(home, PIPE_KEY_FILE)).mode & 0o777, 0o600);
  writeFileSync(join(home, PIPE_KEY_FILE), 'short');
  const fresh = ensurePipeKey(home);
  assert.equal(fresh.length, 32);
  assert.deepEqual(readFileSync(join(home, PIPE_KEY_FILE)), fresh);
});

test('with the proof on, a client holding the home key is served, requests pipelined after its proof included', async () => {
  const home = tempDir('cb-pipeproof-');
  const path = join(home, 'agent.sock');
  const control = (await claimControlSocket(path, home, true)).serve(handler);
  try {
    const socket = await connectControlSocket(path, home, true);
    const reply = readLineFrom(socket);
    socket.write(JSON.stringify({ id: 1, method: 'status', params: {} }) + '\n');
    const answer = JSON.parse(await reply) as { id: number; result: unknown };
    assert.equal(answer.id, 1);
    assert.deepEqual(answer.result, { ok: true });
    socket.destroy();
  } finally {
    await control.close();
  }
});

test('with the proof on, a client without the key is cut off and none of its requests is read', async () => {
  const home = tempDir('cb-pipeproof-');
  const path = join(home, 'agent.sock');
  const control = (await claimControlSocket(path, home, true)).serve(handler);
  calls.length = 0;
  try {
    const other = tempDir('cb-pipeproof-other-');
    ensurePipeKey(other); // another user's key: not this home's
    await assert.rejects(connectControlSocket(path, other, true), /cannot prove it holds/);
    // A client that skips the proof and writes a request straight away.
    const { connect } = await import('node:net');
    const raw = connect(path);
    raw.write(JSON.stringify({ id: 1, method: 'status', params: {} }) + '\n');
    await new Promise((r) => raw.once('close', r));
    assert.deepEqual(calls, [], 'no request reached the API');
  } finally {
    await control.close();
  }
});

test('a server without the key (a squatter on the name) gets only the random hello, and the client refuses it', async () => {
  const home = tempDir('cb-pipesquat-');
  ensurePipeKey(home);
  const path = join(home, 'agent.sock');
  const received: string[] = [];
  const squatter = createServer((s) => {
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      received.push(c);
      // Answers with a well-formed hello under a key of its own.
      const cn = c.trim().split(' ')[2]!;
      const sn = 'c'.repeat(64);
      s.write(`clawbridge-pipe 1 ${sn} ${pipeMac(randomBytes(32), 'server', cn, sn)}\n`);
    });
  });
  await new Promise<void>((r) => squatter.listen(path, r));
  try {
    await assert.rejects(connectControlSocket(path, home, true), /another user's process may hold/);
    await sleep(50, 'one line and nothing after it: no second line may arrive within this window');
    assert.equal(received.join('').split('\n').filter(Boolean).length, 1);
    assert.match(received.join(''), /^clawbridge-pipe 1 [0-9a-f]{64}\n$/);
  } finally {
    squatter.close();
  }
});

test('offerPipeProof gives up on a server that says nothing', async () => {
  const home = tempDir('cb-pipemute-');
  const path = join(home, 'mute.sock');
  const mute = createServer(() => undefined);
  await new Promise<void>((r) => mute.listen(path, r));
  try {
    const { connect } = await import('node:net');
    const s = connect(path);
    await new Promise((r) => s.once('connect', r));
    await assert.rejects(offerPipeProof(s, randomBytes(32), 100), /did not prove/);
  } finally {
    mute.close();
  }
});

test('a server gives up on a client that sends bytes but never a proof line, and reads none of them', async () => {
  const home = tempDir('cb-pipeslow-');
  const path = join(home, 'slow.sock');
  const accepted: Promise<boolean>[] = [];
  const server = createServer((socket) => void accepted.push(acceptPipeProof(socket, randomBytes(32), 100)));
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const { connect } = await import('node:net');
    const s = connect(path);
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write('no newline, and no proof');
    const closed = new Promise((r) => s.once('close', r));
    await until('the server to take the connection', () => accepted.length === 1);
    assert.equal(await accepted[0], false);
    await closed;
  } finally {
    server.close();
  }
});

test("the session host's pipe: a host on a named pipe needs the home key and refuses to start without it", () => {
  const home = tempDir('cb-hostkey-');
  const key = ensurePipeKey(home);
  const pipe = '\\\\.\\pipe\\clawbridge-0123456789abcdef-sessions';
  assert.equal(hostProofKey('/h/pty.sock', undefined, 'linux'), undefined);
  assert.equal(hostProofKey(pipe, undefined, 'linux'), undefined);
  assert.throws(() => hostProofKey(pipe, undefined, 'win32'), /needs the home pipe.key/);
  assert.throws(() => hostProofKey(pipe, join(home, 'missing.key'), 'win32'), /ENOENT/);
  assert.deepEqual(hostProofKey(pipe, join(home, PIPE_KEY_FILE), 'win32'), key);
});

test('with the proof on, the session host serves an agent holding the key and nothing else', async () => {
  const home = tempDir('cb-hostproof-');
  const key = ensurePipeKey(home);
  const socketPath = join(home, 'pty.sock');
  const log = pino({ level: 'silent' });
  const host = await startSessionHost({ socketPath, log, onIdle: () => undefined, proofKey: key });
  try {
    const client = new SessionHostClient({ socketPath, logPath: join(home, 'x.log'), log, proofKey: key });
    assert.deepEqual(await client.adopt(false), []);
    assert.ok(client.pid, 'adopted');
    await client.closeAll('test', false);
    const stranger = new SessionHostClient({
      socketPath,
      logPath: join(home, 'x.log'),
      log,
      proofKey: randomBytes(32),
    });
    await assert.rejects(stranger.adopt(false), /cannot prove it holds/);
    // Without any proof: cut off before its request is read. (The newline ends what the host reads as
    // the proof line; without one it would wait for the line until PIPE_PROOF_TIMEOUT_MS.)
    const { connect } = await import('node:net');
    const raw = connect(socketPath);
    raw.write(
      Buffer.concat([encodeHostMessage({ op: 'agent', v: HOST_PROTOCOL_VERSION }), Buffer.from('\n')]),
    );
    const got: Buffer[] = [];
    raw.on('data', (c: Buffer) => got.push(c));
    await new Promise((r) => raw.once('close', r));
    assert.equal(Buffer.concat(got).length, 0, 'no reply to a connection without the proof');
  } finally {
    await host.close();
  }
});

test("a control server's refusal before the proof is reported as such, not as a squatter", async () => {
  assert.equal(
    refusalOf('{"id":null,"ok":false,"error":{"code":"NO_AGENT","message":"too many"}}'),
    'too many',
  );
  assert.equal(refusalOf('clawbridge-pipe 1 x'), undefined);
  const home = tempDir('cb-piperefuse-');
  ensurePipeKey(home);
  const path = join(home, 'busy.sock');
  const busy = createServer((s) =>
    s.end(
      JSON.stringify({ id: null, ok: false, error: { code: 'NO_AGENT', message: 'too many connections' } }) +
        '\n',
    ),
  );
  await new Promise<void>((r) => busy.listen(path, r));
  try {
    await assert.rejects(connectControlSocket(path, home, true), {
      code: 'NO_AGENT',
      message: 'too many connections',
    });
  } finally {
    busy.close();
  }
});
