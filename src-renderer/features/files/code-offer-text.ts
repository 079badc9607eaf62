/**
 * Send to anyone's words: what an offer made with a code is, where it stands, and how the other person
 * takes it. Pure, so it is unit-tested.
 */
import type { CodeOfferInfo } from '../../../src-main/files/files-contract.js';
import { formatBytes, formatCountdown } from '../../lib/format.js';
import { namesText } from './files-text.js';

/** The offers' lifetimes the window offers, in seconds (the agent takes 10 s … 1 day; 10 min by default). */
export const OFFER_LIFETIMES = [
  { seconds: 600, label: '10 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
] as const;

/** `report.pdf and 2 more · 3 files · 1.5 MiB`. */
export function offerTitle(o: CodeOfferInfo): string {
  return `${namesText(o.names)} · ${o.files} ${o.files === 1 ? 'file' : 'files'} · ${formatBytes(o.bytes)}`;
}

/** Who took the code, with the short fingerprint to compare: `swift-otter (3F2A-91C0)`. */
function takerText(o: CodeOfferInfo): string {
  return o.by ? `${o.by.name} (${o.by.short})` : 'the receiver';
}

/**
 * Where the offer stands, in a line: waiting with the time left, someone entering the code, sending to
 * whom, or how it ended and why.
 */
export function offerStateText(o: CodeOfferInfo, now: number = Date.now()): string {
  switch (o.state) {
    case 'open': {
      const left = formatCountdown(o.expiresAt, now);
      return left === 'expired'
        ? 'The code has expired.'
        : `Waiting for the receiver · the code works once, for ${left} more`;
    }
    case 'checking':
      return 'Someone is entering the code…';
    case 'taken':
      return `Sending to ${takerText(o)}`;
    case 'done':
      return `Sent to ${takerText(o)}, every file verified`;
    case 'failed':
      return `Failed: ${o.why ?? 'the transfer did not finish'}`;
    case 'cancelled':
      return o.why ? `Cancelled: ${o.why}` : 'Cancelled';
    case 'expired':
      return o.why ? `Expired: ${o.why}` : 'Expired: no one took the code in time';
  }
}
