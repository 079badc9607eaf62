/**
 * `clawbridge sessions join CODE` (issue 85, docs/adr/0123-shared-terminals.md §Link): a terminal
 * shared by link, watched from a terminal with no agent. Real agents A and B and a relay; A opens a
 * terminal on B and shares it with `--link`; the CLI joiner, in a real PTY as a person runs it, is
 * given the link A printed and sees A's screen, then each new line. What it types reaches nothing on
 * B (read-only). The relay restarting under it cuts its view: it says it reconnects, and shows the
 * screen again. After `sessions unshare` it ends saying why; the code is refused afterwards; B and A
 * keep no peer of it and nothing is written to a home. A wrong code ends the link; a code alone needs
 * a relay; a relay that cannot be reached is said so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn as spawnPty, type IPty } from 'node-pty';
import {
  agentCall,
  CLI,
  cli,
  nodeId,
  startRelay,
  stopAll,
  tempHome,
  type RelayProc,
} from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { readyShellOnB, shareByLink, wrongCodeFor } from '../helpers/link-shares.js';
import { until } from '../helpers/wait.js';
import { startPair } from './terminal-setup.js';

const skip = process.platform === 'win32' ? 'POSIX terminals' : false;

let relay: RelayProc;
let homeA = '';
let homeB = '';

before(async () => {
  if (skip) return;
  // A and B, peers linked directly; the joiner reaches B only through the relay.
  ({ relay, homeA, homeB } = await startPair({ relayOnly: false }));
});

after(stopAll);

/** `sessions join ARG` in a PTY of its own, with a home that does not exist (it must stay so). */
function joinInPty(arg: string, home: string): { pty: IPty; seen(): string; exited: Promise<number> } {
  const pty = spawnPty(process.execPath, [CLI, 'sessions', 'join', arg], {
    cols: 100,
    rows: 30,
    env: { ...process.env, CLAWBRIDGE_HOME: home },
  });
  let seen = '';
  pty.onData((d) => (seen += d));
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  return { pty, seen: () => seen, exited };
}

test(
  'sessions join LINK watches in this terminal, read-only, through a relay restart, until unshared',
  { skip, timeout: 300_000 },
  async () => {
    const dir = tempHome('join-files');
    const typed = join(dir, 'typed-by-the-joiner');
    const noHome = join(dir, 'no-home-here');
    const { id, view } = await readyShellOnB(homeA);
    const r = await shareByLink(homeA, id);
    const joiner = joinInPty(r.link, noHome);
    try {
      await until('the joiner sees the screen as it was', () => joiner.seen().includes('screen-before-42'));
      assert.match(
        joiner.seen(),
        /watching a's terminal on b \(read-only\) as link viewer [0-9a-f]{4} [0-9a-f]{4}/,
        'it says whose terminal it watches, read-only, and its name in the share',
      );
      view.type('echo line-$((40+2))\r');
      await until('the joiner sees the new line', () => joiner.seen().includes('line-42'));

      // A lists it as any viewer; it is nobody's peer.
      const viewer = await until('A lists the joiner as watching', async () => {
        const v = await agentCall(homeA, 'terminal.viewers', { id });
        return v.viewers.find((x) => x.watching);
      });
      assert.match(viewer.name, /^link viewer /, `named as a link viewer: ${viewer.name}`);
      assert.equal(viewer.write, false, 'watching only');

      // Read-only: what it types reaches nothing on B.
      joiner.pty.write(`touch ${typed}\r`);
      view.type('echo sync-$((1+1))\r');
      await until('the joiner sees the sync line', () => joiner.seen().includes('sync-2'));
      assert.equal(existsSync(typed), false, 'what the joiner typed ran nothing on B');
      assert.ok(!view.text.includes('typed-by-the-joiner'), 'nor reached the shell as input');

      // The relay restarts under it: its view is cut, it joins again as the same viewer, and the
      // screen comes back replayed.
      const before = joiner.seen().length;
      await relay.proc.stop();
      relay = await startRelay(relay.port);
      await until(
        'the joiner says it reconnects',
        () => /reconnecting\.\.\./.test(joiner.seen().slice(before)),
        60_000,
      );
      await until(
        'the joiner is back, the screen replayed',
        () => /reconnected to b[^]*line-42/.test(joiner.seen().slice(before)),
        90_000,
      );
      view.type('echo after-$((2+3))\r');
      await until('the joiner sees new lines again', () => joiner.seen().includes('after-5'), 60_000);

      // Unshared (`term unshare`, the issue's words; the e2e test uses `sessions unshare`): it ends
      // saying why, well before any timeout would.
      const stoppedAt = Date.now();
      const unshare = await cli(['term', 'unshare', id, '--home', homeA]);
      assert.equal(unshare.code, 0, `unshare: ${unshare.stderr}`);
      assert.match(unshare.stdout, new RegExp(`terminal ${id} is no longer shared`));
      const code = await joiner.exited;
      const endedMs = Date.now() - stoppedAt;
      assert.ok(endedMs < 15_000, `the joiner ended ${endedMs} ms after unshare (about 1 s when idle)`);
      assert.notEqual(code, 0, 'it exits with a failure status');
      assert.match(joiner.seen(), /a stopped sharing this terminal/, 'it says the share ended');

      // The code is spent; nobody kept anything of the joiner.
      const again = await cli(['sessions', 'join', r.link]);
      assert.notEqual(again.code, 0, 'the code is refused afterwards');
      assert.match(again.stderr, /code invalid or expired/, again.stderr);
      const idA = await nodeId(homeA);
      const idB = await nodeId(homeB);
      const peersB = await agentCall(homeB, 'peers.list', {});
      assert.deepEqual(
        peersB.map((p) => p.fingerprint),
        [idA.fingerprint],
        'B keeps no peer of the joiner',
      );
      const peersA = await agentCall(homeA, 'peers.list', {});
      assert.deepEqual(
        peersA.map((p) => p.fingerprint),
        [idB.fingerprint],
        'nor does A',
      );
      assert.equal(existsSync(noHome), false, 'the joiner wrote no home');
    } finally {
      joiner.pty.kill('SIGKILL');
    }
  },
);

test(
  'sessions join CODE: a wrong code ends the link; a code alone needs a relay; an unreachable relay is said so',
  { skip, timeout: 180_000 },
  async () => {
    const { id } = await readyShellOnB(homeA);
    const r = await shareByLink(homeA, id);
    const wrong = wrongCodeFor(r.code);
    const tried = await cli(['sessions', 'join', wrong, '--relay', relay.url]);
    assert.notEqual(tried.code, 0, 'a wrong code fails');
    assert.match(
      tried.stderr,
      /the code was wrong .* one try per code, so that link has ended/,
      tried.stderr,
    );
    const late = await cli(['sessions', 'join', r.link]);
    assert.match(late.stderr, /code invalid or expired/, `the right code after it: ${late.stderr}`);

    const short = await cli(['sessions', 'join', 'K7QX-M2RT', '--relay', relay.url]);
    assert.notEqual(short.code, 0, 'a malformed code fails');
    assert.match(
      short.stderr,
      /the share code must be 12 characters \(like K7QX-M2RT-9WZA\), got 8/,
      `named as the share code it is, not a pairing's: ${short.stderr}`,
    );

    const bare = await cli(['sessions', 'join', r.code]);
    assert.notEqual(bare.code, 0, 'a code alone without --relay fails');
    assert.match(bare.stderr, /a code alone names no relay: give the whole link/, bare.stderr);

    const closed = await freePort();
    const away = await cli(['sessions', 'join', r.code, '--relay', `ws://127.0.0.1:${closed}`], 60_000);
    assert.notEqual(away.code, 0, 'an unreachable relay fails');
    assert.match(away.stderr, new RegExp(`127\\.0\\.0\\.1:${closed}`), `it names the relay: ${away.stderr}`);
    assert.doesNotMatch(
      away.stderr,
      /retrying|cannot reach peer/,
      `it says what failed, once: ${away.stderr}`,
    );
  },
);
