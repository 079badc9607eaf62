/**
 * The Files view's words: a transfer's state and progress, and a refusal with where
 * to grant what it lacked. Pure, so it is unit-tested.
 */
import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import { formatBytes } from '../../lib/format.js';

/** `a.txt`, `a.txt and b`, `a.txt and 3 more`. */
export function namesText(names: readonly string[]): string {
  if (names.length === 0) return 'nothing';
  if (names.length === 1) return names[0]!;
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  return `${names[0]} and ${names.length - 1} more`;
}

/** `photos to b`, `report.pdf from a`: what a transfer moves, and with whom. */
export function transferTitle(t: TransferInfo): string {
  return `${namesText(t.names)} ${t.direction === 'out' ? 'to' : 'from'} ${t.peer.name}`;
}

/** Percent of the bytes done, 0–100 (an empty transfer is done at once). */
export function percent(t: TransferInfo): number {
  if (t.bytes === 0) return t.state === 'done' ? 100 : 0;
  return Math.min(100, Math.floor((t.bytesDone / t.bytes) * 100));
}

/** `1.5 MiB of 12 MiB · 3 of 10 files · 4.2 MiB/s · about 3 s left`. */
export function progressText(t: TransferInfo): string {
  const parts = [
    `${formatBytes(t.bytesDone)} of ${formatBytes(t.bytes)}`,
    `${t.filesDone} of ${t.files} ${t.files === 1 ? 'file' : 'files'}`,
  ];
  if (t.rate > 0 && (t.state === 'sending' || t.state === 'receiving')) {
    parts.push(`${formatBytes(t.rate)}/s`);
    const left = Math.ceil((t.bytes - t.bytesDone) / t.rate);
    if (left > 0) parts.push(`about ${left < 60 ? `${left} s` : `${Math.ceil(left / 60)} min`} left`);
  }
  return parts.join(' · ');
}

const STATE_TEXT: Record<TransferInfo['state'], string> = {
  preparing: 'preparing (reading and hashing)',
  waiting: 'waiting',
  sending: 'sending',
  receiving: 'receiving',
  done: 'done, every file verified',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** `sending`, `waiting: b is offline`, `failed: …`; a reason that names the state already stands alone. */
export function stateText(t: TransferInfo): string {
  const base = STATE_TEXT[t.state];
  if (!t.why || t.state === 'done') return base;
  return t.why.startsWith(base) ? t.why : `${base}: ${t.why}`;
}

/**
 * Where to grant what a refusal lacked, when it was the `files` permission on the receiver, or null:
 * on that peer, its window's Permissions of this device, or the command its refusal names.
 */
export function grantText(t: TransferInfo, self: string): string | null {
  if (t.direction !== 'out' || t.state !== 'failed' || !t.why) return null;
  if (!/\bfiles\b/.test(t.why) || !/permission|allow/i.test(t.why)) return null;
  return `On ${t.peer.name}, open Peers → Permissions of ${self} and allow “Send files here”, or run clawbridge peers allow ${self} files there.`;
}

/** Paths typed one a line (blank lines and surrounding spaces dropped). */
export function parsePaths(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Why `paths` cannot be sent as they are (the agent wants absolute paths), or null. */
export function pathsProblem(paths: readonly string[]): string | null {
  if (paths.length === 0) return 'Name at least one file or folder.';
  const relative = paths.find(
    (p) => !(p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')),
  );
  return relative
    ? `“${relative}” is not a full path: start it at the root (/home/… or C:\\…), as the agent runs elsewhere.`
    : null;
}

/** How a transfer this window started ended: `Sent a.txt to b, every file verified`, or why not. */
export function endedText(t: TransferInfo): string {
  const what = `${namesText(t.names)} to ${t.peer.name}`;
  if (t.state === 'done') return `Sent ${what}, every file verified`;
  if (t.state === 'cancelled') return `Sending ${what} was cancelled`;
  return `Sending ${what} failed${t.why ? `: ${t.why}` : ''}`;
}
