/**
 * Every decision the desktop app's updater makes, as pure functions of what it knows
 * (docs/adr/0077-desktop-updates.md): when to check next (at start, every few hours, backing off while
 * offline), what a failure means and what to tell the user, which offers a feed may make, what the tray
 * and the window say, and whether a restart may happen now. update-controller.ts performs the effects
 * these call for; electron-updater (update-engine.ts) talks to the feed.
 */
import { z } from 'zod';

/** automatic: download, then ask to restart; notify: say there is one, download on request; off: no request at all. */
export const UPDATE_MODES = ['automatic', 'notify', 'off'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];

/** stable: releases only; beta: pre-releases too (the release workflow marks which is which). */
export const UPDATE_CHANNELS = ['stable', 'beta'] as const;
export type UpdateChannel = (typeof UPDATE_CHANNELS)[number];

/** What the user chose in Settings → Updates, kept in the app's preferences (preferences.ts). */
export const updateChoice = z
  .object({ mode: z.enum(UPDATE_MODES), channel: z.enum(UPDATE_CHANNELS) })
  .strict();
export type UpdateChoice = z.infer<typeof updateChoice>;

export const DEFAULT_UPDATE_CHOICE: UpdateChoice = { mode: 'automatic', channel: 'stable' };

/** Longest message kept from a failure, in characters (a server can answer with a whole page). */
export const MAX_UPDATE_MESSAGE_CHARS = 300;

/** How the last check ended, kept across restarts so Settings can say it. */
export const lastCheck = z
  .object({
    /** Epoch ms. */
    at: z.number().int().nonnegative(),
    outcome: z.enum(['up-to-date', 'found', 'failed']),
    /** The version found, or what failed, in words. */
    detail: z.string().max(MAX_UPDATE_MESSAGE_CHARS).optional(),
  })
  .strict();
export type LastCheck = z.infer<typeof lastCheck>;

/** How long after start the first check waits, in ms (30 s: the agent and the window come first). */
export const FIRST_CHECK_DELAY_MS = 30_000;

/** Time between checks while online, in ms (4 h: a release a day is found the same day). */
export const CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;

/**
 * The wait after a check that failed for want of a network, in ms: 1 min, doubled after each such
 * failure up to CHECK_INTERVAL_MS, so a laptop offline for a day asks about 10 times, not 1440.
 */
export const OFFLINE_FIRST_RETRY_MS = 60_000;

/** Time until the next check, given how many checks in a row failed offline (0: the last one got an answer). */
export function nextCheckDelayMs(offlineFailures: number): number {
  if (offlineFailures <= 0) return CHECK_INTERVAL_MS;
  return Math.min(CHECK_INTERVAL_MS, OFFLINE_FIRST_RETRY_MS * 2 ** Math.min(offlineFailures - 1, 20));
}

/**
 * What a failure was, by its code (electron-updater's and Node's), never by its text:
 * - offline: no network or the feed did not answer — retried with backoff, nothing to fix;
 * - checksum: the file does not match the feed's SHA-512 — refused, nothing installed;
 * - signature: the feed file's signature (docs/adr/0084-signed-update-metadata.md), or the code
 *   signature the OS or the updater checks, does not verify — refused, nothing installed;
 * - feed: the feed said something that cannot be right (no valid version, no file for this system),
 *   or is not HTTPS;
 * - other: anything else, shown as it is.
 */
export type UpdateFailureKind = 'offline' | 'checksum' | 'signature' | 'feed' | 'other';

const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_INTERNET_DISCONNECTED',
  'ERR_NETWORK_CHANGED',
  'ERR_NAME_NOT_RESOLVED',
  'ERR_CONNECTION_REFUSED',
  'ERR_CONNECTION_TIMED_OUT',
  'ERR_ADDRESS_UNREACHABLE',
]);

/** The error's code: electron-updater's `ERR_UPDATER_*`, Node's `E*`, or Chromium's `net::ERR_*` in the message. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const net = /net::(ERR_[A-Z_]+)/.exec(messageOf(err));
  return net ? net[1]! : '';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function failureKind(err: unknown): UpdateFailureKind {
  const code = codeOf(err);
  if (OFFLINE_CODES.has(code)) return 'offline';
  if (code === 'ERR_CHECKSUM_MISMATCH' || code === 'ERR_UPDATER_ZIP_FILE_NOT_FOUND') return 'checksum';
  // NSIS: the installer's Authenticode publisher is not this app's; macOS: Squirrel.Mac refuses an
  // update whose signature does not satisfy the running app's designated requirement.
  if (
    code === 'ERR_UPDATER_INVALID_SIGNATURE' ||
    code === 'ERR_UPDATE_METADATA_SIGNATURE' ||
    /code signature|not signed by the application owner/i.test(messageOf(err))
  )
    return 'signature';
  if (
    code === 'ERR_UPDATER_INVALID_VERSION' ||
    code === 'ERR_UPDATE_FEED_INSECURE' ||
    code === 'ERR_UPDATER_NO_FILES_PROVIDED' ||
    code === 'ERR_UPDATER_LATEST_VERSION_NOT_FOUND' ||
    code === 'ERR_UPDATER_INVALID_UPDATE_INFO' ||
    code === 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND'
  )
    return 'feed';
  return 'other';
}

/** What the user reads about a failure: what failed and what it means for them. */
export function failureText(err: unknown): string {
  const kind = failureKind(err);
  const detail = capMessage(messageOf(err).split('\n')[0] ?? '');
  switch (kind) {
    case 'offline':
      return `the update feed cannot be reached (${detail}); trying again later`;
    case 'checksum':
      return `the downloaded update does not match the SHA-512 its feed gives, so it was refused and nothing was installed (${detail})`;
    case 'signature':
      if (codeOf(err) === 'ERR_UPDATE_METADATA_SIGNATURE')
        return `the update feed's metadata is not signed by this app's release key, so it was refused and nothing was installed (${detail})`;
      return `the update's code signature could not be verified, so it was refused and nothing was installed (${detail})`;
    case 'feed':
      return `the update feed's answer cannot be used (${detail}); nothing was downloaded`;
    case 'other':
      return `the update failed: ${detail}`;
  }
}

export function capMessage(text: string, max = MAX_UPDATE_MESSAGE_CHARS): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** `1.2.3` or `1.2.3-beta.1` (SemVer without build metadata, which releases never carry). */
const RELEASE_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/**
 * Whether this app may take what a feed offers: a release version, on the user's channel (stable takes
 * no pre-release), and newer than the running one (a feed that offers the same or an older version is
 * lying or stale, and a downgrade is never installed). electron-updater applies the same comparison;
 * this repeats it where the app decides, so a feed's claim is checked by the app's own rule.
 */
export function offerProblem(current: string, offered: unknown, channel: UpdateChannel): string | null {
  if (typeof offered !== 'string' || !RELEASE_VERSION.test(offered))
    return `the feed offers '${capMessage(String(offered), 40)}', which is not a release version`;
  if (channel === 'stable' && offered.includes('-'))
    return `the feed offers ${offered}, a pre-release, and this app follows the stable channel`;
  if (compareVersions(offered, current) <= 0)
    return `the feed offers ${offered}, which is not newer than this app's ${current}`;
  return null;
}

/** Hosts a plain-HTTP feed may be on: this machine only (the tests' feeds). */
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Why `url` may not be an update feed, or null: a feed is HTTPS, so nobody on the path can answer in
 * its place (the metadata is signed as well, docs/adr/0084-signed-update-metadata.md); plain HTTP only
 * to loopback, where there is no path.
 */
export function feedUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the update feed '${capMessage(url, 80)}' is not a URL`;
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && LOOPBACK_HOST.test(parsed.hostname)) return null;
  return `the update feed ${capMessage(parsed.origin, 80)} is not HTTPS, so it is refused`;
}

/** SemVer precedence of two release versions (RELEASE_VERSION): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = RELEASE_VERSION.exec(a);
  const pb = RELEASE_VERSION.exec(b);
  if (!pa || !pb) throw new RangeError(`not release versions: ${a}, ${b}`);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return d;
  }
  const [preA, preB] = [pa[4], pb[4]];
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const ia = preA.split('.');
  const ib = preB.split('.');
  for (let i = 0; i < Math.max(ia.length, ib.length); i++) {
    const [x, y] = [ia[i], ib[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const [nx, ny] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * How this build can take an update (update-support.ts decides it from the platform and the package):
 * - in-place: download, verify, and install over itself at a restart (macOS zip, Windows NSIS, AppImage);
 * - notify: say there is one, with a link, and install nothing (the deb package, whose files the
 *   package manager owns; a Windows build that is not signed, so an update's signature cannot be
 *   checked against it);
 * - none: no updates at all (`npm start`, an unpacked folder), with why.
 */
export type UpdateSupport =
  { kind: 'in-place' } | { kind: 'notify'; why: string; link: string } | { kind: 'none'; why: string };

/** Where the updater stands: one value (STYLE.md §State and ownership). */
export type UpdatePhase =
  | { phase: 'off' }
  | { phase: 'unsupported'; why: string }
  | { phase: 'idle' }
  | { phase: 'checking' }
  | { phase: 'up-to-date' }
  /** Found and not downloaded: notify mode, or a build that only notifies (`link`: where to get it). */
  | { phase: 'available'; version: string; notes: string; link?: string }
  | { phase: 'downloading'; version: string; percent: number }
  /** Downloaded and verified (SHA-512; the signature too where the OS checks it at install). */
  | { phase: 'ready'; version: string; notes: string }
  | { phase: 'failed'; kind: UpdateFailureKind; message: string };

/** What Settings → Updates shows and main sends the window (`app.update`). */
export interface UpdateStatus {
  current: string;
  choice: UpdateChoice;
  /** Set when an administrator's policy file decides (update-fleet.ts): the choice cannot be changed here. */
  managed: string | null;
  /** A feed URL other than the project's releases (the policy's `feedUrl`). */
  feed: string | null;
  state: UpdatePhase;
  last: LastCheck | null;
}

/** Release notes the feed gives, as plain text: electron-updater passes a string, or a list of {version, note}. */
export function notesText(notes: unknown): string {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const text = Array.isArray(notes)
    ? notes.map((n: { version?: unknown; note?: unknown }) => `${str(n.version)}: ${str(n.note)}`).join('\n')
    : str(notes);
  // GitHub's notes are HTML: the window shows text only, so tags are dropped rather than rendered.
  return capMessage(
    text
      .replace(/<[^>]*>/g, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    4000,
  );
}

/** The tray line for the update, or null when there is nothing to say. */
export function updateTrayLabel(state: UpdatePhase): string | null {
  switch (state.phase) {
    case 'ready':
      return `Update ready — restart to update (v${state.version})`;
    case 'available':
      return state.link
        ? `Update available (v${state.version}) — download…`
        : `Update available (v${state.version})…`;
    case 'failed':
      return state.kind === 'checksum' || state.kind === 'signature'
        ? 'Update refused — see Settings…'
        : null;
    default:
      return null;
  }
}

/**
 * What is running that a restart would interrupt: the terminals this device has open on peers (the
 * window's), the shells peers have open on this device, and the file transfers.
 */
export interface RunningWork {
  terminals: number;
  served: number;
  transfers: number;
}

export type RestartVerdict = { now: true } | { now: false; why: string };

const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Whether a restart to update may happen now. Never on its own while anything runs: the user is
 * asked, and `confirmed` means they said yes knowing what runs. The window's terminals are handed to
 * the next version and transfers resume after it (docs/adr/0082-terminals-across-an-update.md), but a
 * person typing in one should not see it pause without having chosen to. Shells peers have open here
 * end with the restart: the session host is the app's child, which Electron ends with it.
 */
export function restartVerdict(work: RunningWork, confirmed: boolean): RestartVerdict {
  if (confirmed) return { now: true };
  const sentences: string[] = [];
  const parts: string[] = [];
  if (work.terminals > 0) parts.push(counted(work.terminals, 'terminal'));
  if (work.transfers > 0) parts.push(counted(work.transfers, 'file transfer'));
  if (parts.length > 0) {
    const one = work.terminals + work.transfers === 1;
    const then = one
      ? 'is running: it pauses for the restart and carries on after it'
      : 'are running: they pause for the restart and carry on after it';
    sentences.push(`${parts.join(' and ')} ${then}`);
  }
  if (work.served > 0) {
    const them = work.served === 1 ? 'it ends' : 'they end';
    sentences.push(
      `${counted(work.served, 'shell')} ${work.served === 1 ? 'is' : 'are'} open here from other devices: ${them} with the restart`,
    );
  }
  if (sentences.length === 0) return { now: true };
  return { now: false, why: sentences.join('; ') };
}
