/**
 * A share's password (HTTP Basic; docs/security.md §Shared folders). A person chooses it and may use it
 * elsewhere too, so the saved record keeps a salted scrypt hash of it, never the password itself
 * (unlike a proxy's secret, which this node made up and shows back): the settings file can be read by
 * the owner's programs and lands in backups. A request's password is checked by hashing it with the
 * record's salt and comparing in constant time. Hashing costs tens of milliseconds on purpose, so
 * checks run one at a time per server (a flood of wrong guesses queues, it does not take every core)
 * and a password that passed is remembered (its SHA-256, in memory) for the next requests.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt's cost: N = 2^15, r = 8, p = 3 (32 MiB), one of the settings OWASP's password storage cheat
 * sheet lists as its minimum; about 0.1 s on one core.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 3, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** A saved hash: `scrypt$N$r$p$SALT$KEY`, salt and key in base64url. */
export const SHARE_PASSWORD_HASH =
  /^scrypt\$\d{1,8}\$\d{1,3}\$\d{1,3}\$[A-Za-z0-9_-]{16,64}\$[A-Za-z0-9_-]{32,128}$/;

/** Longest password accepted, in characters. */
export const MAX_SHARE_PASSWORD_CHARS = 256;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N: n, r, p, maxmem: SCRYPT.maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** The hash saved for `password`. */
export async function hashSharePassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/** Whether `password` is the one `hash` was made from (false for a malformed hash). */
export async function sharePasswordMatches(password: string, hash: string): Promise<boolean> {
  if (!SHARE_PASSWORD_HASH.test(hash)) return false;
  const [, n, r, p, salt, key] = hash.split('$') as [string, string, string, string, string, string];
  const want = Buffer.from(key, 'base64url');
  let got: Buffer;
  try {
    got = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  } catch {
    return false;
  }
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The password of an `Authorization: Basic …` header (the user name is ignored), or undefined. */
export function basicPassword(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^\s*basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** How many passwords that passed one checker remembers (the oldest forgotten first). */
const REMEMBERED = 16;

/** Checks requests' passwords against one saved hash: one scrypt at a time, passed ones remembered. */
export class PasswordCheck {
  private readonly passed = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly hash: string) {}

  check(password: string): Promise<boolean> {
    const digest = createHash('sha256').update(password, 'utf8').digest('base64');
    if (this.passed.has(digest)) return Promise.resolve(true);
    const result = this.queue.then(() => sharePasswordMatches(password, this.hash));
    this.queue = result.catch(() => undefined);
    return result.then((ok) => {
      if (ok) {
        this.passed.add(digest);
        if (this.passed.size > REMEMBERED) this.passed.delete(this.passed.values().next().value!);
      }
      return ok;
    });
  }
}
