/**
 * Both directions of trust (docs/protocol.md §Grants): after pairing, each side's `peers --json` shows
 * what the peer may do here (`allow`, its own setting) and what the peer lets it do there
 * (`theyAllow`, learned over the link), and a `peers allow`/`peers deny` on one side shows on the
 * other within seconds, on the same link.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, pairedAgents, peerOf, startRelay, stopAll } from '../helpers/processes.js';
import type { Permission } from '../../src-main/api/contract.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const sorted = (list: readonly Permission[] | null | undefined) => (list ? [...list].sort() : list);

/** Waits until `home`'s peer `name` shows `allow` and `theyAllow` as given. */
async function shows(home: string, name: string, allow: Permission[], theyAllow: Permission[]) {
  const want = JSON.stringify({ allow: sorted(allow), theyAllow: sorted(theyAllow) });
  let last = '';
  await until(
    `${name} on ${home} to show ${want}`,
    async () => {
      const p = await peerOf(home, name);
      last = JSON.stringify({ allow: sorted(p?.allow), theyAllow: sorted(p?.theyAllow) });
      return last === want;
    },
    30_000,
  ).catch((err: Error) => assert.fail(`${err.message}; last seen ${last}`));
}

test('after pairing each side shows both directions, and a change on one side shows on the other', async () => {
  const relay = await startRelay();
  // b joins with --allow terminal (what a may do on b); a approves with the default
  // terminal,forward,message.
  const { homeA, homeB } = await pairedAgents(relay.url, ['grants-a', 'grants-b'], 'terminal');
  const byDefault: Permission[] = ['terminal', 'forward', 'message'];
  await shows(homeA, 'b', byDefault, ['terminal']);
  await shows(homeB, 'a', ['terminal'], byDefault);
  const linkA = (await peerOf(homeA, 'b'))?.since;

  const allowed = await cli(['peers', 'allow', 'a', 'forward', '--home', homeB]);
  assert.equal(allowed.code, 0, allowed.stderr);
  await shows(homeA, 'b', byDefault, ['terminal', 'forward']);

  const denied = await cli(['peers', 'deny', 'b', 'terminal', '--home', homeA]);
  assert.equal(denied.code, 0, denied.stderr);
  await shows(homeB, 'a', ['terminal', 'forward'], ['forward', 'message']);

  // The text listing names both sides.
  const listed = await cli(['peers', '--home', homeB]);
  assert.match(listed.stdout, /ALLOWED HERE\s+ALLOWED THERE/);
  assert.match(listed.stdout, /terminal,forward\s+forward,message\s/);
  assert.equal((await peerOf(homeA, 'b'))?.since, linkA, 'news came over the same link');
});
