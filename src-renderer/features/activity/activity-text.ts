/**
 * Words for the Activity view (audit events, src-main/audit/audit-events.ts): what each event is,
 * where it came from and what it moved, as a person reads them. Pure: unit-tested without a window.
 */
import type { AuditEvent, DomainAuditEvent } from '../../../src-main/audit/audit-events.js';
import { formatBytes } from '../../lib/format.js';

const TERMINAL_PHASE_TEXT = { start: 'started', resume: 'resumed', end: 'ended' } as const;

/** What happened, in a few words: `Terminal started here`, `Forward connection ended`. */
export function eventText(e: AuditEvent): string {
  switch (e.kind) {
    case 'terminal':
      return `Terminal ${TERMINAL_PHASE_TEXT[e.phase]} ${e.side === 'served' ? 'here' : 'on the peer'}`;
    case 'connection':
      return `${CONNECTION_TEXT[e.connection] ?? e.connection} ended`;
    case 'listener':
      return e.phase === 'opened' ? 'Listener for a peer opened' : 'Listener for a peer closed';
    case 'pairing':
      return `Pairing ${e.step}`;
    case 'approval':
      return e.decision === 'approved' ? 'Request approved' : 'Request rejected';
    case 'permission':
      return 'Permissions changed';
    case 'peer':
      return `Peer ${e.change}`;
    case 'member':
      return `Device ${e.change} (by ${e.by.name})`;
    case 'refused':
      return 'Refused';
    case 'message':
      return MESSAGE_CHANGE_TEXT[e.change];
    case 'port-mapping':
      return e.change === 'made' ? 'Port mapping made on the router' : 'Port mapping removed';
    case 'audit':
      return 'Events not recorded';
    default:
      // A kind of the node's is named above (one that is not does not compile here); a domain's that
      // is not (its piece brought it, ADR 0093) shows as its kind.
      return domainKindText(e);
  }
}

const domainKindText = (e: DomainAuditEvent): string => e.kind;

const MESSAGE_CHANGE_TEXT = {
  expired: 'Messages expired undelivered',
  refused: 'Messages refused by the peer',
  waiting: 'Messages wait: the peer’s inbox is full',
} as const;

const CONNECTION_TEXT: Record<string, string> = {
  forward: 'Forward connection',
  socks: 'SOCKS5 connection',
  http: 'HTTP proxy connection',
  'tcp-exit': 'Exit for a peer',
  'udp-exit': 'UDP exit for a peer',
  udp: 'UDP flow',
  reverse: 'Reverse forward connection',
  'reverse-udp': 'Reverse UDP flow',
  'reverse-served': 'Served for a peer’s reverse forward',
  'relay-circuit': 'Relay circuit',
  'chain-hop': 'Chain hop',
  'files-in': 'Files from a peer',
  'files-out': 'Files to a peer',
  'messages-in': 'Message stream from a peer',
  'messages-out': 'Message stream to a peer',
  share: 'Shared folder: a connection or a download',
};

/** `direct 198.51.100.7:7443`, `relay`, or null when neither is known. */
export function whereText(e: AuditEvent): string | null {
  if (e.path) return e.address ? `${e.path} ${e.address}` : e.path;
  return e.address ?? null;
}

/** `1.2 KiB in, 300 B out, 4 s`, or null for events that moved nothing. */
export function trafficText(e: AuditEvent): string | null {
  if (!('bytesIn' in e) || e.bytesIn === undefined || e.bytesOut === undefined) return null;
  const secs = e.durationMs === undefined ? '' : `, ${Math.round(e.durationMs / 1000)} s`;
  return `${formatBytes(e.bytesIn)} in, ${formatBytes(e.bytesOut)} out${secs}`;
}

/** The `since` choices of the filter: the value `audit.list` takes, and its label. */
export const SINCE_CHOICES = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '', label: 'Everything kept' },
] as const;
