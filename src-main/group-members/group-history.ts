/**
 * A group's session history across its devices (`groups.history`): this device's own audit log, and
 * each other device of the group asked on the `group-history` service, which answers only the owner's
 * devices (peers it marks mine) with that group's sessions from its own log (audit-sessions.ts), one
 * JSON line, then ends. A device that cannot be asked (offline, not a peer) is named with why.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { z } from 'zod';
import { readAudit } from '../audit/audit-reader.js';
import { ClawError, errorMessage } from '../core/errors.js';
import type { DomainPeers, DomainServices, DomainState } from '../links/domain.js';
import type { GroupBook } from '../groups/group-book-key.js';
import type { GroupView } from '../groups/group-view.js';
import { groupSessions, MAX_DEVICE_SESSIONS } from './audit-sessions.js';
import type { HistoryResult, HistorySession, HistorySource } from './group-members-contract.js';

/** The service the owner's devices ask each other for a group's sessions on. */
export const GROUP_HISTORY_SERVICE = 'group-history';
/** Largest answer read from one device, in bytes: MAX_DEVICE_SESSIONS sessions fit with room. */
const MAX_ANSWER_BYTES = 512 * 1024;
/** How long one device may take to answer, in ms. */
export const HISTORY_ANSWER_TIMEOUT_MS = 15_000;

const GROUP_ID = /^[0-9a-f]{32}$/;
const device = () =>
  z.strictObject({ name: z.string().max(200), fingerprint: z.string().regex(/^[0-9a-f]{64}$/) });
const answerSchema = () =>
  z.strictObject({
    sessions: z
      .array(
        z.strictObject({
          device: device(),
          member: z.null(),
          memberDevice: device(),
          start: z.iso.datetime(),
          end: z.iso.datetime().nullable(),
          reason: z.string().max(1000).optional(),
          path: z.enum(['direct', 'relay', 'route']).optional(),
        }),
      )
      .max(MAX_DEVICE_SESSIONS),
  });

export interface GroupHistoryDeps {
  home: string;
  self: { fingerprint: string; name(): string };
  book: Pick<GroupBook, 'view'>;
  state: Pick<DomainState, 'peer'>;
  peers: Pick<DomainPeers, 'peerEntry' | 'openStream'>;
  log: Logger;
}

/** This device's sessions of group `id`, as its audit log has them (none for a group it has not). */
async function ownSessions(deps: GroupHistoryDeps, id: string): Promise<HistorySession[]> {
  const group = deps.book.view().groups.find((g) => g.id === id);
  if (!group) return [];
  const { events } = await readAudit(deps.home);
  const memberDevices = new Set(group.members.flatMap((m) => m.devices.map((d) => d.fingerprint)));
  const self = { name: deps.self.name(), fingerprint: deps.self.fingerprint };
  return groupSessions(events, group, self, memberDevices);
}

/** Registers the service that answers the owner's other devices. */
export function registerGroupHistory(services: DomainServices, deps: GroupHistoryDeps): void {
  services.register(GROUP_HISTORY_SERVICE, {
    permission: null,
    noun: 'group histories',
    admits: 'held',
    // The owner's devices read each other's notes: no use of the pair by its owner.
    background: true,
    handle: (req, served) => {
      const args = req.args as { group?: unknown } | undefined;
      const group = typeof args?.group === 'string' && GROUP_ID.test(args.group) ? args.group : undefined;
      if (!group) return req.reject('BAD_REQUEST', 'group-history stream: args must be {group: id}');
      // Only the owner's devices see who used the owner's devices.
      if (deps.state.peer(req.peer.fingerprint)?.mine !== true)
        return req.reject(
          'PERMISSION_DENIED',
          `${deps.self.name()} tells group histories only to its owner's devices`,
        );
      let stream: Duplex;
      try {
        stream = served.hold();
      } catch {
        return;
      }
      void ownSessions(deps, group).then(
        (sessions) => stream.end(`${JSON.stringify({ sessions })}\n`),
        (err: unknown) => {
          deps.log.warn({ err }, 'group history: the audit log could not be read');
          stream.destroy();
        },
      );
    },
  });
}

/**
 * The sessions of `ref`'s group (owned here) on every one of its devices that answered, newest first,
 * each with its member's name as this device knows it; and what each device answered.
 */
export async function groupHistory(deps: GroupHistoryDeps, group: GroupView): Promise<HistoryResult> {
  const asked = await Promise.all(
    group.devices.map(async (d): Promise<{ source: HistorySource; sessions: HistorySession[] }> => {
      const named = { name: d.name, fingerprint: d.fingerprint };
      try {
        const sessions =
          d.fingerprint === deps.self.fingerprint
            ? await ownSessions(deps, group.id)
            : await askDevice(deps, d.fingerprint, group.id);
        return { source: { device: named, answered: true }, sessions };
      } catch (err) {
        return { source: { device: named, answered: false, why: errorMessage(err) }, sessions: [] };
      }
    }),
  );
  const memberOf = new Map<string, string>();
  for (const m of group.members) for (const d of m.devices) memberOf.set(d.fingerprint, m.name);
  const sessions = asked
    .flatMap((a) => a.sessions)
    .map((s) => {
      const member = memberOf.get(s.memberDevice.fingerprint);
      if (member !== undefined) return { ...s, member };
      // Gone from the group since: the name its device had on the group's device then.
      const former = formerMemberOf(s.memberDevice.name);
      return { ...s, member: null, ...(former ? { formerMember: former } : {}) };
    })
    .sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
  return { group: { id: group.id, name: group.name }, sessions, sources: asked.map((a) => a.source) };
}

/**
 * The member a device's name on a group's device says it was of: a group's device names a member's
 * device MEMBER/DEVICE (groups/group-admission.ts), and a session line keeps that name.
 */
export function formerMemberOf(deviceName: string): string | undefined {
  const slash = deviceName.indexOf('/');
  return slash > 0 ? deviceName.slice(0, slash) : undefined;
}

async function askDevice(
  deps: GroupHistoryDeps,
  fingerprint: string,
  group: string,
): Promise<HistorySession[]> {
  const entry = deps.peers.peerEntry(fingerprint);
  if (!entry) throw new ClawError('UNKNOWN_PEER', 'not a peer of this device');
  const { stream } = await deps.peers.openStream(entry, GROUP_HISTORY_SERVICE, { group });
  const text = await readAll(stream, MAX_ANSWER_BYTES, HISTORY_ANSWER_TIMEOUT_MS);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = answerSchema().safeParse(json);
  if (!parsed.success) throw new ClawError('PROTOCOL', 'its answer is not a group history');
  // A device speaks for itself only.
  return parsed.data.sessions.filter((s) => s.device.fingerprint === fingerprint);
}

/** Everything `stream` sends until it ends, at most `max` bytes and `timeoutMs`. */
function readAll(stream: Duplex, max: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error) => {
      clearTimeout(timer);
      stream.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ClawError('TIMEOUT', 'it did not answer in time')), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return fail(new ClawError('PROTOCOL', `its answer is over ${max} bytes`));
      chunks.push(chunk);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stream.on('error', (err) => fail(err));
  });
}
