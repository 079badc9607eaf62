/**
 * What a shared terminal's link sends on its code's rendezvous once the code's PAKE succeeded
 * (docs/adr/0123-shared-terminals.md §Link): one sealed frame from the sharer, `ready` (the viewer is
 * let in where the shell runs: dial that node and watch share `share`), or `refused` with why. The
 * frames are sealed as a file offer's are (file-code-frames.ts, crypto/sealed-frames.ts) under this
 * protocol's own marker and salt, so a frame of one never opens as the other's. Pure.
 *
 *   sharer → viewer  ready {host, share, sharerName, write}   "dial host now and watch share"
 *   sharer → viewer  refused {reason}                         in place of `ready`
 */
import { z } from 'zod';
import { madeOnUse } from '../core/made-on-use.js';

/** The code's use (DomainCodes.issue `use`): a viewer's hello names it, so no other command spends it. */
export const SHARE_CODE_USE = 'view';
/** What starts every sealed frame (and is its GCM additional data). */
export const SHARE_CODE_MARKER = new TextEncoder().encode('CBSCODE1:');
export const SHARE_CODE_TAG_BYTES = 16;
/** What the direction keys are derived for (HKDF-SHA-512's salt; the info is the sender's role). */
export const SHARE_CODE_KEY_SALT = 'clawbridge share code v1';
/** Largest plaintext of one frame, in bytes: fits the smallest frame a relay may announce (8 KiB). */
export const MAX_SHARE_CODE_FRAME_PLAIN = 7 * 1024;
/** The page's fragment that carries a share's code (`…/#watch=CODE`: never sent to the relay). */
export const SHARE_CODE_FRAGMENT = 'watch';

/**
 * What a viewer reads when the code's PAKE fails (a wrong code, or someone in between): one try
 * ended the link, and only the sharer can make another.
 */
export const SHARE_CODE_WRONG_LINE =
  'the code was wrong or someone interfered — one try per code, so that link has ended; ask the sharer for a new one';

export type ShareCodeRole = 'sharer' | 'viewer';

const node = () =>
  z.strictObject({ fingerprint: z.string().regex(/^[0-9a-f]{64}$/), name: z.string().min(1).max(200) });

const shareCodeFrame = madeOnUse(() =>
  z.discriminatedUnion('t', [
    z.strictObject({
      t: z.literal('ready'),
      /** The node where the shell runs: the viewer dials it, through the relay they met on. */
      host: node(),
      share: z.string().regex(/^[0-9a-f]{16}$/),
      sharerName: z.string().min(1).max(200),
      /** The viewer may type (the host decides; this only says what to expect). */
      write: z.boolean(),
    }),
    z.strictObject({ t: z.literal('refused'), reason: z.string().max(300) }),
  ]),
);

/** One frame, as the schema above reads it. */
export type ShareCodeFrame = z.infer<ReturnType<typeof shareCodeFrame>>;

/** An opened frame's JSON as a frame of this protocol; undefined when it is none. */
export function readShareCodeFrame(json: unknown): ShareCodeFrame | undefined {
  const parsed = shareCodeFrame().safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The nonce of a direction's `counter`th frame: the counter, big-endian, in the last four bytes. */
export function shareCodeNonce(counter: number): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(8, counter);
  return n;
}

/**
 * What was typed or pasted to watch a link — a code, `watch=CODE`, or the relay page's link
 * (`https://relay/#watch=CODE`) — as its code and, for a link, the relay that serves the page (its
 * address as ws:// or wss://), where the code is met. Pure: the code itself is checked where it is used.
 */
export function readShareLink(text: string): { code: string; relayUrl?: string } {
  const t = text.trim();
  const marker = `${SHARE_CODE_FRAGMENT}=`;
  const at = t.indexOf(`#${marker}`);
  const rest =
    at !== -1 ? t.slice(at + 1 + marker.length) : t.startsWith(marker) ? t.slice(marker.length) : t;
  let code: string;
  try {
    code = decodeURIComponent(rest).trim();
  } catch {
    code = rest;
  }
  if (at === -1 || !/^https?:\/\//i.test(t)) return { code };
  const page = new URL(t.slice(0, at));
  const ws = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return { code, relayUrl: `${ws}//${page.host}${page.pathname === '/' ? '' : page.pathname}` };
}
