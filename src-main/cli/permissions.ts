/**
 * `--allow terminal,forward|none` parsing, shared by `approve`, `peers add` and `pair join`, and how a
 * peer's permissions and forward limits read in the CLI's output.
 */
import { domains } from '../app/domains.js';
import { ClawError } from '../core/errors.js';
import { permissionVocabulary, type Permission, type PermissionVocabulary } from '../core/permissions.js';

let vocabulary: PermissionVocabulary | undefined;
/** The words the domains bring (their contract pieces: no domain runs in a client command). */
function known(): PermissionVocabulary {
  return (vocabulary ??= permissionVocabulary(domains.map((d) => d.contract)));
}

/** What `approve`, `peers add` and `pair join` grant when --allow is not given. */
export function defaultAllow(): readonly Permission[] {
  return known().byDefault;
}

/**
 * `--allow`'s list: `none` alone for nothing, else permissions separated by commas. Empty is refused:
 * `--allow "$UNSET"` would otherwise grant nothing without a word.
 */
export function parseAllow(input: string): Permission[] {
  const text = input.trim().toLowerCase();
  const PERMISSIONS = known().words;
  const choices = `${PERMISSIONS.join(', ')}, or none alone`;
  if (text === 'none') return [];
  if (text === '') throw new ClawError('BAD_ARGUMENT', `--allow needs a list: ${choices}`);
  const out: Permission[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === 'none')
      throw new ClawError('BAD_ARGUMENT', `--allow: 'none' cannot be combined with permissions`);
    if (!(PERMISSIONS as readonly string[]).includes(part))
      throw new ClawError('BAD_ARGUMENT', `--allow: unknown permission '${part}'; use ${choices}`);
    if (!out.includes(part as Permission)) out.push(part as Permission);
  }
  return out;
}

/** One permission, as `peers allow|deny PEER PERMISSION` takes it. */
export function parsePermission(input: string): Permission {
  const p = input.trim().toLowerCase();
  const PERMISSIONS = known().words;
  if (!(PERMISSIONS as readonly string[]).includes(p)) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `unknown permission '${input}'; use one of ${PERMISSIONS.join(', ')}`,
    );
  }
  return p as Permission;
}

/** Every permission in words for help texts: `terminal, forward, relay, listen, message or files`. */
export function permissionWords(): string {
  const PERMISSIONS = known().words;
  return `${PERMISSIONS.slice(0, -1).join(', ')} or ${PERMISSIONS[PERMISSIONS.length - 1]}`;
}

/** Every permission as `--allow` takes a list of them: `terminal,forward,relay,listen,message,files`. */
export function permissionList(): string {
  return known().words.join(',');
}

export function describeAllow(allow: readonly Permission[]): string {
  return allow.length ? allow.join(', ') : 'nothing';
}

/** `on any loopback port` or `only on a:1, b:2` for a peer's reverse-forward limits (`listenOn`). */
export function describeListenLimits(listenOn: readonly string[] | null): string {
  return listenOn === null ? 'on any loopback port' : `only on ${listenOn.join(', ')}`;
}

/** `to anywhere` or `only to a:1, b:2` for a peer's forward limits (`forwardTo`). */
export function describeLimits(forwardTo: readonly string[] | null): string {
  return forwardTo === null ? 'to anywhere' : `only to ${forwardTo.join(', ')}`;
}
