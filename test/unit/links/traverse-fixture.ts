/**
 * A `traverse` session (links/traversal.ts) whose far end is the test: lines go in with `say`, what the
 * session wrote is in `heard`. Its own candidates are one NAT that keeps ports behind 11.1.0.2, and it
 * makes no link (a punched link is not what these tests look at); `deps` overrides any of that.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { Identity } from '../../../src-main/crypto/identity.js';
import { TraverseSession, type TraversalState } from '../../../src-main/links/traversal.js';
import type { TraversalDeps } from '../../../src-main/links/traversal-deps.js';

export interface TraverseFixture {
  /** The stream the session reads and writes. */
  s: Duplex;
  session: TraverseSession;
  state: TraversalState;
  heard: Record<string, unknown>[];
  say(message: object): void;
}

/** `budget` stands for PeerLinkSet's per-peer limiter: each open (or new mapped address) takes one. */
export function traverseFixture(
  identity: Identity,
  coordinator: boolean,
  budget: { left: number },
  deps: Partial<TraversalDeps> = {},
): TraverseFixture {
  const heard: Record<string, unknown>[] = [];
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        heard.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const state = deps.state ?? { punchAttempts: 0 };
  const session = new TraverseSession(stream, coordinator, {
    identity,
    peerId: 'f'.repeat(64),
    own: {
      facts: () => ({ nat: 'preserves-port', mapped: false }),
      mappedAddress: () => undefined,
      publicHosts: () => ['11.1.0.2'],
      onChanged: () => () => undefined,
    },
    directUp: () => false,
    mayPunch: () => (budget.left > 0 ? (budget.left--, true) : false),
    attach: () => assert.fail('no link is made here'),
    learnMapped: () => undefined,
    changed: () => undefined,
    log: { debug: () => undefined, info: () => undefined },
    ...deps,
    state,
  });
  return { s: stream, session, state, heard, say: (m) => stream.push(`${JSON.stringify(m)}\n`) };
}
