/**
 * A shared terminal between real agents (issue 85 item 1, docs/adr/0123-shared-terminals.md): A opens
 * a terminal on B and shares it with C, A's peer and not B's, whose only way out is the relay. C sees
 * A's screen as it is, then each new line, at A's terminal size (told first, then each time A resizes;
 * C's own size reaches nothing); what C types while it only watches reaches nothing on B
 * (a file its command would make is never made); switched to typing, its command runs and A sees it;
 * revoked, its view ends at once; B's audit log holds each join, switch and leave with who.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectControlSocket } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import { runInPty } from '../helpers/pty-run.js';
import {
  agentCall,
  cli,
  CLI,
  nodeId,
  peerOf,
  startAgent,
  startRelay,
  stopAll,
  tempHome,
} from '../helpers/processes.js';
import { addPeerAs } from './terminal-setup.js';
import { socketPipe, watchTerminal, type TestViewer } from '../helpers/terminal-viewer.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

/** C's view of share `share` over its control socket. */
async function joinShare(home: string, share: string): Promise<TestViewer & { leave(): void }> {
  const socket = await connectControlSocket(controlSocketPath(home), home);
  const joined = await requestStreamUpgrade(socket, 'terminal.join', { share, cols: 80, rows: 24 }).catch(
    (err: unknown) => {
      socket.destroy();
      throw err;
    },
  );
  return Object.assign(watchTerminal(socketPipe(socket), joined.rest), { leave: () => socket.destroy() });
}

/** B's `terminal-share` lines. */
async function shareLines(home: string): Promise<AuditEvent[]> {
  const { events } = await agentCall(home, 'audit.list', {});
  return events.filter((e) => e.kind === 'terminal-share');
}

test(
  'A shares its terminal on B with C: C watches, cannot type until switched, is revoked; B audits it',
  { skip, timeout: 240_000 },
  async () => {
    const relay = await startRelay();
    const [homeA, homeB, homeC] = [tempHome('share-a'), tempHome('share-b'), tempHome('share-c')];
    const [a, b, c] = await Promise.all([
      startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' }),
      startAgent(homeB, { name: 'b', relay: relay.url, listen: '127.0.0.1:0' }),
      // C reaches nobody but through the relay.
      startAgent(homeC, { name: 'c', relay: relay.url, listen: false }),
    ]);
    try {
      await Promise.all([
        addPeerAs(homeA, homeB, 'b'),
        addPeerAs(homeB, homeA, 'a'),
        addPeerAs(homeA, homeC, 'c'),
        addPeerAs(homeC, homeA, 'a'),
      ]);
      await until('a linked to b', async () => (await peerOf(homeA, 'b'))?.state === 'online');
      await until('a linked to c', async () => (await peerOf(homeA, 'c'))?.state === 'online');
      const dir = tempHome('share-files');
      const readOnly = join(dir, 'typed-while-watching');
      const typed = join(dir, 'typed-while-allowed');

      // A's terminal on B: a shell that says it is ready, then reads commands.
      const socketA = await connectControlSocket(controlSocketPath(homeA), homeA);
      const opened = await requestStreamUpgrade(socketA, 'terminal.open', {
        peer: 'b',
        command: ['sh', '-c', 'echo screen-before-join; exec sh'],
        cols: 80,
        rows: 24,
      });
      const viewA = watchTerminal(socketPipe(socketA), opened.rest);
      await until('A sees its shell', () => viewA.text.includes('screen-before-join'));

      const shared = await agentCall(homeA, 'terminal.share', { id: opened.result.id, with: ['c'] });
      assert.deepEqual(
        shared.viewers.map((v) => ({ name: v.name, write: v.write })),
        [{ name: 'c', write: false }],
        'C is in the share, watching only',
      );
      const listed = await agentCall(homeA, 'terminal.sessions', {});
      assert.equal(listed.sessions[0]?.share?.share, shared.share, "A's sessions show the share");
      const offered = await until('C is told of the share', async () =>
        (await agentCall(homeC, 'terminal.sessions', {})).offered.find((o) => o.share === shared.share),
      );
      assert.equal(offered.hostName, 'b', 'the share runs on b');
      assert.equal(offered.sharerName, 'a', 'a shared it');

      // C joins (its link to B comes up as a guest link through the relay) and sees the screen as it is.
      const first = await until('C joins', () => joinShare(homeC, shared.share));
      const joinedAt = Date.now();
      await until('C sees the screen as it was', () => first.text.includes('screen-before-join'));
      const screenMs = Date.now() - joinedAt;
      assert.ok(
        screenMs < 5_000,
        `the screen reached C ${screenMs} ms after it joined (1 s on an idle machine)`,
      );
      viewA.type('echo line-$((40+2))\r');
      await until('C sees the new line', () => first.text.includes('line-42'));

      // Sizes follow A's terminal: C is told the size before the screen, then each size A sets.
      const sizes = (v: TestViewer) =>
        v.frames.flatMap((f) => (f.type === 'resize' ? [`${f.cols}x${f.rows}`] : []));
      assert.deepEqual(sizes(first), ['80x24'], "C was told the size A's terminal opened at");
      assert.equal(first.frames[0]?.type, 'resize', 'before the screen');
      viewA.resize(100, 30);
      await until("C is told A's new size", () => sizes(first).includes('100x30'));
      assert.deepEqual(sizes(viewA), [], 'A, whose size it is, is told none');

      // Watching only: what C types goes nowhere, nor does its size. Its leave is audited once B has
      // read all it sent.
      first.resize(50, 10);
      first.type(`touch ${readOnly}\r`);
      first.leave();
      await until("C's leave audited on B", async () =>
        (await shareLines(homeB)).some((e) => e.kind === 'terminal-share' && e.event === 'leave'),
      );
      viewA.type('echo sync-$((1+1)) size-$(stty size | tr " " x)\r');
      await until('the shell took what came before', () => viewA.text.includes('sync-2'));
      assert.match(viewA.text, /size-30x100/, "B's terminal has A's size, not the one C sent");
      assert.equal(existsSync(readOnly), false, 'what C typed while watching ran nothing on B');
      assert.ok(!viewA.text.includes('typed-while-watching'), 'nor reached the shell as input');

      // Switched to typing: C's command runs, and A sees it.
      const second = await until('C joins again', () => joinShare(homeC, shared.share));
      await until('C sees the screen again', () => second.text.includes('sync-2'));
      const switched = await agentCall(homeA, 'terminal.share', {
        id: opened.result.id,
        with: ['c'],
        write: true,
      });
      assert.equal(switched.viewers[0]?.write, true, 'C may type now');
      second.type(`touch ${typed}; echo typed-by-c\r`);
      await until('what C typed ran on B', () => existsSync(typed));
      await until('A sees what C typed', () => viewA.text.includes('typed-by-c'));

      // `sessions join` in a terminal narrower than A's says so once, and sends no size of its own.
      const joinedInPty = runInPty(
        process.execPath,
        [CLI, 'sessions', 'join', shared.share, '--home', homeC],
        {
          cols: 60,
          timeoutMs: 90_000,
        },
      );
      await until("C's CLI joined", async () =>
        (await shareLines(homeB)).filter((e) => e.kind === 'terminal-share' && e.event === 'join').length ===
        3
          ? true
          : undefined,
      );

      // Revoked: C's views end at once, and it cannot come back.
      const viewers = await agentCall(homeA, 'terminal.viewers', { id: opened.result.id });
      assert.deepEqual(
        viewers.viewers.map((v) => [v.name, v.watching]),
        [['c', true]],
        'B says C is watching',
      );
      // `term shares` (issue 85's words for `sessions`' shared part) names the same viewer.
      const termShares = await cli(['term', 'shares', '--home', homeA]);
      assert.equal(termShares.code, 0, `term shares: ${termShares.stderr}`);
      const row = termShares.stdout.split('\n').find((l) => l.startsWith(opened.result.id));
      assert.match(
        row ?? '',
        new RegExp(`${shared.share}\\s+c \\(type\\)\\s*$`),
        `term shares lists C: ${termShares.stdout}`,
      );
      // An ID that names no session says where the IDs are, in the CLI's words.
      const unknown = await cli(['sessions', 'unshare', '0123456789abcdef', '--home', homeA]);
      assert.notEqual(unknown.code, 0, 'unsharing no session fails');
      assert.match(
        unknown.stderr,
        /no terminal session '0123456789abcdef' here: `clawbridge sessions` lists them/,
        `says where the IDs are: ${unknown.stderr}`,
      );
      const revokedAt = Date.now();
      await agentCall(homeA, 'terminal.revoke', { id: opened.result.id, viewer: 'c' });
      await until("C's view ended", () => second.closed);
      const shownInPty = await joinedInPty;
      assert.match(
        shownInPty,
        /the sharer's terminal is 100x30, yours is 60x30: lines will wrap/,
        `the CLI said A's terminal does not fit in its own: ${JSON.stringify(shownInPty)}`,
      );
      assert.equal(shownInPty.match(/the sharer's terminal is/g)?.length, 1, 'once');
      const endMs = Date.now() - revokedAt;
      assert.ok(endMs < 5_000, `C's view ended ${endMs} ms after the revoke (within 1 s on an idle machine)`);
      assert.deepEqual(
        second.frames.at(-1),
        { type: 'error', message: 'a stopped sharing this terminal with you' },
        'C is told why',
      );
      await assert.rejects(
        joinShare(homeC, shared.share),
        /shared terminal|no terminal shared/,
        'a revoked viewer cannot join again',
      );

      // B's audit log: each join, switch and leave, with who.
      const lines = await until('the last leave audited', async () => {
        const l = await shareLines(homeB);
        return l.filter((e) => e.kind === 'terminal-share' && e.event === 'leave').length >= 3
          ? l
          : undefined;
      });
      const idC = await nodeId(homeC);
      const idA = await nodeId(homeA);
      assert.deepEqual(
        lines.map((e) =>
          e.kind === 'terminal-share' ? [e.event, e.write, e.peer?.fingerprint, e.sharer] : [],
        ),
        [
          ['join', false, idC.fingerprint, idA.fingerprint],
          ['leave', false, idC.fingerprint, idA.fingerprint],
          ['join', false, idC.fingerprint, idA.fingerprint],
          ['switch', true, idC.fingerprint, idA.fingerprint],
          ['join', true, idC.fingerprint, idA.fingerprint],
          ['leave', true, idC.fingerprint, idA.fingerprint],
          ['leave', true, idC.fingerprint, idA.fingerprint],
        ],
        "B's audit log holds C's joins (the last from its CLI), its switch and its leaves, shared by A",
      );
      socketA.destroy();
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop(), relay.proc.stop()]);
    }
  },
);
