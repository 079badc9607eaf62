import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import {
  MAX_EVENT_BACKLOG,
  MAX_IN_FLIGHT_REQUESTS,
  REPLY_BACKLOG_HIGH_WATER,
  startControlServer,
  controlSocketAccess,
} from '../../../src-main/api/control-server.js';
import { ControlClient } from '../../../src-main/api/control-client.js';
import type { EventOptions } from '../../../src-main/api/contract.js';
import type { ServedApi } from '../../../src-main/api/contract-registry.js';
import { agentContract } from '../../helpers/agent-contract.js';
import { controlSocketPath } from '../../../src-main/home/home-dir.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { hintOf } from '../../../src-main/core/errors.js';
import { lineWithHint } from '../../../src-main/core/hint.js';
import { until, sleep } from '../../helpers/wait.js';

const handler: ServedApi = {
  contract: agentContract,
  call: (method, params) => Promise.resolve({ method, params } as never),
  onEvent: () => () => undefined,
};

function rawExchange(path: string, lines: string[], replies = lines.length): Promise<unknown[]> {
  return new Promise((resolve) => {
    const s = connect(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      buf += c;
      const got = buf.split('\n').filter(Boolean);
      if (got.length === replies) {
        s.end();
        resolve(got.map((l) => JSON.parse(l) as unknown));
      }
    });
    s.write(lines.join('\n') + '\n');
  });
}

test('bad requests get clear error replies and the socket keeps serving', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  const server = await startControlServer(path, handler);
  const replies = (await rawExchange(path, [
    '{oops',
    '{"id":1,"method":"nope"}',
    '{"id":2,"method":"peers.add","params":{"name":"x"}}',
    '{"id":3,"method":"status","params":{"extra":1}}',
    '{"id":4,"method":"status"}',
  ])) as { id: number | null; ok: boolean; error?: { message: string } }[];
  const byId = new Map(replies.map((r) => [r.id, r]));
  assert.match(byId.get(null)!.error!.message, /not valid JSON/);
  assert.equal(byId.get(1)!.error!.message, "unknown method 'nope'");
  assert.match(byId.get(2)!.error!.message, /invalid parameters for peers.add: fingerprint/);
  assert.match(byId.get(3)!.error!.message, /invalid parameters for status/);
  assert.equal(byId.get(4)!.ok, true);
  const client = await ControlClient.connect(path, home);
  assert.deepEqual(await client.call('peers.list', {}), { method: 'peers.list', params: {} });
  client.close();
  await server.close();
});

test('an id a request may not have is not sent back: null instead (a deep one used to end the agent)', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  const server = await startControlServer(path, handler);
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const replies = (await rawExchange(path, [
    `{"id":${deep},"method":"status"}`,
    '{"id":"x","method":"status"}',
    '{"id":-1,"method":"status"}',
    '{"id":{"a":1},"method":"nope"}',
    '{"id":5,"method":"status"}',
  ])) as { id: number | null; ok: boolean; error?: { code: string; message: string } }[];
  assert.deepEqual(
    replies.map((r) => [r.id, r.ok, r.error?.code]),
    [
      [null, false, 'BAD_ARGUMENT'],
      [null, false, 'BAD_ARGUMENT'],
      [null, false, 'BAD_ARGUMENT'],
      [null, false, 'BAD_ARGUMENT'],
      [5, true, undefined],
    ],
  );
  assert.match(replies[0]!.error!.message, /^malformed request: id: /);
  await server.close();
});

test('a client that sends its last request and closes its side still gets every reply, then the end', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  const server = await startControlServer(path, handler);
  const replies = await new Promise<string>((resolve) => {
    const s = connect(path);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (buf += c));
    s.on('end', () => resolve(buf));
    // The second request has no newline: the end of the input ends it.
    s.end('{"id":1,"method":"status","params":{}}\n{"id":2,"method":"peers.list","params":{}}');
  });
  assert.deepEqual(
    replies
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: number; ok: boolean }).id)
      .sort(),
    [1, 2],
  );
  await server.close();
});

test('no agent: one line with what to do', async () => {
  const home = tempDir('cb-ctl-');
  await assert.rejects(ControlClient.connect(controlSocketPath(home), home), (err: Error) => {
    const line = `no agent is running for ${home}: start one with \`clawbridge agent --home ${home}\` (or open the Clawbridge app)`;
    assert.equal(err.message, line);
    assert.equal(lineWithHint(err.message, hintOf(err)), line, 'the command where the sentence names it');
    return true;
  });
  // A home with a space: the command in the hint is quoted, so it works when pasted.
  const spaced = join(tempDir('cb-ctl-'), 'my home');
  await assert.rejects(ControlClient.connect(controlSocketPath(spaced), spaced), (err: Error) => {
    assert.ok(
      lineWithHint(err.message, hintOf(err)).includes(`\`clawbridge agent --home '${spaced}'\``),
      "lineWithHint(err.message, hintOf(err)).includes(`\\`clawbridge agent --home '${spaced}'\\``)",
    );
    return true;
  });
});

/** Resolves when `read()` has not changed for `quietMs` (or after `maxMs`), with its last value. */
async function settled(read: () => number, quietMs = 400, maxMs = 15_000): Promise<number> {
  const end = Date.now() + maxMs;
  let last = read();
  let since = Date.now();
  while (Date.now() < end) {
    await sleep(50, 'one sample of a quiet-period check');
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs) break;
  }
  return last;
}

function tempSocket(): { home: string; path: string } {
  const home = tempDir('cb-ctl-');
  return { home, path: controlSocketPath(home) };
}

test('a client that never reads its replies is not read either; once it reads, every reply comes in order', async () => {
  const REQUESTS = 20_000;
  const pad = 'x'.repeat(1024);
  let calls = 0;
  const counting: ServedApi = {
    contract: agentContract,
    call: () => {
      calls++;
      return Promise.resolve({ pad } as never);
    },
    onEvent: () => () => undefined,
  };
  const { path } = tempSocket();
  const server = await startControlServer(path, counting);
  const s = connect(path);
  s.pause(); // not reading
  let lines = '';
  for (let id = 1; id <= REQUESTS; id++) lines += JSON.stringify({ id, method: 'status', params: {} }) + '\n';
  s.write(lines);
  const handled = await settled(() => calls);
  // What the server may hand out: the in-flight limit, the reply backlog, and what the kernel and the
  // client's stream buffer hold (generously 2 MiB) — a few thousand ~1 KiB replies, not 20 000.
  const replyBytes = JSON.stringify({ id: REQUESTS, ok: true, result: { pad } }).length + 1;
  const bound = MAX_IN_FLIGHT_REQUESTS + Math.ceil((REPLY_BACKLOG_HIGH_WATER + 2 * 1024 * 1024) / replyBytes);
  assert.ok(handled < bound, `handled ${handled} requests of a client that reads nothing (bound ${bound})`);
  assert.ok(handled < REQUESTS / 4, 'handled < REQUESTS / 4');

  const ids: number[] = [];
  let buf = '';
  await new Promise<void>((resolve) => {
    s.setEncoding('utf8');
    s.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const reply = JSON.parse(buf.slice(0, nl)) as { id: number; ok: boolean };
        buf = buf.slice(nl + 1);
        assert.equal(reply.ok, true);
        ids.push(reply.id);
      }
      if (ids.length === REQUESTS) resolve();
    });
    s.resume();
  });
  assert.equal(calls, REQUESTS);
  assert.deepEqual(
    ids,
    Array.from({ length: REQUESTS }, (_, i) => i + 1),
  );
  s.destroy();
  await server.close();
});

test('at most MAX_IN_FLIGHT_REQUESTS requests of one connection are handled at once', async () => {
  let calls = 0;
  const gate: (() => void)[] = [];
  const slow: ServedApi = {
    contract: agentContract,
    call: () => {
      calls++;
      return new Promise((resolve) => gate.push(() => resolve({} as never)));
    },
    onEvent: () => () => undefined,
  };
  const { path } = tempSocket();
  const server = await startControlServer(path, slow);
  const total = MAX_IN_FLIGHT_REQUESTS * 3 + 5;
  const replies = rawExchange(
    path,
    Array.from({ length: total }, (_, i) => JSON.stringify({ id: i + 1, method: 'status', params: {} })),
  );
  assert.equal(await settled(() => calls, 200), MAX_IN_FLIGHT_REQUESTS);
  await until('every request called and let go', () => {
    gate.splice(0).forEach((release) => release());
    return calls >= total && gate.length === 0;
  });
  const got = (await replies) as { id: number; ok: boolean }[];
  assert.equal(got.length, total);
  assert.ok(
    got.every((r) => r.ok),
    'got.every((r) => r.ok)',
  );
  assert.deepEqual(
    got.map((r) => r.id),
    Array.from({ length: total }, (_, i) => i + 1),
  );
  await server.close();
});

test('a subscriber that never reads its events is disconnected, not buffered for without bound', async () => {
  let listener: ((event: 'changed', data: unknown) => void) | undefined;
  let disposed = false;
  const events: ServedApi = {
    contract: agentContract,
    call: () => Promise.resolve({} as never),
    onEvent: (l) => {
      listener = l as typeof listener;
      return () => {
        disposed = true;
        listener = undefined;
      };
    },
  };
  const { path } = tempSocket();
  const server = await startControlServer(path, events);
  const s = connect(path);
  s.on('error', () => undefined);
  s.pause(); // reads nothing
  s.write('"subscribe"\n');
  await until('the subscription to reach the events source', () => listener);
  const big = { blob: 'e'.repeat(64 * 1024) };
  let sent = 0;
  // 400 × 64 KiB = 25 MiB, three times the cap: the connection must be dropped well before.
  while (sent < 400 && listener) {
    listener('changed', big);
    sent++;
    if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.ok(disposed, `the server still buffers events for a client that reads none (${sent} sent)`);
  const capEvents = Math.ceil(MAX_EVENT_BACKLOG / (64 * 1024));
  assert.ok(sent <= capEvents + 64, `dropped only after ${sent} events of 64 KiB`);
  s.destroy();
  await server.close();
});

test('a connection that reads nothing does not hold up another one', async () => {
  const { path, home } = tempSocket();
  const server = await startControlServer(path, handler);
  const stuck = connect(path);
  stuck.pause();
  stuck.write(`${JSON.stringify({ id: 1, method: 'status', params: {} })}\n`.repeat(5000));
  const client = await ControlClient.connect(path, home);
  assert.deepEqual(await client.call('status', {}), { method: 'status', params: {} });
  client.close();
  stuck.destroy();
  await server.close();
});

test('the control socket is never opened to other users: 0600 on POSIX; on Windows the pipe is not widened to Everyone', () => {
  for (const platform of ['linux', 'darwin', 'freebsd'] as const) {
    assert.deepEqual(controlSocketAccess(platform), {
      listen: { readableAll: false, writableAll: false },
      mode: 0o600,
    });
  }
  // No file mode on a named pipe (chmod would fail there); readableAll/writableAll would add Everyone
  // to the pipe's DACL (libuv uv_pipe_chmod), so both stay off. docs/security.md says what remains.
  assert.deepEqual(controlSocketAccess('win32'), {
    listen: { readableAll: false, writableAll: false },
    mode: null,
  });
});

test('replies and events of one tick leave in one write, in order (a burst of 1,000 receipts is not 1,000 writes)', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  let push: ((event: string, data: unknown) => void) | undefined;
  const burst: ServedApi = {
    contract: agentContract,
    call: (method) => {
      // A burst of receipts, as a DELIVERED frame for 1,000 messages makes.
      if (method === 'peers.list') for (let i = 0; i < 1000; i++) push?.('message.state', { i });
      return Promise.resolve({ method } as never);
    },
    onEvent: (l) => {
      push = l as (event: string, data: unknown) => void;
      return () => (push = undefined);
    },
  };
  const server = await startControlServer(path, burst);
  const client = await ControlClient.connect(path, home);
  const got: number[] = [];
  client.onEvent((event, data) => {
    if (event === 'message.state') got.push((data as unknown as { i: number }).i);
  });
  await until('push !== undefined', () => push !== undefined);
  // Counted on this process's sockets: the server's writes happen here.
  const proto = (await import('node:net')).Socket.prototype as unknown as {
    write: (...args: unknown[]) => boolean;
  };
  const { write } = proto;
  let writes = 0;
  proto.write = function (this: unknown, ...args: unknown[]) {
    writes++;
    return write.apply(this, args);
  };
  try {
    await client.call('peers.list', {});
    await until('got.length >= 1000', () => got.length >= 1000);
  } finally {
    proto.write = write;
  }
  assert.deepEqual(
    got,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  // One for the request (the client's), then the events and the reply: one write, not 1,001.
  assert.ok(writes <= 3, `${writes} writes`);
  client.close();
  await server.close();
});

test('events.subscribe: the connection is subscribed with its options and told the form in effect; a bad one is refused; a later "subscribe" changes nothing (ADR 0059)', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  const subscriptions: (EventOptions | undefined)[] = [];
  const recording: ServedApi = {
    contract: agentContract,
    call: (method) => Promise.resolve({ method } as never),
    onEvent: (_l, options) => {
      subscriptions.push(options);
      return () => undefined;
    },
  };
  const server = await startControlServer(path, recording);
  const replies = (await rawExchange(
    path,
    [
      '{"id":1,"method":"events.subscribe","params":{"messageStates":"sometimes"}}',
      '{"id":2,"method":"events.subscribe","params":{"messageStates":"batched"}}',
      '"subscribe"',
      '{"id":3,"method":"events.subscribe","params":{"messageStates":"each"}}',
    ],
    3,
  )) as { id: number; ok: boolean; result?: unknown; error?: { message: string } }[];
  assert.deepEqual(
    replies.map((r) => [r.id, r.ok]),
    [
      [1, false],
      [2, true],
      [3, true],
    ],
  );
  assert.match(replies[0]!.error!.message, /messageStates is one of 'each', 'batched'/);
  // The form in effect names every option, those not given at their default.
  assert.deepEqual(replies[1]!.result, { messageStates: 'batched', messages: 'each' });
  assert.deepEqual(
    replies[2]!.result,
    { messageStates: 'batched', messages: 'each' },
    'already subscribed: the first form stays',
  );
  assert.deepEqual(subscriptions, [{ messageStates: 'batched' }], 'subscribed once, with the options');
  await server.close();
});

test('ControlClient.onEvent with two options: an agent that knows only the first (before ADR 0122) refuses the request with both and is subscribed by the one with the first; one that knows both takes the first request', async () => {
  for (const known of [['messageStates'], ['messageStates', 'messages']]) {
    const home = tempDir('cb-ctl-');
    const path = controlSocketPath(home);
    const subscriptions: (EventOptions | undefined)[] = [];
    const eventOptions = new Map(
      [...agentContract.eventOptions].filter(([option]) => known.includes(option)),
    );
    const agent: ServedApi = {
      contract: { ...agentContract, eventOptions },
      call: (method) => Promise.resolve({ method } as never),
      onEvent: (listener, options) => {
        subscriptions.push(options);
        listener('status', {} as never);
        return () => undefined;
      },
    };
    const server = await startControlServer(path, agent);
    const client = await ControlClient.connect(path, home);
    const events: string[] = [];
    client.onEvent((event) => void events.push(event), { messageStates: 'batched', messages: 'batched' });
    await until('events.length !== 0', () => events.length !== 0);
    // A call after the lines: answered once the agent handled them all.
    await client.call('status', {});
    assert.deepEqual(
      subscriptions,
      [known.length === 1 ? { messageStates: 'batched' } : { messageStates: 'batched', messages: 'batched' }],
      `an agent that knows ${known.join(' and ')}: subscribed once, with as many of the options as it knows`,
    );
    assert.deepEqual(events, ['status'], 'one subscription: each event once');
    client.close();
    await server.close();
  }
});

test('ControlClient.onEvent with messageStates batched: an agent that does not know the option refuses the request and is subscribed by the bare line', async () => {
  const home = tempDir('cb-ctl-');
  const path = controlSocketPath(home);
  // An older agent: every request line is an unknown method to it, "subscribe" subscribes.
  const seen: string[] = [];
  const older = createServer((s) => {
    s.setEncoding('utf8');
    let buf = '';
    s.on('data', (c: string) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        seen.push(line);
        if (line === '"subscribe"') s.write('{"event":"message.state","data":{"id":"x"}}\n');
        else {
          const { id } = JSON.parse(line) as { id: number };
          s.write(
            `${JSON.stringify({ id, ok: false, error: { code: 'BAD_ARGUMENT', message: "unknown method 'events.subscribe'" } })}\n`,
          );
        }
      }
    });
  });
  await new Promise<void>((r) => older.listen(path, r));
  const client = await ControlClient.connect(path, home);
  const events: string[] = [];
  client.onEvent((event) => void events.push(event), { messageStates: 'batched' });
  await until('events.length !== 0', () => events.length !== 0);
  assert.deepEqual(events, ['message.state']);
  assert.match(seen[0]!, /"method":"events.subscribe","params":\{"messageStates":"batched"\}/);
  assert.equal(seen[1], '"subscribe"');
  // The refused request is no error of the connection: a call still works (and is refused as any).
  await assert.rejects(client.call('status', {}), /unknown method/);
  client.close();
  await new Promise((r) => older.close(r));
});
