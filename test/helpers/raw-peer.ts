/**
 * A peer driven by hand, for tests that attack a real agent over a real link: an identity the agent
 * trusts (the test adds it with `peers add`) dials the agent's direct listener on loopback (TLS 1.3,
 * pinned both ways), says hello on a control stream as any peer does, and is then a bare Mux the test
 * drives: it opens whatever streams it likes, as many at once as it likes, and answers the agent's
 * streams with `serve`. Runs in the test's process.
 */
import { ownHello } from '../../src-main/links/control-service.js';
import type { Identity } from '../../src-main/crypto/identity.js';
import { Mux, type MuxStream } from '../../src-main/mux/mux.js';
import type { StreamRequest } from '../../src-main/mux/types.js';
import { dialDirect } from '../../src-main/transport/direct.js';
import { cli, cliJson } from './processes.js';

export interface RawPeer {
  mux: Mux;
  /** Closes the link (the agent sees it go, as when a peer's network drops). */
  close(): void;
}

/**
 * Adds `identity` as peer `name` on the agent at `home` (with `allow`), then links to it.
 * @param serve answers the agent's streams other than its control stream (default: refused)
 */
export async function rawPeer(
  home: string,
  identity: Identity,
  opts: { name: string; allow: string; serve?: (req: StreamRequest) => void; features?: string[] },
): Promise<RawPeer> {
  const status = await cliJson<{ fingerprint: string; listen: string }>(['status', '--home', home]);
  const added = await cli([
    'peers',
    'add',
    identity.fingerprint,
    '--name',
    opts.name,
    '--allow',
    opts.allow,
    '--home',
    home,
  ]);
  if (added.code !== 0) throw new Error(`peers add failed: ${added.stderr}`);
  return linkRawPeer(identity, status.listen, status.fingerprint, opts.serve, opts.features);
}

/** Dials the agent at `address` (fingerprint `agent`) as `identity`: a new link, its Mux. */
export async function linkRawPeer(
  identity: Identity,
  address: string,
  agent: string,
  serve?: (req: StreamRequest) => void,
  /** What its hello says it can do (default: this build's features; an older node's list to play one). */
  features?: string[],
): Promise<RawPeer> {
  const link = await dialDirect({ identity, address, expectedPeer: agent });
  const mux = new Mux(link, {
    onStream: (req) => {
      if (req.service === 'control') {
        // The agent's hello: taken and drained, as a peer does.
        const s = req.accept();
        s.on('error', () => undefined);
        s.resume();
        return;
      }
      if (serve) return serve(req);
      req.reject('UNKNOWN_SERVICE', 'the raw peer offers nothing');
    },
  });
  const hello = ownHello('raw', [], undefined);
  const control = await mux.open('control', features ? { ...hello, features } : hello);
  control.on('error', () => undefined);
  control.resume();
  return { mux, close: () => mux.close('the raw peer left') };
}

/** Opens `count` streams to `service` at once; each is accepted (the stream) or refused (the error). */
export function openMany(
  mux: Mux,
  service: string,
  argsOf: (i: number) => unknown,
  count: number,
): Promise<PromiseSettledResult<MuxStream>[]> {
  return Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      mux.open(service, argsOf(i)).then((s) => {
        s.on('error', () => undefined);
        return s;
      }),
    ),
  );
}
