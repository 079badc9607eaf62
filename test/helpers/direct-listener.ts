/**
 * Identities a and b, with b listening for direct links on 127.0.0.1 (a random port): the links it
 * accepted and the fingerprints it refused are collected. With `admitAll` false it refuses everyone.
 */
import { listenDirect } from '../../src-main/transport/direct.js';
import type { Link } from '../../src-main/transport/link.js';
import { testIdentity } from './identities.js';

export async function directListener(admitAll = true) {
  const a = await testIdentity('a');
  const b = await testIdentity('b');
  const accepted: Link[] = [];
  const refused: string[] = [];
  const listener = await listenDirect({
    identity: b,
    host: '127.0.0.1',
    port: 0,
    admit: (fp) =>
      admitAll && fp === a.fingerprint
        ? undefined
        : { code: 'REMOVED', reason: `node ${fp.slice(0, 8)} is not a peer` },
    onLink: (l) => accepted.push(l),
    onRefused: (fp) => refused.push(fp),
  });
  return { a, b, listener, accepted, refused, address: `127.0.0.1:${listener.port}` };
}
