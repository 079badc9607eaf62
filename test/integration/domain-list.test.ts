/**
 * Domains are data (docs/architecture.md §Adding a domain): a domain added to the list an agent runs
 * is created with the node's context, answers its method through the real API handler (and the
 * control socket), pushes its events to subscribed clients, and has its parts started and stopped in
 * the node's order — without run-agent.ts or the API handler knowing its name.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { domains } from '../../src-main/app/domains.js';
import type { TerminalEvent } from '../../src-main/terminal/terminal-contract.js';
import { shareContract, type ShareInfo } from '../../src-main/share/share-contract.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { Emitter } from '../../src-main/core/emitter.js';
import { ClawError, isClawError } from '../../src-main/core/errors.js';
import type { DomainDescription } from '../../src-main/links/domain.js';
import { startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const overrides = { listen: '127.0.0.1:0', lan: false, ui: { listen: null, allowRemote: false } };

const fakeShare: ShareInfo = {
  name: 'from-the-fake',
  dir: '/nowhere',
  via: 'nobody',
  viaFingerprint: 'f'.repeat(64),
  listen: '127.0.0.1:1',
  url: 'http://127.0.0.1:1/',
  state: 'off',
  dotfiles: false,
  password: false,
  open: 0,
  connections: 0,
  bytesSent: 0,
  bytesReceived: 0,
};

test('a domain added to the list answers through the API and runs in the lifecycle, in order', async () => {
  const home = tempHome('domains');
  const steps: string[] = [];
  const terminalEvents = new Emitter<{ terminal: [TerminalEvent] }>();
  let nodeName: string | undefined;
  // Two fakes: the first stands in for share (its methods), the second only has a part.
  const first: DomainDescription = {
    name: 'fake-share',
    folder: 'share',
    contract: shareContract,
    create: (ctx) => {
      steps.push('create first');
      nodeName = ctx.name();
      return {
        parts: {
          beforeNode: [
            {
              name: 'first store',
              start: () => void steps.push('start first store'),
              stop: () => void steps.push('stop first store'),
            },
          ],
          afterNode: [
            {
              name: 'first dialer',
              start: () => void steps.push('start first dialer'),
              stop: () => void steps.push('stop first dialer'),
            },
          ],
        },
        handlers: { 'share.list': () => [fakeShare] },
        events: { terminal: (listener) => terminalEvents.on('terminal', listener) },
      };
    },
  };
  const second: DomainDescription = {
    name: 'fake-second',
    folder: 'fake-second',
    contract: {},
    create: () => {
      steps.push('create second');
      return {
        parts: {
          afterNode: [
            {
              name: 'second',
              start: () => void steps.push('start second'),
              stop: () => void steps.push('stop second'),
            },
          ],
        },
      };
    },
  };
  const list = [...domains.filter((d) => d.name !== 'share'), first, second];
  const running = await startAgent(home, {
    inProcess: {
      overrides,
      domainOptions: { terminals: { sessionHost: false } },
      notice: () => {},
      domains: list,
    },
  });
  let stopped = false;
  try {
    assert.equal(nodeName, running.agent.name, 'the context names the node');
    assert.deepEqual(steps, [
      'create first',
      'create second',
      'start first store',
      'start first dialer',
      'start second',
    ]);
    // Through the real handler, and through the control socket.
    assert.deepEqual(await running.api.call('share.list', {}), [fakeShare]);
    const client = await ControlClient.connect(controlSocketPath(home), home);
    try {
      assert.deepEqual(await client.call('share.list', {}), [fakeShare]);
    } finally {
      client.close();
    }
    // The fake's event reaches a subscribed client, beside the terminals domain's own source.
    const seen: TerminalEvent[] = [];
    const off = running.api.onEvent((event, data) => {
      if (event === 'terminal') seen.push(data as TerminalEvent);
    });
    terminalEvents.emit('terminal', { id: 'fake', state: 'closed' });
    await until("the fake domain's terminal event", () => seen.length === 1, 30_000);
    assert.equal(seen[0]!.id, 'fake');
    off();
    // The other domains' methods are still answered (terminals, forwards).
    assert.deepEqual(await running.api.call('terminal.list', {}), []);
    assert.deepEqual(await running.api.call('forward.list', {}), []);
    steps.length = 0;
    await running.stop();
    stopped = true;
    assert.deepEqual(steps, ['stop second', 'stop first dialer', 'stop first store']);
  } finally {
    if (!stopped) await running.stop();
  }
});

test('the list in app/domains.ts and the node answer every method the contract lists', async () => {
  const home = tempHome('domains-all');
  const running = await startAgent(home, {
    inProcess: {
      overrides,
      domainOptions: { terminals: { sessionHost: false } },
      notice: () => {},
    },
  });
  try {
    assert.deepEqual(
      running.api.contract.methodNames().filter((m) => !running.api.answers.has(m)),
      [],
      'methods no part answers',
    );
  } finally {
    await running.stop();
  }
});

test('a call whose store closes under it while the agent stops is answered NO_AGENT, not INTERNAL', async () => {
  const home = tempHome('domains-stopping');
  // A store that fails what waits on it when it closes, as the message logs do (record-log.ts).
  let failWaiting: ((err: Error) => void) | undefined;
  const store: DomainDescription = {
    name: 'closing-store',
    folder: 'share',
    contract: shareContract,
    create: () => ({
      parts: {
        beforeNode: [
          {
            name: 'store',
            stop: () => failWaiting?.(new ClawError('INTERNAL', 'inbox.log is closed')),
          },
        ],
      },
      handlers: {
        'share.list': () => new Promise<never>((_, reject) => (failWaiting = reject)),
      },
    }),
  };
  const running = await startAgent(home, {
    inProcess: {
      overrides,
      domainOptions: { terminals: { sessionHost: false } },
      notice: () => {},
      domains: [store],
    },
  });
  const answered = assert.rejects(running.api.call('share.list', {}), (err: unknown) => {
    assert.ok(isClawError(err, 'NO_AGENT'), String(err));
    assert.match(
      (err as Error).message,
      /the agent stopped before share\.list finished \(inbox\.log is closed\)/,
    );
    return true;
  });
  await until('the call to wait on the store', () => failWaiting !== undefined, 30_000);
  await running.stop();
  await answered;
});
