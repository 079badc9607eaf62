/**
 * A domain is a plug-in (docs/architecture.md §Adding a domain, ADR 0085, ADR 0093): a toy domain that
 * lives in its own folder (test/fixtures/toy-domain/) brings a method, a streaming method, an event, a
 * permission word, a notice kind, a section of the settings and a kind of audit record none of the
 * node's parts knows, and an agent that runs it — the list of app/domains.ts with the toy added, as
 * app/domains.ts would list it — answers the method, streams, pushes the event and the notice, takes
 * the word, saves its section in config.json (its change announced as its piece says) and writes and
 * reads back its audit record over the control socket, with nothing outside that folder changed. An
 * agent without the toy loads the saved word, says so, and grants it to nobody.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { domains } from '../../src-main/app/domains.js';
import { ControlClient, openControlStream } from '../../src-main/api/control-client.js';
import type { NoticeEvent } from '../../src-main/api/contract.js';
import type { StateChange } from '../../src-main/state/node-state.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { isClawError } from '../../src-main/core/errors.js';
import { toyDomain } from '../fixtures/toy-domain/toy-domain.js';
import type { ToySaid } from '../fixtures/toy-domain/toy-contract.js';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const overrides = { listen: '127.0.0.1:0', lan: false, ui: { listen: null, allowRemote: false } };
const PEER = 'a'.repeat(64);

test('a domain from its own folder brings a method, a streaming method, an event, a permission word and a notice kind, over the control socket', async () => {
  const home = tempHome('toy-domain');
  const running = await startAgent(home, {
    inProcess: {
      overrides,
      domainOptions: { terminals: { sessionHost: false } },
      notice: () => {},
      domains: [...domains, toyDomain],
    },
  });
  const changes: StateChange[] = [];
  running.agent.state.subscribe((c) => changes.push(c));
  try {
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      const said: string[] = [];
      const told: NoticeEvent[] = [];
      const off = client.onEvent((event, data) => {
        if (event === 'toy.said') said.push((data as ToySaid).text);
        if (event === 'notice') told.push(data as NoticeEvent);
      });
      // The method, its params checked by the toy's own schema.
      assert.deepEqual(await client.call('toy.say', { text: 'hello' }), {
        said: 'hello',
        by: running.agent.name,
      });
      await assert.rejects(
        client.call('toy.say', { text: '' }),
        (err: unknown) =>
          isClawError(err, 'BAD_ARGUMENT') && /invalid parameters for toy\.say/.test(String(err)),
      );
      // The streaming method: its reply, then the connection is its byte channel; its params checked by
      // the toy's own schema.
      const echo = await openControlStream(
        controlSocketPath(home),
        home,
        'toy.echo',
        { greeting: 'hi' },
        false,
      );
      try {
        assert.deepEqual(echo.result, { greeting: 'hi' });
        const heard: Buffer[] = [];
        echo.channel.onData((bytes) => heard.push(Buffer.from(bytes)));
        echo.channel.resume();
        echo.channel.write(Buffer.from('ping'));
        await until('the echo', () => Buffer.concat(heard).toString() === 'ping', 30_000);
      } finally {
        echo.channel.close();
      }
      await assert.rejects(
        openControlStream(controlSocketPath(home), home, 'toy.echo', { greeting: '' }, false),
        (err: unknown) =>
          isClawError(err, 'BAD_ARGUMENT') && /invalid parameters for toy\.echo/.test(String(err)),
      );
      // The event reaches a subscribed client.
      await until('the toy.said event', () => said.length === 1, 30_000);
      assert.deepEqual(said, ['hello']);
      // Its notice kind: the toy's piece sends it to the API's subscribers.
      await until('the toy notice', () => told.length === 1, 30_000);
      assert.deepEqual(told, [{ kind: 'toy', message: 'the toy said hello' }]);
      off();
      // The word: granted when adding a peer and by `peers allow`, kept in the settings file.
      const added = await client.call('peers.add', { fingerprint: PEER, name: 'pal', allow: ['toy'] });
      assert.deepEqual(added.allow, ['toy']);
      await client.call('peers.deny', { peer: 'pal', permission: 'toy' });
      const allowed = await client.call('peers.allow', { peer: 'pal', permission: 'toy' });
      assert.deepEqual(allowed.allow, ['toy']);
      await assert.rejects(
        client.call('peers.allow', { peer: 'pal', permission: 'nope' as 'toy' }),
        (err: unknown) => isClawError(err, 'BAD_ARGUMENT'),
      );
      const saved = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as {
        peers: { name: string; allow: string[] }[];
        toys: unknown;
      };
      assert.deepEqual(saved.peers.find((p) => p.name === 'pal')?.allow, ['toy']);
      // Its section: what `toy.say` kept, in config.json, announced as the toy's change kind.
      assert.deepEqual(saved.toys, [{ id: '1', text: 'hello' }]);
      assert.deepEqual(
        changes.filter((c) => c.kind === 'toy-said').map((c) => [c.id, c.after]),
        [['1', { id: '1', text: 'hello' }]],
      );
      // Its audit record, written by the toy and read back by the agent's own reader.
      const audit = await until(
        "the toy's audit record",
        async () => (await client.call('audit.list', {})).events.find((e) => e.kind === 'toy'),
        30_000,
      );
      assert.deepEqual([audit.what, 'length' in audit && audit.length], ['said hello', 5]);
    } finally {
      client.close();
    }
  } finally {
    await running.stop();
  }

  // Without the toy: the saved word loads, is kept and said, and its method is unknown.
  const notices: NoticeEvent[] = [];
  const plain = await startAgent(home, {
    inProcess: {
      overrides,
      domainOptions: { terminals: { sessionHost: false } },
      notice: (n) => notices.push(n),
    },
  });
  try {
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      const pal = (await client.call('peers.list', {})).find((p) => p.name === 'pal');
      assert.deepEqual(pal?.allow, ['toy'], 'kept as saved');
      await assert.rejects(
        client.call('toy.say', { text: 'hello' }),
        (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && /unknown method 'toy\.say'/.test(String(err)),
      );
      await assert.rejects(
        openControlStream(controlSocketPath(home), home, 'toy.echo', { greeting: 'hi' }, false),
        (err: unknown) => isClawError(err, 'BAD_ARGUMENT') && /unknown method 'toy\.echo'/.test(String(err)),
      );
    } finally {
      client.close();
    }
    assert.ok(
      notices.some((n) => /grants permissions this release does not know: toy/.test(n.message)),
      JSON.stringify(notices),
    );
  } finally {
    await plain.stop();
  }
});
