/**
 * `clawbridge log`: the audit log of this node (docs/security.md §Audit log) — who opened what, from
 * where, with what outcome. Read from the files in the home, so it works with the agent stopped too.
 */
import type { Command } from 'commander';
import { addAuditKinds, type AuditEvent, type DomainAuditEvent } from '../audit/audit-events.js';
import { domains } from '../app/domains.js';
import { matchesAudit, readAudit } from '../audit/audit-reader.js';
import { parseSince } from '../audit/audit-since.js';
import { resolveHome } from '../home/home-dir.js';
import { formatBytes } from './format-bytes.js';
import { requireHome } from './home-missing.js';
import { hintCommand, printBlock, printJson, printNote } from './output.js';
import { ClawError } from '../core/errors.js';
import { fileProblem } from '../core/file-errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { table } from './table.js';
import { plainPunctuation } from './plain-punctuation.js';
import { isoTime } from '../core/iso-time.js';

interface LogOpts {
  home?: string;
  since?: string;
  peer?: string;
  json?: boolean;
  /** Rows whole, wider than the terminal (fitted-listings.ts reads it). */
  wide?: boolean;
}

/** The event's kind and its sub-kind in one word or two: `terminal start`, `connection forward`. */
export function auditKindText(e: AuditEvent): string {
  switch (e.kind) {
    case 'terminal':
      return `terminal ${e.phase}`;
    case 'connection':
      return `connection ${e.connection}`;
    case 'listener':
      return `listener ${e.phase}`;
    case 'pairing':
      return `pairing ${e.step}`;
    case 'approval':
      return e.decision;
    case 'peer':
      return `peer ${e.change}`;
    case 'message':
      return `messages ${e.change}`;
    case 'member':
      return `device ${e.change} by ${e.by.name}`;
    case 'port-mapping':
      return `port mapping ${e.change}`;
    case 'permission':
    case 'refused':
    case 'audit':
      return e.kind;
    default: {
      // Every kind of the node is named above (one that is not does not compile here); a domain's
      // that is not (its piece brought it, ADR 0093) prints its kind and what happened.
      const domains: DomainAuditEvent = e;
      return domainKindText(domains);
    }
  }
}

/**
 * A domain's record this file does not name: its kind, its `phase` or `change` when it has one, and
 * who did it when it says (`by`, as the node's `member` lines: `group device-added by o1`).
 */
function domainKindText(e: DomainAuditEvent): string {
  const fields = e as unknown as Record<string, unknown>;
  const sub = ['phase', 'change'].map((f) => fields[f]).find((v): v is string => typeof v === 'string');
  const by = fields.by as { name?: unknown } | undefined;
  const who = typeof by?.name === 'string' ? ` by ${by.name}` : '';
  return `${sub === undefined ? e.kind : `${e.kind} ${sub}`}${who}`;
}

/** The table `log` prints: one line per event, oldest first. */
export function auditTable(events: readonly AuditEvent[]): string {
  if (events.length === 0) return 'no events';
  return table(
    ['TIME (UTC)', 'EVENT', 'PEER', 'GROUP', 'PATH', 'WHAT', 'BYTES IN/OUT', 'OUTCOME'],
    events.map((e) => [
      e.time.replace('T', ' ').slice(0, 19),
      auditKindText(e),
      e.peer ? `${e.peer.name} (${e.peer.fingerprint.slice(0, 8)})` : '-',
      // The group that let the peer in (a member's device), or the group a change was of.
      e.group ?? '-',
      e.path ? `${e.path}${e.address ? ` ${e.address}` : ''}` : (e.address ?? '-'),
      // The agent's words (`a -> b`, `...`), in ASCII as the rest of the CLI.
      plainPunctuation(e.what),
      'bytesIn' in e && e.bytesIn !== undefined && e.bytesOut !== undefined
        ? `${formatBytes(e.bytesIn)}/${formatBytes(e.bytesOut)}`
        : '-',
      // Last: a reason is the one long cell, and the last column is not padded.
      e.reason ? `${e.outcome}: ${plainPunctuation(e.reason)}` : e.outcome,
    ]),
  );
}

/**
 * Whether `peer` (as --peer reads it: audit-reader.ts matchesAudit) names one of this node's peers or
 * one the log has events of (a removed peer's stay). Read only when --peer found nothing.
 */
async function peerKnown(home: string, peer: string): Promise<boolean> {
  if ((await readAudit(home)).events.some((e) => matchesAudit(e, { peer }))) return true;
  if (!existsSync(join(home, 'config.json'))) return false;
  const { NodeState } = await import('../state/node-state.js');
  const time = isoTime();
  return NodeState.open(home)
    .get()
    .peers.some(({ name, fingerprint }) =>
      matchesAudit(
        { kind: 'peer', change: 'added', time, peer: { name, fingerprint }, what: '', outcome: 'ok' },
        { peer },
      ),
    );
}

export function registerLogCommand(program: Command): void {
  program
    .command('log')
    .description(
      'show the audit log: terminals, connections, pairing, permission and group changes, refusals',
    )
    .option('--home <dir>', 'node home directory')
    .option('--since <when>', 'only events since a duration ago (30m, 1h, 2d) or an ISO time')
    .option('--peer <peer>', 'only events of this peer (a name or the start of its fingerprint)')
    .option('--json', 'print JSON')
    .option('--wide', "print each event's row whole, wider than the terminal")
    .action(async (opts: LogOpts) => {
      const since = opts.since === undefined ? undefined : parseSince(opts.since);
      const home = resolveHome(opts.home);
      // The domains' kinds of record (a terminal's sessions, messages'), as the agent reads them.
      addAuditKinds(domains.map((d) => d.contract));
      // `no events` would say nothing happened on a node that is not there (a mistyped --home).
      requireHome(home, 'no events to show');
      const read = await readAudit(home, {
        ...(since !== undefined ? { since } : {}),
        ...(opts.peer !== undefined ? { peer: opts.peer } : {}),
      }).catch((err: NodeJS.ErrnoException) => {
        // A file given as the home, a log it may not read: said in words, not as `ENOTDIR … open`.
        throw fileProblem(err.path ?? join(home, 'audit.log'), err, 'read');
      });
      // `no events` would say that peer did nothing: say instead that no peer has that name.
      if (opts.peer !== undefined && read.events.length === 0 && !(await peerKnown(home, opts.peer))) {
        throw new ClawError(
          'PEER_NOT_FOUND',
          `no peer '${opts.peer}': not a peer of this node, and no event of the audit log names one so (--peer takes a name or the start of a fingerprint; \`${hintCommand('peers', opts.home)}\` lists them)`,
        );
      }
      if (read.bad > 0) {
        printNote(
          `skipped ${read.bad} line${read.bad === 1 ? '' : 's'} of the audit log that are not events`,
        );
      }
      if (opts.json) printJson(read.events);
      else printBlock(auditTable(read.events));
    });
}
