/**
 * One-time pairing codes and invites (architecture.md §Pairing and approval; docs/protocol.md, "Pairing by code").
 *
 * A code is 12 Crockford base32 characters shown as `K7QX-M2RT-9WZA`:
 *   - 4 characters of **tag** (20 bits): routes the meeting at the relay or on the LAN; not secret;
 *   - 8 characters of **secret** (40 bits): the CPace password; never leaves the two nodes except
 *     inside the PAKE, whose transcript reveals nothing about it beyond one online guess per run.
 *
 * Crockford's alphabet has no I, L, O or U, so what is read aloud is unambiguous; input is
 * case-insensitive, takes I and L as 1 and O as 0, and ignores spaces and dashes.
 *
 * An invite wraps a code with where to meet: `clawbridge://join?invite=K7QX-M2RT-9WZA&relay=…&fp=…&token=…`,
 * a link the desktop app opens (it is registered for the `clawbridge:` scheme). The first invites
 * were `clawbridge://pair/K7QX-M2RT-9WZA?relay=…`; those are still accepted wherever an invite is.
 */
import { ClawError } from '../core/errors.js';
import { parseFingerprint } from '../core/fingerprint.js';
import { utf8Length } from '../core/hex.js';
import { MAX_TOKEN_BYTES } from './relay-frames.js';

/** Crockford base32 digits, value = index. */
export const PAIR_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters of the rendezvous tag (5 bits each: 20 bits). */
export const PAIR_TAG_CHARS = 4;
/** Characters of the secret (5 bits each: 40 bits). */
export const PAIR_SECRET_CHARS = 8;
/**
 * Characters of a whole code: tag and secret. There is deliberately no check character: a mistyped
 * secret must reach the issuer's PAKE so that it fails on both sides and burns the code (architecture.md §Pairing and approval,
 * one online guess per code) instead of being caught silently on the joiner's side (docs/adr/0003).
 */
export const PAIR_CODE_CHARS = PAIR_TAG_CHARS + PAIR_SECRET_CHARS;
/** Longest input parsePairCode looks at, in characters: generous for separators, bounded for hostile input. */
const MAX_CODE_INPUT_CHARS = 64;
/** Longest invite accepted, in characters: a relay URL, a fingerprint and a 255-byte token fit easily. */
export const MAX_INVITE_CHARS = 2048;
/** Longest relay URL in an invite, in characters. */
export const MAX_INVITE_RELAY_URL_CHARS = 512;
/** What starts every invite this version writes; the code is its `invite` parameter. */
export const INVITE_PREFIX = 'clawbridge://join?';
/** What started the first invites (`clawbridge://pair/<code>?relay=…`), still accepted. */
export const LEGACY_INVITE_PREFIX = 'clawbridge://pair/';

/** A parsed pairing code. */
export interface PairCode {
  /** 4 canonical characters; the relay sees them. */
  tag: string;
  /** 8 canonical characters; the CPace password. */
  secret: string;
  /** Canonical display form, `TTTT-SSSS-SSSS`. */
  text: string;
}

/** What an invite carries. */
export interface Invite {
  code: PairCode;
  /** `ws://` or `wss://` URL of the relay where the issuer waits. */
  relayUrl?: string;
  /** The relay's certificate fingerprint, 64 lowercase hex: pins a `wss://` relay on first contact. */
  relayFingerprint?: string;
  /** The relay's access token, when it requires one. */
  relayToken?: string;
}

const badCode = (message: string) => new ClawError('BAD_PAIR_CODE', message);
const badInvite = (message: string) => new ClawError('BAD_INVITE', message);

function makeCode(tag: string, secret: string): PairCode {
  return { tag, secret, text: `${tag}-${secret.slice(0, 4)}-${secret.slice(4)}` };
}

/** A fresh random code: 60 random bits for tag and secret from the system CSPRNG. */
export function generatePairCode(): PairCode {
  // 256 is a multiple of 32, so taking 5 bits of each byte is uniform.
  const random = globalThis.crypto.getRandomValues(new Uint8Array(PAIR_TAG_CHARS + PAIR_SECRET_CHARS));
  const chars = [...random].map((b) => PAIR_CODE_ALPHABET[b & 31]!);
  return makeCode(chars.slice(0, PAIR_TAG_CHARS).join(''), chars.slice(PAIR_TAG_CHARS).join(''));
}

/** Characters people type between groups, or that a copy may add. */
const SEPARATORS = /[\s\u002d\u2010-\u2015\u2212]/gu;
/** Look-alikes Crockford folds onto digits. */
const FOLD: Readonly<Record<string, string>> = { I: '1', L: '1', O: '0' };

/**
 * Parses a code as typed or read aloud.
 * @throws ClawError(`BAD_PAIR_CODE`) naming the problem: wrong length or an invalid character.
 */
export function parsePairCode(input: string): PairCode {
  if (input.length > MAX_CODE_INPUT_CHARS) {
    throw badCode(
      `pair code is too long (${input.length} characters) — expected ${PAIR_CODE_CHARS} characters like K7QX-M2RT-9WZA`,
    );
  }
  // Only ASCII is upper-cased: toUpperCase would turn 'ß' into 'SS' or 'ı' into 'I'.
  const compact = [...input.replace(SEPARATORS, '').replace(/[a-z]/g, (c) => c.toUpperCase())]
    .map((c) => FOLD[c] ?? c)
    .join('');
  for (const c of compact) {
    if (!PAIR_CODE_ALPHABET.includes(c)) {
      const shown = /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`;
      throw badCode(
        `pair code contains ${shown}, which is not a code character — codes use digits and the letters A–Z except U`,
      );
    }
  }
  if (compact.length !== PAIR_CODE_CHARS) {
    throw badCode(
      `pair code must be ${PAIR_CODE_CHARS} characters (like K7QX-M2RT-9WZA), got ${compact.length}`,
    );
  }
  return makeCode(compact.slice(0, PAIR_TAG_CHARS), compact.slice(PAIR_TAG_CHARS));
}

/**
 * `parse()`, with a malformed code named as its holder knows it (`the file code`, `the share code`):
 * pairing, file offers and shared terminals read codes alike, and "pair code" would send someone who
 * got a file's code looking for a pairing. Other errors pass as they are.
 * @throws ClawError('BAD_PAIR_CODE') reworded; whatever else `parse` throws
 */
export function codeNamed<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ClawError && err.code === 'BAD_PAIR_CODE')
      throw new ClawError('BAD_PAIR_CODE', err.message.replace(/^pair code/, name));
    throw err;
  }
}

/**
 * C0/C1 controls (nothing in an invite may rewrite a terminal line or a log entry) and lone surrogates
 * (not text; percent-encoding would silently replace them).
 */
const CONTROL = /[\p{Cc}\p{Cs}]/u;

function checkRelayUrl(url: string): string {
  if (url.length === 0 || url.length > MAX_INVITE_RELAY_URL_CHARS) {
    throw badInvite(
      `invite relay URL must be 1 to ${MAX_INVITE_RELAY_URL_CHARS} characters, got ${url.length}`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInvite('invite relay is not a URL — it must look like wss://relay.example:8443');
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw badInvite(`invite relay must be a ws:// or wss:// URL, got ${parsed.protocol}//`);
  }
  if (parsed.hostname === '') throw badInvite('invite relay URL has no host');
  if (parsed.username !== '' || parsed.password !== '') {
    throw badInvite('invite relay URL must not contain a user name or password — use the token parameter');
  }
  if (CONTROL.test(url) || /[\s#]/.test(url)) {
    throw badInvite('invite relay URL contains spaces, control characters or a #fragment');
  }
  return url;
}

function checkToken(token: string): string {
  const bytes = utf8Length(token);
  if (bytes === 0 || bytes > MAX_TOKEN_BYTES) {
    throw badInvite(`invite relay token must be 1 to ${MAX_TOKEN_BYTES} bytes, got ${bytes}`);
  }
  if (CONTROL.test(token)) throw badInvite('invite relay token contains control characters');
  return token;
}

function checkFingerprint(fp: string): string {
  if (fp.length !== 64) {
    throw badInvite(`invite relay fingerprint must be 64 hex characters, got ${fp.length} characters`);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(fp)) {
    throw badInvite('invite relay fingerprint may contain only hex digits 0-9 and a-f');
  }
  return parseFingerprint(fp);
}

/** Checks the parts that only make sense together. */
function checkInviteShape(invite: Invite): void {
  if (
    invite.relayUrl === undefined &&
    (invite.relayFingerprint !== undefined || invite.relayToken !== undefined)
  ) {
    throw badInvite('invite has a relay fingerprint or token but no relay URL');
  }
  if (invite.relayFingerprint !== undefined && invite.relayUrl?.toLowerCase().startsWith('ws:')) {
    throw badInvite(
      'invite pins a relay fingerprint but its relay is ws://, which has no certificate to pin',
    );
  }
}

/**
 * Encodes an invite as a `clawbridge://join?invite=<code>&relay=…&fp=…&token=…` URL (parameters
 * percent-encoded, in that order, each only when set).
 * @throws ClawError(`BAD_INVITE`) for a part that parseInvite would refuse.
 */
export function encodeInvite(invite: Invite): string {
  checkInviteShape(invite);
  const code = parsePairCode(invite.code.text);
  const params = new URLSearchParams({ invite: code.text });
  if (invite.relayUrl !== undefined) params.set('relay', checkRelayUrl(invite.relayUrl));
  if (invite.relayFingerprint !== undefined) params.set('fp', checkFingerprint(invite.relayFingerprint));
  if (invite.relayToken !== undefined) params.set('token', checkToken(invite.relayToken));
  const text = `${INVITE_PREFIX}${params.toString()}`;
  if (text.length > MAX_INVITE_CHARS) {
    throw badInvite(`invite would be ${text.length} characters, the limit is ${MAX_INVITE_CHARS}`);
  }
  return text;
}

/** Known invite parameters and the Invite field each fills (`invite` is the code itself). */
const PARAMS = { relay: 'relayUrl', fp: 'relayFingerprint', token: 'relayToken', invite: 'code' } as const;

/**
 * Parses an invite URL, checking every part: scheme and path, the code, the relay URL (ws/wss), the
 * fingerprint (64 hex), the token, lengths, and no unknown or repeated parameters. Takes both
 * `clawbridge://join?invite=<code>&…` and the first form, `clawbridge://pair/<code>?…`.
 * @throws ClawError(`BAD_INVITE`) naming the problem, or ClawError(`BAD_PAIR_CODE`) for the code inside.
 */
export function parseInvite(text: string): Invite {
  const trimmed = text.trim();
  if (trimmed.length > MAX_INVITE_CHARS) {
    throw badInvite(`invite is ${trimmed.length} characters, the limit is ${MAX_INVITE_CHARS}`);
  }
  const lower = trimmed.toLowerCase();
  const legacy = lower.startsWith(LEGACY_INVITE_PREFIX);
  if (!legacy && !lower.startsWith(INVITE_PREFIX)) {
    throw badInvite(
      `invite must start with ${INVITE_PREFIX.slice(0, -1)} — paste the whole invite, or just the code`,
    );
  }
  const rest = trimmed.slice((legacy ? LEGACY_INVITE_PREFIX : INVITE_PREFIX).length);
  if (/[#\s]/.test(rest) || CONTROL.test(rest)) {
    throw badInvite('invite contains spaces, control characters or a #fragment — paste it exactly as given');
  }
  // The first form carries the code in the path and the rest in a query; the current one is all query.
  const queryAt = legacy ? rest.indexOf('?') : -1;
  const path = legacy && queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  let codeText = legacy ? legacyCode(path) : undefined;
  const query = !legacy ? rest : queryAt < 0 ? '' : rest.slice(queryAt + 1);
  const fields: Partial<Record<(typeof PARAMS)[keyof typeof PARAMS], string>> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (!Object.hasOwn(PARAMS, key) || (legacy && key === 'invite')) {
      // Shown in an error line, so only printable ASCII and bounded.
      const shown = key.replace(/[^\x20-\x7e]/g, '?').slice(0, 24);
      throw badInvite(
        `invite has an unknown parameter '${shown}' — update Clawbridge or ask for a new invite`,
      );
    }
    const field = PARAMS[key as keyof typeof PARAMS];
    if (fields[field] !== undefined) throw badInvite(`invite repeats the parameter '${key}'`);
    fields[field] = value;
  }
  codeText ??= fields.code;
  if (codeText === undefined) throw badInvite('invite has no code — it must carry invite=<code>');
  const invite: Invite = { code: parsePairCode(codeText) };
  if (fields.relayUrl !== undefined) invite.relayUrl = checkRelayUrl(fields.relayUrl);
  if (fields.relayFingerprint !== undefined)
    invite.relayFingerprint = checkFingerprint(fields.relayFingerprint);
  if (fields.relayToken !== undefined) invite.relayToken = checkToken(fields.relayToken);
  checkInviteShape(invite);
  return invite;
}

/** The code in a first-form invite's path (`clawbridge://pair/<code>`). */
function legacyCode(path: string): string {
  let codeText: string;
  try {
    codeText = decodeURIComponent(path);
  } catch {
    throw badInvite('invite code is not valid percent-encoding');
  }
  if (codeText.includes('/')) throw badInvite('invite path must be just the code, like /K7QX-M2RT-9WZA');
  return codeText;
}

/**
 * Accepts what a user pastes into "Join with code": an invite URL or a bare code.
 * @throws ClawError(`BAD_INVITE`) or ClawError(`BAD_PAIR_CODE`).
 */
export function parseCodeOrInvite(text: string): Invite {
  const trimmed = text.trim();
  return /^clawbridge:/i.test(trimmed) ? parseInvite(trimmed) : { code: parsePairCode(trimmed) };
}

/**
 * The relay's page at `fragment=CODE` (`http(s)://relay/#watch=CODE`: the fragment never reaches the
 * relay), from an invite's relay; undefined for a code met on the LAN only, which no page can meet.
 */
export function relayPageLink(invite: string, code: string, fragment: string): string | undefined {
  const relay = parseCodeOrInvite(invite).relayUrl;
  if (!relay) return undefined;
  const url = new URL(relay);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.hash = `${fragment}=${code}`;
  return url.toString();
}
