/**
 * `--allow terminal,forward|none` parsing, shared by `approve`, `peers add` and `pair join`, and how a
 * peer's permissions and forward limits read in the CLI's output.
 */
import { ClawError } from '../core/errors.js';
import { PERMISSIONS, type Permission } from '../core/permissions.js';

export function parseAllow(input: string): Permission[] {
  const text = input.trim().toLowerCase();
  if (text === 'none' || text === '') return [];
  const out: Permission[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(PERMISSIONS as readonly string[]).includes(part)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `--allow: unknown permission '${part}'; use ${PERMISSIONS.join(', ')} or none`,
      );
    }
    if (!out.includes(part as Permission)) out.push(part as Permission);
  }
  return out;
}

export function parsePermission(input: string): Permission {
  const [p] = parseAllow(input);
  if (!p || input.includes(',')) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `permission must be one of ${PERMISSIONS.join(', ')}, got '${input}'`,
    );
  }
  return p;
}

export function describeAllow(allow: readonly Permission[]): string {
  return allow.length ? allow.join(', ') : 'nothing';
}

/** `to anywhere` or `only to a:1, b:2` for a peer's forward limits (`forwardTo`). */
export function describeLimits(forwardTo: readonly string[] | null): string {
  return forwardTo === null ? 'to anywhere' : `only to ${forwardTo.join(', ')}`;
}
