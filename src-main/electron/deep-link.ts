/**
 * `clawbridge://` links the app is registered for (architecture.md §The desktop app and the window;
 * docs/protocol.md, "Invites"): a pairing invite `clawbridge://join?invite=<code>&relay=…`, which
 * opens Pair → Join with the invite filled in (its first form `clawbridge://pair/<code>?…` too), and
 * a group invitation `clawbridge://group?invite=<code>&relay=…` (what `group invite` prints), which
 * opens Groups with the Join group form filled in. Links come from the operating system (another
 * program, a browser), so they are parsed strictly and anything else is refused with one clear line.
 * Pure: no Electron here.
 */
import { ClawError, isClawError } from '../core/errors.js';
import { encodeInvite, INVITE_PREFIX, MAX_INVITE_CHARS, parseInvite } from '../protocol/pair-code.js';
import { GROUP_LINK_PREFIX } from '../group-members/group-members-contract.js';
import type { WindowPlace } from './window-place.js';

/** The URL scheme the app registers with the operating system. */
export const DEEP_LINK_SCHEME = 'clawbridge';

/**
 * What a deep link asks for, its invite in canonical form: `join`, the window on Pair → Join;
 * `group`, the window on Groups with the Join group form filled in.
 */
export interface JoinLink {
  kind: 'join' | 'group';
  invite: string;
}

/** A link the app refuses; `group` when it was meant as a group invitation (the window says so there). */
export class DeepLinkRefused extends ClawError {
  constructor(
    message: string,
    readonly group = false,
  ) {
    super('BAD_INVITE', message);
  }
}

const badLink = (message: string, group = false) => new DeepLinkRefused(message, group);

/**
 * Parses a `clawbridge://` link.
 * @throws DeepLinkRefused (a ClawError `BAD_INVITE`) for anything but a well-formed join or group
 * link, with why in one line; `BAD_PAIR_CODE` for a join link whose code is malformed.
 */
export function parseDeepLink(text: string): JoinLink {
  if (typeof text !== 'string') throw badLink('a link must be text');
  if (text.length > MAX_INVITE_CHARS) {
    throw badLink(`link is ${text.length} characters, the limit is ${MAX_INVITE_CHARS}`);
  }
  const match = /^clawbridge:\/\/([a-z]*)/i.exec(text.trim());
  if (!match) throw badLink('not a clawbridge:// link');
  const action = match[1]!.toLowerCase();
  if (action === 'group') return { kind: 'group', invite: groupInvitation(text.trim()) };
  if (action !== 'join' && action !== 'pair') {
    // Shown in an error line: printable ASCII only, bounded.
    const shown = action.replace(/[^\x20-\x7e]/g, '?').slice(0, 24);
    throw badLink(
      `clawbridge://${shown} is not a link this app opens — it opens clawbridge://join?invite=… and clawbridge://group?invite=…`,
    );
  }
  return { kind: 'join', invite: encodeInvite(parseInvite(text)) };
}

/**
 * A group invitation's link in canonical form: the pairing invite it carries under its own action
 * (group-members-contract.ts), parsed as strictly as a pairing invite is.
 */
function groupInvitation(text: string): string {
  if (!text.toLowerCase().startsWith(GROUP_LINK_PREFIX))
    throw badLink('a group invitation link is clawbridge://group?invite=<code>… — copy it whole', true);
  let invite: string;
  try {
    invite = encodeInvite(parseInvite(INVITE_PREFIX + text.slice(GROUP_LINK_PREFIX.length)));
  } catch (err) {
    if (!isClawError(err)) throw err;
    // The pairing parser's words, said of the group invitation ("invite has no code" → "group invitation has no code").
    throw badLink(`group ${err.message.replace(/^invite\b/, 'invitation')}`, true);
  }
  return GROUP_LINK_PREFIX + invite.slice(INVITE_PREFIX.length);
}

/** Where the window goes for a link. */
export function deepLinkPlace(link: JoinLink): WindowPlace {
  return link.kind === 'group'
    ? { view: 'groups', join: link.invite }
    : { view: 'pair', mode: 'join', invite: link.invite };
}

/**
 * Where the window goes for a link the app refused: a group invitation's to Groups, saying why under
 * Join group; any other to Pair → Join.
 */
export function refusedLinkPlace(err: unknown): WindowPlace {
  return err instanceof DeepLinkRefused && err.group
    ? { view: 'groups', refused: err.message }
    : { view: 'pair', mode: 'join' };
}

/**
 * The link in a command line (Windows and Linux start the app, or hand a second instance, with the
 * link as an argument), or null: the first argument with the app's scheme.
 */
export function deepLinkInArgv(argv: readonly string[]): string | null {
  return argv.find((arg) => /^clawbridge:/i.test(arg)) ?? null;
}
