/**
 * A group's sessions on one device, from its audit log: the session lines it served (`side:
 * served`, of whichever domain writes session records) that carry the group, or, on a line that names no group, whose peer is one of the group's
 * members' devices now (as this device reads the group's records). An `end` line
 * says when it ended and how long it lasted, so its start; a `start` no end accounts for is a session
 * still open (or one whose agent stopped before writing its end). Pure.
 */
import { isSessionEvent, type AuditEvent, type SessionEvent } from '../audit/audit-events.js';
import type { HistoryDevice, HistorySession } from './group-members-contract.js';

/** Most sessions one device reports for one group: the newest. */
export const MAX_DEVICE_SESSIONS = 500;
/** How far apart an end's start (its time less its duration) and a start line may be, in ms. */
const START_SLACK_MS = 5_000;

/**
 * The sessions of `group` that `events` (in file order) show `device` served, newest first;
 * `memberDevices`: the fingerprints of the group's members' devices now. A line's `group` is the
 * names of the groups that let its peer in, joined with `, ` (services.ts).
 */
export function groupSessions(
  events: readonly AuditEvent[],
  group: { name: string },
  device: HistoryDevice,
  memberDevices: ReadonlySet<string>,
): HistorySession[] {
  const served = events.filter(
    (e): e is SessionEvent & { peer: NonNullable<SessionEvent['peer']> } =>
      isSessionEvent(e) &&
      e.side === 'served' &&
      e.peer !== undefined &&
      (e.group === undefined
        ? memberDevices.has(e.peer.fingerprint)
        : e.group.split(', ').includes(group.name)),
  );
  const starts = served.filter((e) => e.phase === 'start');
  const used = new Set<SessionEvent>();
  const sessions: HistorySession[] = [];
  for (const end of served.filter((e) => e.phase === 'end')) {
    const endAt = Date.parse(end.time);
    const startAt = endAt - (end.durationMs ?? 0);
    // The start line it closes: the same peer and what, nearest its computed start.
    let best: SessionEvent | undefined;
    for (const s of starts) {
      if (used.has(s) || s.peer.fingerprint !== end.peer.fingerprint || s.what !== end.what) continue;
      const off = Math.abs(Date.parse(s.time) - startAt);
      if (off <= START_SLACK_MS && (!best || off < Math.abs(Date.parse(best.time) - startAt))) best = s;
    }
    if (best) used.add(best);
    sessions.push(session(device, end, best?.time ?? new Date(startAt).toISOString(), end.time));
  }
  for (const s of starts) if (!used.has(s)) sessions.push(session(device, s, s.time, null));
  sessions.sort((a, b) => (a.start < b.start ? 1 : a.start > b.start ? -1 : 0));
  return sessions.slice(0, MAX_DEVICE_SESSIONS);
}

function session(
  device: HistoryDevice,
  e: SessionEvent & { peer: NonNullable<SessionEvent['peer']> },
  start: string,
  end: string | null,
): HistorySession {
  return {
    device,
    member: null,
    memberDevice: { name: e.peer.name, fingerprint: e.peer.fingerprint },
    start,
    end,
    ...(end !== null && e.reason ? { reason: e.reason } : {}),
    ...(e.path ? { path: e.path } : {}),
  };
}
