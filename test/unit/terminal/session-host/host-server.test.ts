/**
 * The session host in this process, driven over its socket as an agent would: a session connection
 * that drops without the client's FIN (an agent killed) leaves the session waiting for a resume, the
 * next connection resumes it with its replay, an empty frame (the client's FIN) ends it, and the host
 * exits once it has neither sessions nor an agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { isClawError } from '../../../../src-main/core/errors.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../../../src-main/protocol/terminal-frames.js';
import {
  CLIENT_FIN,
  frameClientBytes,
} from '../../../../src-main/terminal/session-host/agent-data-stream.js';
import {
  agentChannelMessage,
  encodeHostMessage,
  hostMessageDecoder,
  hostReply,
  parseHostMessage,
  readFirstMessage,
  type HostRequest,
} from '../../../../src-main/terminal/session-host/host-protocol.js';
import { startSessionHost } from '../../../../src-main/terminal/session-host/host-server.js';
import { until, sleep } from '../../../helpers/wait.js';

const skip = process.platform === 'win32' ? 'Unix socket paths' : false;
const FP = 'cd'.repeat(32);

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `req` on a new connection; resolves with the reply and the socket (its output collected). */
async function request(path: string, req: HostRequest) {
  const socket = await dial(path);
  socket.write(encodeHostMessage(req));
  const { message, rest } = await readFirstMessage(socket, hostReply());
  const frames: TerminalFrame[] = [];
  const decoder = new TerminalFrameDecoder();
  const take = (c: Buffer) => frames.push(...decoder.push(c));
  take(rest);
  socket.on('data', take);
  socket.resume();
  const output = () =>
    Buffer.concat(frames.flatMap((f) => (f.type === 'data' ? [Buffer.from(f.data)] : []))).toString();
  return { reply: message, socket, frames, output };
}

test(
  'a session outlives a dropped connection, resumes with its replay, and ends on the FIN',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-shost-'));
    const path = join(dir, 'pty.sock');
    let idle = 0;
    const host = await startSessionHost({
      socketPath: path,
      log: pino({ level: 'silent' }),
      idleExitMs: 100,
      onIdle: () => idle++,
    });
    try {
      assert.equal(statSync(path).mode & 0o777, 0o600, 'the socket is private to this user');
      await assert.rejects(
        startSessionHost({ socketPath: path, log: pino({ level: 'silent' }), onIdle: () => undefined }),
        (err: unknown) => isClawError(err) && err.code === 'CONFIG_INVALID',
        'a second host is not started over a running one',
      );

      const agent = await dial(path);
      agent.write(encodeHostMessage({ op: 'agent', v: 1 }));
      const hello = await readFirstMessage(agent, hostReply());
      assert.deepEqual(hello.message, { ok: true, pid: process.pid, sessions: [] });
      const gone: string[] = [];
      const decoder = hostMessageDecoder();
      agent.on('data', (c: Buffer) => {
        for (const f of decoder.push(c)) {
          const m = parseHostMessage(f, agentChannelMessage());
          if (m.op === 'gone') gone.push(m.id);
        }
      });
      agent.resume();

      const first = await request(path, {
        op: 'create',
        peer: FP,
        peerName: 'laptop',
        resumeMs: 10_000,
        args: { cols: 80, rows: 24, command: ['cat'], pty: false },
      });
      assert.equal(first.reply.ok, true);
      const id = first.reply.ok ? first.reply.id! : '';
      for (const f of frameClientBytes(
        Buffer.from(encodeTerminalFrame({ type: 'data', data: Buffer.from('kept\n') })),
      )) {
        first.socket.write(f);
      }
      await until('the echo', () => first.output().includes('kept'));

      // The agent dies: its end closes without the client's FIN. The session must wait, not hang up.
      first.socket.destroy();
      await sleep(200, 'the session must wait: none may end within this window');
      assert.equal(gone.length, 0, 'no session ended');
      assert.equal(idle, 0);

      const wrongPeer = await request(path, {
        op: 'attach',
        id,
        peer: 'ef'.repeat(32),
        offset: 0,
        cols: 80,
        rows: 24,
        resumeMs: 10_000,
      });
      assert.deepEqual(wrongPeer.reply, { ok: false, code: 'SESSION_GONE', message: 'no such session' });

      const again = await request(path, {
        op: 'attach',
        id,
        peer: FP,
        offset: 0,
        cols: 80,
        rows: 24,
        resumeMs: 10_000,
      });
      assert.deepEqual(again.reply, { ok: true, id });
      await until('the replay', () => again.output().includes('kept'));
      assert.equal(again.frames[0]?.type, 'session');

      // The client's FIN, framed: now the session is over, and the agent hears so.
      again.socket.write(CLIENT_FIN);
      await until('the session to end', () => gone.includes(id));

      agent.destroy();
      await until('the idle host to exit', () => idle === 1);
    } finally {
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
