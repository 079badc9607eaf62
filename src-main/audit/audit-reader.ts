/**
 * Reads the audit log back (`clawbridge log`, `audit.list`): the rotated files and the current one,
 * oldest first, merged by time with the refusals' files, each line checked against the schema;
 * lines that are not events are skipped and counted, never shown as if they were. Filters: since a
 * time, and one peer by name (any case) or by the start of its fingerprint.
 */
import { readFile } from 'node:fs/promises';
import { parseAuditLine, type AuditEvent } from './audit-events.js';
import { auditFiles, auditRefusalFiles } from './audit-files.js';

export interface AuditFilter {
  /** Only events at or after this time (ms since the epoch). */
  since?: number;
  /** A peer's name, or the start of its fingerprint (separators and case ignored). */
  peer?: string;
  /** Only the newest this many (after the other filters). */
  limit?: number;
}

export interface AuditRead {
  events: AuditEvent[];
  /** Lines skipped because they are not events (torn, edited, from elsewhere). */
  bad: number;
}

/** Parses a file's text into events (in file order) and a count of bad lines; blank lines are not bad. */
export function parseAuditText(text: string): AuditRead {
  const events: AuditEvent[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const event = parseAuditLine(line);
    if (event) events.push(event);
    else bad++;
  }
  return { events, bad };
}

/** Whether `event` passes `filter` (everything but `limit`). */
export function matchesAudit(event: AuditEvent, filter: AuditFilter): boolean {
  if (filter.since !== undefined && Date.parse(event.time) < filter.since) return false;
  if (filter.peer !== undefined) {
    const peer = event.peer;
    if (!peer) return false;
    const wanted = filter.peer.trim();
    const hex = wanted.replace(/[\s:-]/g, '').toLowerCase();
    const byName = peer.name.toLowerCase() === wanted.toLowerCase();
    const byFingerprint = /^[0-9a-f]{4,64}$/.test(hex) && peer.fingerprint.startsWith(hex);
    if (!byName && !byFingerprint) return false;
  }
  return true;
}

/** Filters events already read (in order), keeping the newest `limit`. */
export function filterAudit(events: readonly AuditEvent[], filter: AuditFilter): AuditEvent[] {
  const kept = events.filter((e) => matchesAudit(e, filter));
  return filter.limit !== undefined && kept.length > filter.limit ? kept.slice(-filter.limit) : kept;
}

/**
 * Two lists each in time order as one, in time order; on equal times (and wherever a list is not in
 * order) each list keeps its own order.
 */
export function mergeByTime(a: readonly AuditEvent[], b: readonly AuditEvent[]): AuditEvent[] {
  const out: AuditEvent[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (Date.parse(b[j]!.time) < Date.parse(a[i]!.time)) out.push(b[j++]!);
    else out.push(a[i++]!);
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** The events of `files` (oldest first) in file order, and the bad lines among them. */
async function readFiles(files: readonly string[]): Promise<AuditRead> {
  const events: AuditEvent[] = [];
  let bad = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const read = parseAuditText(text);
    for (const e of read.events) events.push(e);
    bad += read.bad;
  }
  return { events, bad };
}

/**
 * Every event of the log in `home` that passes `filter`, oldest first: the log and the refusals'
 * file (audit-noise.ts) merged by time. Missing files are no events.
 */
export async function readAudit(home: string, filter: AuditFilter = {}): Promise<AuditRead> {
  const [main, refusals] = await Promise.all([
    readFiles(auditFiles(home)),
    readFiles(auditRefusalFiles(home)),
  ]);
  return {
    events: filterAudit(mergeByTime(main.events, refusals.events), filter),
    bad: main.bad + refusals.bad,
  };
}
