/**
 * README.md's tour runs as written. The test takes every ```sh block from README.md itself (so the two
 * cannot drift), runs them in order in one bash with `set -e -o pipefail`, and checks that each block
 * printed the lines of the ```text block the README shows under it.
 *
 * Conventions (stated in the README's tour section; parsing in test/helpers/readme-blocks.ts):
 * - ```sh blocks run; one whose first line is `# not run by the tour test` is skipped (npm install,
 *   npm link). ```console blocks are examples to adapt and never run.
 * - A ```text block right under a ```sh block is its stdout: every line must match a distinct printed
 *   line, in any order; `<…>` matches any text in the line, runs of spaces match any spaces.
 *
 * The shell gets a temporary HOME (the tour lives in ~/cb-tour), `clawbridge` on PATH through a
 * symlink to bin/clawbridge.js (what `npm link` makes), only loopback addresses (the README's), and no
 * stdin. It runs in its own process group, which the test kills when it is done, so nothing it started
 * can outlive it; the README's last block must already have stopped everything, which is checked first.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, tempHome, removeTempHomes } from '../helpers/processes.js';
import { linePattern, missingLines, NOT_RUN_MARK, tourBlocks } from '../helpers/readme-blocks.js';
import { until } from '../helpers/wait.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
/** The whole tour takes about 20 s on a quiet machine; a loaded 2-core CI machine gets ample room. */
const TOUR_TIMEOUT_MS = 180_000;
/** How long the tour's processes may take to exit after its last block (the relay ends on SIGTERM). */
const EXIT_GRACE_MS = 10_000;
/** The loopback ports the README's tour uses. */
const TOUR_PORTS = [7474, 7480, 7481, 7482, 7483, 7484];

after(removeTempHomes);

const marker = (i: number) => `::readme-block ${i}::`;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Whether any process of process group `pgid` still exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the matcher: placeholders match any text, spaces any spaces, and a missing line is named', () => {
  assert.match(
    'pong from b via direct 127.0.0.1:4123 in 0.21 ms',
    linePattern('pong from b via <path> <address> in <rtt> ms'),
  );
  assert.match('b     df03da64  online', linePattern('b  <short fingerprint>  online'));
  assert.doesNotMatch('b  df03da64  offline', linePattern('b  <fp>  online'));
  assert.deepEqual(missingLines('ok\nok\n', 'ok\n'), ['ok']);
  assert.deepEqual(missingLines('agent a stopped\n', 'x\r\nagent a stopped\r\n'), []);
});

test('README.md: every sh block runs verbatim, top to bottom, and prints what the README shows', async (t) => {
  const blocks = tourBlocks(readFileSync(README, 'utf8'));
  assert.ok(blocks.length >= 5, `the README has ${blocks.length} tour blocks`);
  assert.ok(
    blocks.every((b) => !b.script.startsWith(NOT_RUN_MARK)),
    'skipped blocks are not part of the tour',
  );
  // The tour's commands beyond clawbridge itself: a machine without them cannot run it as written.
  for (const tool of ['bash', 'curl', 'awk']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) {
      t.skip(`${tool} is not installed; the README's tour uses it`);
      return;
    }
  }
  for (const port of TOUR_PORTS) {
    if (!(await portFree(port))) {
      t.skip(`127.0.0.1:${port} is in use by another program; the README's tour needs it`);
      return;
    }
  }

  const root = tempHome('readme');
  const home = join(root, 'home');
  const bin = join(root, 'bin');
  mkdirSync(home);
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'clawbridge'));
  const script = join(root, 'tour.sh');
  writeFileSync(
    script,
    ['set -e -o pipefail', ...blocks.flatMap((b, i) => [`printf '\\n${marker(i)}\\n'`, b.script])].join('\n'),
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    PATH: [bin, dirname(process.execPath), process.env.PATH ?? ''].join(':'),
  };
  delete env.CLAWBRIDGE_HOME;
  const child = spawn('bash', [script], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => process.kill(-pgid, 'SIGKILL'), TOUR_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);

  try {
    const logs = () => {
      const dir = join(home, 'cb-tour');
      if (!existsSync(dir)) return '';
      return readdirSync(dir)
        .filter((f) => f.endsWith('.log'))
        .map((f) => `--- ~/cb-tour/${f}\n${readFileSync(join(dir, f), 'utf8').slice(-3000)}`)
        .join('\n');
    };
    assert.equal(
      code,
      0,
      `the tour failed (exit ${code})\nstdout:\n${stdout}\nstderr:\n${stderr}\n${logs()}`,
    );

    // The README's last block stopped every agent and the relay: nothing the tour started is left.
    await until('the processes the tour started to end', () => !groupAlive(pgid), EXIT_GRACE_MS);
    assert.equal(groupAlive(pgid), false, 'processes the tour started still run after its last block');
    assert.equal(existsSync(join(home, 'cb-tour')), false, 'the tour did not remove ~/cb-tour');
    for (const port of TOUR_PORTS) assert.ok(await portFree(port), `127.0.0.1:${port} is still taken`);

    blocks.forEach((b, i) => {
      if (b.expected === undefined) return;
      const from = stdout.indexOf(marker(i));
      const to = i + 1 < blocks.length ? stdout.indexOf(marker(i + 1)) : stdout.length;
      const printed = stdout.slice(from + marker(i).length, to);
      assert.deepEqual(
        missingLines(b.expected, printed),
        [],
        `README.md line ${b.line}: the block printed\n${printed}\nwhich lacks the lines above`,
      );
    });
  } finally {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
});
