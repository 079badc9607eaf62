/**
 * `audit.list` (api/contract.ts): the audit log as the window's Activity view reads it. Events still
 * queued are written first, so what just happened is there.
 */
import type { AuditListResult, MethodParams } from '../../api/contract.js';
import { AUDIT_LIST_MAX } from '../../api/contract.js';
import type { Disposer } from '../../core/emitter.js';
import { readAudit } from '../../audit/audit-reader.js';
import { parseSince } from '../../audit/audit-since.js';

export interface AuditDeps {
  home: string;
  /** Resolves once queued events are written. */
  flush(): Promise<void>;
  /** Lines were written (how many): the `audit` event. */
  onWritten(listener: (lines: number) => void): Disposer;
}

/** Default for `limit`: a screenful many times over, small enough to send at once. */
export const AUDIT_LIST_DEFAULT = 1000;

export async function listAudit(deps: AuditDeps, p: MethodParams<'audit.list'>): Promise<AuditListResult> {
  const since = p.since === undefined ? undefined : parseSince(p.since);
  await deps.flush();
  const read = await readAudit(deps.home, {
    ...(since !== undefined ? { since } : {}),
    ...(p.peer !== undefined ? { peer: p.peer } : {}),
    limit: Math.min(p.limit ?? AUDIT_LIST_DEFAULT, AUDIT_LIST_MAX),
  });
  return { events: read.events, bad: read.bad };
}
