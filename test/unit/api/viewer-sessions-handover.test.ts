/**
 * Agent-owned terminal sessions across a restart (terminal/viewer-sessions.ts, terminal-handover.ts),
 * over in-memory viewers and a real terminal server: one run hands its sessions over and stops; the
 * next takes them up while the window's tabs take the same sessions up by the peer's ID. Each session
 * has one taker here: a take-up of a session already held attaches to it, never resumes it again (two
 * takers would each take the session from the other on the peer, for ever).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ViewerSessions } from '../../../src-main/terminal/viewer-sessions.js';
import { PEER_A, TerminalHarness } from '../terminal/terminal-fixtures.js';
import { until } from '../../helpers/wait.js';
import { MemoryViewer } from './memory-viewer.js';

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

function sessions(h: TerminalHarness): ViewerSessions {
  return new ViewerSessions({
    opener: () => ({ fingerprint: PEER_A, opener: h.opener }),
    resumeMs: () => 5_000,
    log: pino({ level: 'silent' }),
  });
}

/** A shell on the peer, opened as the window opens it; resolves with its PID and the peer's session ID. */
async function windowShell(vs: ViewerSessions, viewer: MemoryViewer) {
  const up = await vs.handlers['terminal.open']!({ peer: 'b', command: ['sh'], cols: 80, rows: 24 });
  up.attach(viewer);
  viewer.send({ type: 'data', data: Buffer.from('echo "pid:$$"\n') });
  const pid = await until('the shell says its PID', () => /pid:(\d+)/.exec(viewer.text)?.[1]);
  return { pid, session: up.result.session! };
}

/** `terminal.open` with `resume`, as a tab of a window that stayed open does after the restart. */
async function resumeAsTab(vs: ViewerSessions, session: string, viewer: MemoryViewer, offset: number) {
  const up = await vs.handlers['terminal.open']!({ peer: 'b', resume: session, offset, cols: 80, rows: 24 });
  up.attach(viewer);
  return up.result;
}

test(
  'a stop after the hand-over leaves the sessions to the peer; its viewers lose only their stream',
  { skip },
  async () => {
    const h = new TerminalHarness();
    const before = sessions(h);
    try {
      const win = new MemoryViewer(true);
      await windowShell(before, win);
      // A `term` session (no ACKs): not handed over, taken up by `term` itself by the peer's ID.
      const term = new MemoryViewer(false);
      const up = await before.handlers['terminal.open']!({ peer: 'b', command: ['sh'], cols: 80, rows: 24 });
      up.attach(term);
      assert.equal(before.handOver().length, 1, 'the window’s session');
      await before.closeAll('the agent here (a) is stopping; the session is hung up');
      assert.ok(win.closed && term.closed, 'win.closed && term.closed');
      assert.ok(
        [...win.frames, ...term.frames].every((f) => f.type !== 'error' && f.type !== 'exit'),
        'no last word: the viewers take the sessions up again',
      );
      // The peer keeps both for its resume window, waiting for a taker.
      await until('the peer sees the streams go', () => h.sessions.list().every((s) => !s.attached));
      assert.equal(h.sessions.size, 2);
    } finally {
      await before.closeAll();
      h.close();
    }
  },
);

test(
  'the window’s tab and the hand-over take the same session up: one session here, the same shell, no back and forth',
  { skip },
  async () => {
    const h = new TerminalHarness();
    const before = sessions(h);
    const after = sessions(h);
    try {
      const old = new MemoryViewer(true);
      const { pid, session } = await windowShell(before, old);
      const handed = before.handOver();
      await before.closeAll();

      // The next run takes the hand-over up; the open window's tab, refused by its old ID, asks by the peer's.
      after.takeUp(handed);
      const tab = new MemoryViewer(true);
      const r = await resumeAsTab(after, session, tab, old.received);
      const listed = after.list();
      assert.equal(listed.length, 1, JSON.stringify(listed));
      assert.equal(r.id, listed[0]!.id, 'the tab is on the session taken up');
      assert.equal(r.session, session);
      tab.send({ type: 'data', data: Buffer.from('echo "again:$$"\n') });
      await until('the same shell answers', () => tab.text.includes(`again:${pid}`));
      tab.send({ type: 'data', data: Buffer.from('echo "still:$$"\n') });
      await until('and goes on answering', () => tab.text.includes(`still:${pid}`));
      assert.ok(
        tab.frames.every((f) => f.type !== 'status' && f.type !== 'error'),
        `the session was never lost to another taker: ${JSON.stringify(tab.frames.filter((f) => f.type !== 'data'))}`,
      );
      assert.equal(after.list().length, 1);
      assert.equal(h.sessions.list()[0]?.attached, true);
    } finally {
      await after.closeAll();
      h.close();
    }
  },
);

test('two tabs taking the same session up at once share one session', { skip }, async () => {
  const h = new TerminalHarness();
  const before = sessions(h);
  const after = sessions(h);
  try {
    const old = new MemoryViewer(true);
    const { pid, session } = await windowShell(before, old);
    before.handOver();
    await before.closeAll();

    const one = new MemoryViewer(true);
    const two = new MemoryViewer(true);
    const [r1, r2] = await Promise.all([
      resumeAsTab(after, session, one, old.received),
      resumeAsTab(after, session, two, old.received),
    ]);
    assert.equal(r1.id, r2.id);
    assert.equal(after.list().length, 1);
    // The later viewer has it (as with any second window); the shell is the same.
    two.send({ type: 'data', data: Buffer.from('echo "again:$$"\n') });
    await until('the same shell answers', () => two.text.includes(`again:${pid}`));
    assert.equal(after.list().length, 1);
  } finally {
    await after.closeAll();
    h.close();
  }
});
