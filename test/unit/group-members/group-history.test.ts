/**
 * group-members/group-history.ts: the `group-history` service tells a group's sessions only to the
 * owner's devices (peers this node marks mine): a member's device, which a group's device lets in as a
 * guest, is refused and nothing is read; one of the owner's devices gets this device's sessions of
 * that group, from its audit log, as one JSON line; arguments that are no group id are refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { auditPath } from '../../../src-main/audit/audit-files.js';
import type { DomainServices } from '../../../src-main/links/domain.js';
import {
  GROUP_HISTORY_SERVICE,
  registerGroupHistory,
} from '../../../src-main/group-members/group-history.js';
import type { ServiceDefinition } from '../../../src-main/services/services.js';
import { until } from '../../helpers/wait.js';
// The domains' audit kinds (a terminal's session lines), as an agent has them once it built its contract.
import '../../helpers/agent-contract.js';

const G = 'a1'.repeat(16);
const SELF = { name: 'o2', fingerprint: 'e'.repeat(64) };
const OWNER_DEVICE = { name: 'o1', fingerprint: 'd'.repeat(64) };
const MEMBER_DEVICE = { name: 'm1', fingerprint: '1'.repeat(64) };

function served(home: string) {
  let def: ServiceDefinition | undefined;
  const services = {
    register: (name: string, d: ServiceDefinition) => {
      if (name === GROUP_HISTORY_SERVICE) def = d;
    },
    opener: () => ({ open: () => undefined }),
  } as unknown as DomainServices;
  registerGroupHistory(services, {
    home,
    self: { fingerprint: SELF.fingerprint, name: () => SELF.name },
    book: {
      view: () => ({
        self: SELF.fingerprint,
        groups: [
          {
            id: G,
            name: 'lab',
            allow: ['terminal'],
            deleted: false,
            role: 'owner',
            devices: [SELF],
            owners: [OWNER_DEVICE, SELF],
            members: [{ root: MEMBER_DEVICE.fingerprint, name: 'mira', devices: [MEMBER_DEVICE] }],
          },
        ],
      }),
    },
    // The owner's other device is marked mine here; the member's device is no peer at all (a guest).
    state: { peer: (fp) => (fp === OWNER_DEVICE.fingerprint ? ({ mine: true } as never) : undefined) },
    peers: { peerEntry: () => undefined, openStream: () => Promise.reject(new Error('not here')) },
    log: pino({ level: 'silent' }),
  });
  assert.ok(def?.admits === 'held', 'a held stream, listed nowhere');
  /** Opens the service as `peer` with `args`: what it refused, or what it answered. */
  return async (peer: { name: string; fingerprint: string }, args: unknown) => {
    const refused: string[] = [];
    const stream = new PassThrough();
    let held = false;
    const handle = def!.handle as (req: unknown, admission: unknown) => void;
    handle(
      {
        service: GROUP_HISTORY_SERVICE,
        args,
        peer: { ...peer, allow: ['terminal'] },
        reject: (code: string) => refused.push(code),
      },
      {
        hold: () => {
          held = true;
          return stream;
        },
      },
    );
    if (refused.length > 0) return { refused, held };
    const text = await until('the answer', () => (stream.read() as Buffer | null)?.toString('utf8'), 10_000);
    return { refused, held, answer: JSON.parse(text) as { sessions: { memberDevice: { name: string } }[] } };
  };
}

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-group-history-'));
  const line = (phase: string, time: string) =>
    JSON.stringify({
      kind: 'terminal',
      phase,
      side: 'served',
      time,
      peer: MEMBER_DEVICE,
      what: 'm1 → sh',
      outcome: 'ok',
      ...(phase === 'end' ? { durationMs: 1000 } : {}),
    });
  writeFileSync(
    auditPath(dir),
    `${line('start', '2026-11-28T10:00:00.000Z')}\n${line('end', '2026-11-28T10:00:01.000Z')}\n`,
  );
  return dir;
}

test("a member's device asking a group device for the group's history is refused; nothing is read", async () => {
  const ask = served(home());
  const r = await ask(MEMBER_DEVICE, { group: G });
  assert.deepEqual(r.refused, ['PERMISSION_DENIED']);
  assert.equal(r.held, false, 'no stream accepted');
});

test("one of the owner's devices gets this device's sessions of the group, one JSON line", async () => {
  const ask = served(home());
  const r = await ask(OWNER_DEVICE, { group: G });
  assert.deepEqual(r.refused, []);
  assert.deepEqual(
    r.answer?.sessions.map((s) => s.memberDevice.name),
    ['m1'],
  );
});

test('arguments that are no group id are refused before anything else', async () => {
  const ask = served(home());
  for (const args of [undefined, {}, { group: 'lab' }, { group: G.toUpperCase() }]) {
    assert.deepEqual((await ask(OWNER_DEVICE, args)).refused, ['BAD_REQUEST'], JSON.stringify(args));
  }
});
