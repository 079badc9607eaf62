/**
 * What the domains add to `status` (cli/domain-cli.ts statusLines, ADR 0086): forwards says each port
 * this node listens on for a peer, in the words `status` always printed, a peer's name escaped; a
 * status without such ports adds nothing, and the lines come in the order of the domains' list.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusResult } from '../../../src-main/api/contract.js';
import { domainClis } from '../../../src-main/cli/domain-commands.js';

const status = (listeningForPeers?: StatusResult['listeningForPeers']): StatusResult => ({
  name: 'a',
  fingerprint: 'a'.repeat(64),
  listen: null,
  relays: [],
  peers: [],
  ...(listeningForPeers ? { listeningForPeers } : {}),
});

const DOMAIN_CLIS = await domainClis();
const linesOf = (s: StatusResult) => DOMAIN_CLIS.flatMap((d) => d.statusLines?.(s) ?? []);

test("the domains' status lines: the ports this node listens on for its peers", () => {
  assert.deepEqual(
    linesOf(
      status([
        { peer: 'b', peerFingerprint: 'b'.repeat(64), listen: '127.0.0.1:8080', protocol: 'tcp', open: 2 },
        {
          peer: 'c\u001b[2J',
          peerFingerprint: 'c'.repeat(64),
          listen: '127.0.0.1:5353',
          protocol: 'udp',
          open: 0,
        },
      ]),
    ),
    [
      'listening for b: 127.0.0.1:8080 (its reverse forward or share; 2 open)',
      'listening for c\\u{001b}[2J: 127.0.0.1:5353 (its reverse UDP forward)',
    ],
  );
  assert.deepEqual(linesOf(status()), []);
  assert.deepEqual(linesOf(status([])), []);
});
