/**
 * Agent-owned terminal sessions (terminal/viewer-sessions.ts) over in-memory ViewerChannels and a real
 * terminal server: a CLI-style viewer (no ACKs) ends its session when it leaves; a window-style viewer
 * (ACKs) leaves the session running, and `terminal.attach` replays the scrollback, then goes live; a
 * viewer that does not acknowledge output pauses the remote program.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { UNACKED_HIGH_WATER } from '../../../src-main/terminal/sessions/terminal-flow.js';
import {
  SCROLLBACK_BYTES,
  ViewerSessions,
  type ViewerSessionsDeps,
} from '../../../src-main/terminal/viewer-sessions.js';
import { DETACHED_TERMINAL_IDLE_DEFAULT_MS } from '../../../src-main/terminal/terminal-settings.js';
import { PEER_A, TerminalHarness } from '../terminal/terminal-fixtures.js';
import { MemoryViewer } from './memory-viewer.js';
import { until, sleep } from '../../helpers/wait.js';
import { fakeClock } from '../../helpers/fake-clock.js';

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

function sessions(h: TerminalHarness, extra: Partial<ViewerSessionsDeps> = {}): ViewerSessions {
  return new ViewerSessions({
    opener: () => ({ fingerprint: PEER_A, opener: h.opener }),
    resumeMs: () => 5_000,
    log: pino({ level: 'silent' }),
    ...extra,
  });
}

/** Runs `body` on sessions over a fresh terminal server (with `extra` deps), then closes both. */
async function withSessions(
  body: (vs: ViewerSessions, h: TerminalHarness) => Promise<void>,
  extra: Partial<ViewerSessionsDeps> = {},
): Promise<void> {
  const h = new TerminalHarness();
  const vs = sessions(h, extra);
  try {
    await body(vs, h);
  } finally {
    await vs.closeAll();
    h.close();
  }
}

async function open(vs: ViewerSessions, command: string[], viewer: MemoryViewer) {
  const up = await vs.handlers['terminal.open']!({ peer: 'b', command, cols: 80, rows: 24 });
  up.attach(viewer);
  return up.result;
}

test('a viewer without ACKs (the CLI): output, exit status, and the session is gone', { skip }, async () => {
  await withSessions(async (vs) => {
    const v = new MemoryViewer(false);
    const r = await open(vs, ['sh', '-c', 'echo hi; exit 3'], v);
    assert.match(r.id, /^[0-9a-f]{16}$/);
    await until('exit', () => v.closed);
    assert.equal(v.text, 'hi\r\n');
    assert.deepEqual(v.last, { type: 'exit', status: { code: 3 } });
    assert.deepEqual(vs.list(), []);
  });
});

test('a CLI viewer that leaves hangs its session up', { skip }, async () => {
  await withSessions(async (vs, h) => {
    const events: string[] = [];
    vs.events.on('terminal', (e) => events.push(e.state));
    const v = new MemoryViewer(false);
    await open(vs, ['sh', '-c', 'echo ready; sleep 30'], v);
    await until('output', () => v.text.includes('ready'));
    v.close();
    assert.deepEqual(vs.list(), []);
    assert.deepEqual(events, ['connected', 'closed']);
    await until('the served session to end', () => h.sessions.size === 0);
  });
});

test(
  'a window viewer leaves; the session keeps running; attach replays the scrollback, then live',
  { skip },
  async () => {
    await withSessions(async (vs) => {
      const events: string[] = [];
      vs.events.on('terminal', (e) => events.push(e.state));
      const first = new MemoryViewer(true);
      const { id } = await open(
        vs,
        ['sh', '-c', 'echo one; sleep 0.3; echo two; read x; echo "got $x"; exit 0'],
        first,
      );
      await until('first output', () => first.text.includes('one'));
      first.close();
      assert.deepEqual(
        vs.list().map((s) => ({ id: s.id, state: s.state, attached: s.attached, path: s.path })),
        [{ id, state: 'connected', attached: false, path: 'direct' }],
      );
      // Output while nobody watches goes to the scrollback (and is consumed: the program goes on).
      await sleep(600, 'the program prints "two" 0.3 s on, with no viewer to see it arrive');
      const second = new MemoryViewer(true);
      const up = await vs.handlers['terminal.attach']!({ id, cols: 100, rows: 30 });
      assert.equal(up.result.state, 'connected');
      assert.ok(
        up.result.replayBytes >= 'one\r\ntwo\r\n'.length,
        "up.result.replayBytes >= 'one\\r\\ntwo\\r\\n'.length",
      );
      up.attach(second);
      assert.equal(second.frames[0]?.type, 'session', 'an acknowledging viewer learns where it starts');
      assert.equal((second.frames[0] as { offset: number }).offset, 0);
      await until('replay', () => second.text.includes('two'));
      assert.ok(second.text.startsWith('one\r\ntwo\r\n'), JSON.stringify(second.text));
      second.send({ type: 'data', data: Buffer.from('hello\r') });
      await until('exit', () => second.closed);
      assert.match(second.text, /got hello/);
      assert.deepEqual(second.last, { type: 'exit', status: { code: 0 } });
      assert.deepEqual(events, ['connected', 'exited']);
      // An ended session stays listed for a while, so a reloaded page sees how it ended.
      assert.deepEqual(vs.list()[0]?.exit, { code: 0 });
      assert.equal(vs.close(id).id, id);
      assert.deepEqual(vs.list(), []);
    });
  },
);

test(
  'a window whose connection dropped re-attaches from what it showed: nothing twice, nothing lost',
  { skip },
  async () => {
    await withSessions(async (vs) => {
      const first = new MemoryViewer(true);
      const { id } = await open(vs, ['sh', '-c', 'echo one; sleep 0.3; echo two; sleep 30'], first);
      await until('first output', () => first.text.includes('one'));
      first.close();
      const shown = first.received;
      assert.ok(shown > 0, 'shown > 0');
      await until('output while detached', () => (vs.list()[0]?.attached === false ? true : false));
      await sleep(600, 'the program prints "two" 0.3 s on, with no viewer to see it arrive');
      // No viewer ever saw an offset beyond the output: such an ask is refused, not served as empty.
      await assert.rejects(vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24, from: 1e9 }), {
        code: 'BAD_ARGUMENT',
      });
      const second = new MemoryViewer(true);
      const up = await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24, from: shown });
      assert.equal(up.result.offset, shown);
      assert.equal(up.result.replayBytes, 'two\r\n'.length);
      up.attach(second);
      assert.deepEqual(second.frames[0], {
        type: 'session',
        id: (second.frames[0] as { id: string }).id,
        offset: shown,
      });
      await until('the missed output', () => second.text.includes('two'));
      assert.equal(second.text, 'two\r\n');
      assert.equal(first.text + second.text, 'one\r\ntwo\r\n');
    });
  },
);

test(
  'a window session nobody views is hung up after the idle time; a viewer coming back stops the clock',
  { skip },
  async () => {
    const clock = fakeClock(1_000_000);
    const idle = { detachedIdleMs: () => DETACHED_TERMINAL_IDLE_DEFAULT_MS, timers: clock };
    await withSessions(async (vs, h) => {
      const events: { state: string; message?: string }[] = [];
      vs.events.on('terminal', (e) =>
        events.push({ state: e.state, ...(e.message ? { message: e.message } : {}) }),
      );
      const first = new MemoryViewer(true);
      const { id } = await open(vs, ['sh', '-c', 'echo ready; sleep 30'], first);
      await until('output', () => first.text.includes('ready'));
      assert.equal(clock.pending(), 0, 'no clock while a viewer is attached');
      first.close();
      assert.equal(clock.pending(), 1);
      // The window comes back within the idle time: the session is its again, the clock stopped.
      const second = new MemoryViewer(true);
      (await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24 })).attach(second);
      assert.equal(clock.pending(), 0);
      second.close();
      assert.equal(await clock.runNext(), DETACHED_TERMINAL_IDLE_DEFAULT_MS);
      assert.deepEqual(vs.list(), []);
      assert.deepEqual(events.at(-1), {
        state: 'closed',
        message: 'hung up after 24 h with no window or term attached',
      });
      await until('the served session to end', () => h.sessions.size === 0);
    }, idle);
  },
);

test('a second viewer takes the session over; the first is told why', { skip }, async () => {
  await withSessions(async (vs) => {
    const first = new MemoryViewer(true);
    const { id } = await open(vs, ['sh', '-c', 'echo one; sleep 30'], first);
    await until('output', () => first.text.includes('one'));
    const second = new MemoryViewer(true);
    (await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24 })).attach(second);
    assert.ok(first.closed, 'first.closed');
    assert.deepEqual(first.last, { type: 'error', message: 'this terminal was opened in another window' });
    assert.equal(vs.list()[0]?.attached, true);
    await assert.rejects(vs.handlers['terminal.attach']!({ id: 'f'.repeat(16), cols: 80, rows: 24 }), {
      code: 'BAD_ARGUMENT',
    });
  });
});

/**
 * A viewer that cannot take more output holds the remote program back, whichever way it says so: the
 * output stops (nothing arrives within a window) short of the end, and once the viewer goes on the
 * program runs to its end with all its output delivered.
 */
const heldBack: {
  name: string;
  viewer(): MemoryViewer;
  /** Bytes the program prints. */
  total: number;
  /** What shows the output reached the viewer before it stopped. */
  started: [what: string, check: (v: MemoryViewer) => boolean];
  /** How long nothing more may arrive, in ms. */
  windowMs: number;
  /** Lets the output go on; returns what ends that. */
  goOn(v: MemoryViewer): () => void;
}[] = [
  {
    name: 'a window viewer that does not acknowledge output pauses the remote program',
    viewer: () => new MemoryViewer(true, false),
    total: 3_000_000,
    started: ['a first megabyte', (v) => v.received >= UNACKED_HIGH_WATER],
    windowMs: 300,
    // Drawing resumes: acknowledge as it comes.
    goOn(v) {
      const timer = setInterval(() => v.ack(), 5);
      return () => clearInterval(timer);
    },
  },
  {
    name: 'a channel above its high-water mark stops the output until it drains',
    viewer() {
      const v = new MemoryViewer(false);
      v.full = true;
      return v;
    },
    total: 2_000_000,
    started: ['some output', (v) => v.received > 0],
    windowMs: 200,
    goOn(v) {
      v.drain();
      return () => undefined;
    },
  },
];

for (const c of heldBack) {
  test(c.name, { skip }, async () => {
    await withSessions(async (vs) => {
      const v = c.viewer();
      await open(vs, ['sh', '-c', `yes | head -c ${c.total}; exit 0`], v);
      await until(c.started[0], () => c.started[1](v));
      await sleep(300, 'what was in flight when the viewer stopped taking output arrives');
      const stalled = v.received;
      await sleep(c.windowMs, 'nothing more may arrive within this window');
      assert.equal(v.received, stalled, 'no output while the viewer takes none');
      assert.ok(stalled < c.total, `stalled at ${stalled}`);
      const stop = c.goOn(v);
      try {
        await until('exit', () => v.closed, 20_000);
      } finally {
        stop();
      }
      assert.deepEqual(v.last, { type: 'exit', status: { code: 0 } });
      assert.ok(v.received >= c.total, `${v.received} of ${c.total} bytes`);
    });
  });
}

test('an ACK beyond what was sent is a protocol error: the viewer is let go', { skip }, async () => {
  await withSessions(async (vs) => {
    const v = new MemoryViewer(true);
    await open(vs, ['sh', '-c', 'echo one; sleep 30'], v);
    await until('output', () => v.text.includes('one'));
    v.send({ type: 'ack', offset: 1_000_000 });
    assert.ok(v.closed, 'v.closed');
    assert.equal(v.last?.type, 'error');
    assert.match((v.last as { message: string }).message, /^bad terminal frame from the viewer: ACK/);
    assert.equal(vs.list()[0]?.attached, false, 'the session itself keeps running');
  });
});

test(
  're-attach after more than the scrollback: the last SCROLLBACK_BYTES, numbered from where they start',
  { skip },
  async () => {
    await withSessions(async (vs) => {
      const first = new MemoryViewer(true);
      const script = "read x; head -c 409600 /dev/zero | tr '\\0' x; read y";
      const { id } = await open(vs, ['sh', '-c', script], first);
      first.close();
      // The session is detached now; its input comes through a second attach.
      const typist = new MemoryViewer(true);
      (await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24 })).attach(typist);
      typist.send({ type: 'data', data: Buffer.from('go\r') });
      await until('the output', () => typist.received >= 409600);
      typist.close();
      // A viewer that showed bytes the scrollback no longer holds gets what it still holds, and an
      // offset other than it asked for: it starts over from a clean screen.
      const behind = await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24, from: 0 });
      assert.ok(behind.result.offset > 0, 'behind.result.offset > 0');
      assert.equal(behind.result.replayBytes, SCROLLBACK_BYTES);
      const third = new MemoryViewer(true);
      const up = await vs.handlers['terminal.attach']!({ id, cols: 80, rows: 24 });
      assert.equal(up.result.replayBytes, SCROLLBACK_BYTES);
      assert.equal(up.result.offset, behind.result.offset);
      up.attach(third);
      const session = third.frames[0] as { type: string; offset: number };
      assert.equal(session.type, 'session');
      assert.ok(session.offset > 0, 'session.offset > 0');
      assert.equal(
        session.offset + SCROLLBACK_BYTES,
        third.received,
        'the replay ends where the output ends',
      );
      third.send({ type: 'data', data: Buffer.from('end\r') });
      await until('exit', () => third.closed);
      assert.deepEqual(third.last, { type: 'exit', status: { code: 0 } });
    });
  },
);

test(
  'an agent that restarted takes up a session its predecessor opened, by the peer ID, from the viewer’s offset',
  { skip },
  async () => {
    const h = new TerminalHarness();
    // The first agent: killed below, after which it never reaches the peer again (it is gone).
    let killed = false;
    const first = new ViewerSessions({
      opener: () => ({
        fingerprint: PEER_A,
        opener: {
          peerName: 'b',
          open: (args) => (killed ? new Promise(() => undefined) : h.opener.open(args)),
          whenReachable: (ms) => (killed ? new Promise(() => undefined) : h.opener.whenReachable(ms)),
        },
      }),
      resumeMs: () => 5_000,
      log: pino({ level: 'silent' }),
    });
    const second = sessions(h);
    try {
      const v1 = new MemoryViewer(false);
      const r = await open(first, ['sh', '-c', 'echo one; sleep 0.4; echo two; sleep 30'], v1);
      assert.match(r.session ?? '', /^[0-9a-f]{32}$/);
      await until('first output', () => v1.text === 'one\r\n');
      killed = true;
      h.breakLink();
      h.connect();
      const v2 = new MemoryViewer(true);
      const offset = Buffer.byteLength(v1.text);
      const up = await second.handlers['terminal.open']!({
        peer: 'b',
        resume: r.session,
        offset,
        cols: 80,
        rows: 24,
      });
      up.attach(v2);
      assert.equal(up.result.session, r.session);
      // The window's numbering goes on from the offset: SESSION says where its first byte is.
      assert.deepEqual(v2.frames[0], { type: 'session', id: r.session, offset });
      await until('the rest of the output', () => v2.text === 'two\r\n');
      // An ID the peer does not know (or another node's) is refused in the peer's words.
      await assert.rejects(
        second.handlers['terminal.open']!({
          peer: 'b',
          resume: 'f'.repeat(32),
          offset: 0,
          cols: 80,
          rows: 24,
        }),
        /b no longer has this terminal session/,
      );
    } finally {
      await second.closeAll();
      h.close();
    }
  },
);
