/**
 * A peer's resume that reaches a restarted agent while it is still adopting the session host's sessions
 * (terminal/session-host/hosted-sessions.ts): it waits for the adoption, so the session it resumes is the
 * one the adoption listed. Before, the resume went through unlisted and the log lost its "stream came
 * back" line (on a busy machine the peer's stream is often back before the adoption answers).
 */
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { HostedSessions } from '../../../../src-main/terminal/session-host/hosted-sessions.js';
import type { SessionHostClient } from '../../../../src-main/terminal/session-host/host-client.js';
import type { HostedSession } from '../../../../src-main/terminal/session-host/host-protocol.js';
import type { SessionAdmission, ServiceRequest } from '../../../../src-main/services/services.js';
import type {
  ConnectionHandle,
  ConnectionOpener,
} from '../../../../src-main/connections/connection-table.js';
import { until } from '../../../helpers/wait.js';

const PEER = 'a'.repeat(64);
const SESSION = '5'.repeat(32);

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('a resume that arrives during the adoption resumes the session the adoption listed', async () => {
  const adoption = deferred<HostedSession[]>();
  const client = {
    onGone: () => undefined,
    onLost: () => undefined,
    adopt: () => adoption.promise,
    attach: () =>
      Promise.resolve({ ok: true, socket: new PassThrough() as unknown as Socket, rest: Buffer.alloc(0) }),
  } as unknown as SessionHostClient;
  const listings: string[] = [];
  const handle = (label: string) => ({
    label,
    end: () => undefined,
    bytesIn: () => undefined,
    bytesOut: () => undefined,
  });
  const connections = {
    open: (opening: { resumed?: boolean }) => {
      listings.push(opening.resumed ? 'adopted' : 'opened');
      return handle('adopted') as unknown as ConnectionHandle;
    },
  } as unknown as ConnectionOpener;
  const resumedWith: (string | undefined)[] = [];
  const served = {
    resume: (session: ConnectionHandle | undefined) => {
      resumedWith.push((session as unknown as { label: string } | undefined)?.label);
      return new PassThrough();
    },
  } as unknown as SessionAdmission;
  const hosted = new HostedSessions({
    client,
    log: pino({ enabled: false }),
    selfName: () => 'b',
    resumeMs: () => 60_000,
    connections,
  });
  const started = hosted.start();
  const rejected: string[] = [];
  const req = {
    service: 'terminal',
    args: { v: 1, resume: SESSION, offset: 0, cols: 80, rows: 24 },
    peer: { fingerprint: PEER, name: 'a' },
    reject: (_code: string, reason: string) => rejected.push(reason),
    signal: new AbortController().signal,
  } as unknown as ServiceRequest;
  hosted.serve(req, served);
  // The peer's stream is back first; the host's answer to the adoption comes after.
  adoption.resolve([{ id: SESSION, peer: PEER, peerName: 'a', what: 'bash' }]);
  await started;
  await until('the resume to be answered', () => resumedWith.length > 0 || rejected.length > 0);
  assert.deepEqual(rejected, []);
  assert.deepEqual(listings, ['adopted'], 'listed once, by the adoption');
  assert.deepEqual(resumedWith, ['adopted'], 'the resume carries on the listed session');
});
