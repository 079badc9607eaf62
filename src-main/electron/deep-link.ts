/**
 * `clawbridge://` links the app is registered for (architecture.md §The desktop app and the window;
 * docs/protocol.md, "Invites"). Today there is one: `clawbridge://join?invite=<code>&relay=…`, which
 * opens Join with the invite filled in; the first invite form `clawbridge://pair/<code>?…` is taken
 * too. Links come from the operating system (another program, a browser), so they are parsed
 * strictly and anything else is refused with one clear line. Pure: no Electron here.
 */
import { ClawError } from '../core/errors.js';
import { encodeInvite, MAX_INVITE_CHARS, parseInvite } from '../protocol/pair-code.js';
import type { WindowPlace } from './window-place.js';

/** The URL scheme the app registers with the operating system. */
export const DEEP_LINK_SCHEME = 'clawbridge';

/** What a deep link asks for: the window on Join, with the invite (canonical form) filled in. */
export interface JoinLink {
  kind: 'join';
  invite: string;
}

const badLink = (message: string) => new ClawError('BAD_INVITE', message);

/**
 * Parses a `clawbridge://` link.
 * @throws ClawError: `BAD_INVITE` for anything but a well-formed join link, `BAD_PAIR_CODE` for a
 * join link whose code is malformed.
 */
export function parseDeepLink(text: string): JoinLink {
  if (typeof text !== 'string') throw badLink('a link must be text');
  if (text.length > MAX_INVITE_CHARS) {
    throw badLink(`link is ${text.length} characters, the limit is ${MAX_INVITE_CHARS}`);
  }
  const match = /^clawbridge:\/\/([a-z]*)/i.exec(text.trim());
  if (!match) throw badLink('not a clawbridge:// link');
  const action = match[1]!.toLowerCase();
  if (action !== 'join' && action !== 'pair') {
    // Shown in an error line: printable ASCII only, bounded.
    const shown = action.replace(/[^\x20-\x7e]/g, '?').slice(0, 24);
    throw badLink(`clawbridge://${shown} is not a link this app opens — it opens clawbridge://join?invite=…`);
  }
  return { kind: 'join', invite: encodeInvite(parseInvite(text)) };
}

/** Where the window goes for a link. */
export function deepLinkPlace(link: JoinLink): WindowPlace {
  return { view: 'pair', mode: 'join', invite: link.invite };
}

/**
 * The link in a command line (Windows and Linux start the app, or hand a second instance, with the
 * link as an argument), or null: the first argument with the app's scheme.
 */
export function deepLinkInArgv(argv: readonly string[]): string | null {
  return argv.find((arg) => /^clawbridge:/i.test(arg)) ?? null;
}
