/**
 * `status`'s NAT lines (docs/adr/0081-direct-across-nats.md): what kind of NAT this node appears to be
 * behind, each address a relay observed (and from which local end), and the port mapping on the LAN's
 * router with the time its lease ends. Plain words, one fact a line, as the rest of `status`.
 */
import type { NatStatus } from '../api/contract.js';
import { formatHostPort } from '../core/host-port.js';
import { escapeControlChars } from '../core/terminal-text.js';
import { plainPunctuation } from './plain-punctuation.js';
import type { PortMappingStatus } from '../transport/nat/port-mapping.js';

const KIND_TEXT: Record<NatStatus['nat']['kind'], string> = {
  none: 'no NAT (relays see its own address and port)',
  'preserves-port': 'a NAT that keeps ports (a simultaneous open can reach it)',
  'changes-port': 'a NAT that changes the port per destination (only a port mapping lets peers in)',
  unknown: 'not known yet',
};

const PROTOCOL_TEXT = { upnp: 'UPnP', 'nat-pmp': 'NAT-PMP' } as const;

/** The agent's words (and a router's), in ASCII as the rest of the CLI and with no control sent. */
const agentWords = (text: string) => escapeControlChars(plainPunctuation(text));

/** `in 59 min`, `in 40 s`: how long until `at`. */
function fromNow(at: number, now: number): string {
  const s = Math.max(0, Math.round((at - now) / 1000));
  return s >= 120 ? `in ${Math.round(s / 60)} min` : `in ${s} s`;
}

function mappingText(m: PortMappingStatus, now: number): string {
  switch (m.state) {
    case 'off':
      return 'off (the portMapping setting; `agent --no-port-mapping`)';
    case 'idle':
      return 'none asked (the direct listener is off or on loopback)';
    case 'searching':
      return 'asking the router (UPnP, NAT-PMP)...';
    case 'mapped': {
      const lease = `lease ends ${fromNow(m.expiresAt, now)}, renewed at half`;
      const renew = m.renewError ? `; last renewal failed: ${agentWords(m.renewError.message)}` : '';
      const unannounced = m.unannounced ? `; not told to peers: ${agentWords(m.unannounced)}` : '';
      return `${formatHostPort(m.external.host, m.external.port)} -> ${formatHostPort(m.internal.host, m.internal.port)} by the router at ${m.router} (${PROTOCOL_TEXT[m.protocol]}), ${lease}${renew}${unannounced}`;
    }
    case 'failed':
      return `none: ${agentWords(m.error.message)} (asked again ${fromNow(m.retryAt, now)})`;
    case 'stopped':
      return 'none (removed at stop)';
  }
}

/** The NAT lines of `status`, each starting with its label. */
export function natStatusLines(nat: NatStatus, now = Date.now()): string[] {
  const kind = `nat:    ${KIND_TEXT[nat.nat.kind]}${nat.nat.publicAddress ? `, public address ${nat.nat.publicAddress}` : ''}`;
  const lines = [kind, `        ${agentWords(nat.nat.why)}`];
  if (nat.observed.length === 0) lines.push('seen:   no relay has said where it sees this node');
  for (const o of nat.observed) {
    const from = o.local ? ` (from ${formatHostPort(o.local.address, o.local.port)})` : '';
    lines.push(`seen:   ${formatHostPort(o.address, o.port)} by relay ${o.relay}${from}`);
  }
  lines.push(`mapped: ${mappingText(nat.mapping, now)}`);
  return lines;
}
