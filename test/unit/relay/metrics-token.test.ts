/**
 * GET /metrics behind the relay access token (relay/http-endpoints.ts) with tokens that are not plain
 * ASCII words: spaces inside, and UTF-8. The right token authorises, and a correct scrape never costs an
 * authentication attempt, so it cannot lock nodes on the same host out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { bearerToken } from '../../../src-main/relay/http-endpoints.js';
import type { RelayServer } from '../../../src-main/relay/server.js';
import { RawClient, startTestRelay, within } from '../../helpers/relay-harness.js';

/**
 * GET /metrics with `Authorization: <authorization>` sent as UTF-8 bytes, as curl sends what a shell
 * gives it (Node's client writes header strings as latin1, one byte per char: hence the re-encoding).
 */
function scrape(relay: RelayServer, authorization: string): Promise<number> {
  const header = Buffer.from(authorization, 'utf8').toString('latin1');
  return within(
    'GET /metrics',
    new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: relay.port, path: '/metrics', headers: { authorization: header } },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('error', reject);
      req.end();
    }),
  );
}

test('bearerToken: everything after "Bearer ", spaces and UTF-8 included', () => {
  const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer two words'), 'two words');
  assert.equal(bearerToken(latin1('Bearer pässwörd')), 'pässwörd');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

for (const token of ['two words', 'pässwörd ✓']) {
  test(`metrics token ${JSON.stringify(token)}: the right one authorises, every time, at no cost`, async () => {
    // A bucket of 3 attempts a minute: were correct scrapes charged, the 4th would be refused.
    const relay = await startTestRelay({
      token,
      metricsTokenRequired: true,
      limits: { authAttemptsPerMinute: 3 },
    });
    try {
      for (let i = 0; i < 6; i++) assert.equal(await scrape(relay, `Bearer ${token}`), 200, `scrape ${i}`);
      assert.equal(await scrape(relay, `Bearer ${token}x`), 401, 'a wrong token is still refused');
      assert.equal(await scrape(relay, `Bearer ${token.split(' ')[0]}`), 401, 'so is a prefix');
      const node = await RawClient.connect(relay.url);
      assert.equal((await node.next()).type, 'challenge', 'a node on the same host still gets in');
      node.ws.close();
      assert.match(await relay.metricsText(), /auth_failures_total\{reason="metrics_unauthorized"\} 2/);
    } finally {
      await relay.close();
    }
  });
}
