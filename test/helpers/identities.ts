/** Identities for tests, generated once per process (P-256 key generation is cheap but not free). */
import { generateIdentity, type Identity } from '../../src-main/crypto/identity.js';

const cache = new Map<string, Promise<Identity>>();

export function testIdentity(label: string): Promise<Identity> {
  let p = cache.get(label);
  if (!p) {
    p = generateIdentity(`test ${label}`);
    cache.set(label, p);
  }
  return p;
}
