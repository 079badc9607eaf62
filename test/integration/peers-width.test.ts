/**
 * `peers` on a terminal fits its width: a row whose reason runs long is cut to the PTY's columns with
 * `...`, and a last line says how to see the whole text; `--wide` prints the rows whole, and `--json` (or
 * output that is not a terminal) always has the whole reason. `log` and `group ls` fit it the same way
 * (cli/fitted-listings.ts). A real agent and the real CLI in a PTY.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { PeerInfo } from '../../src-main/api/contract.js';
import type { AuditEvent } from '../../src-main/audit/audit-events.js';
import { displayWidth } from '../../src-main/cli/display-width.js';
import { CLI, cli, peerOf, startAgent, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { runInPty } from '../helpers/pty-run.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX terminals' : false;
const COLUMNS = 72;

/** The CLI with `args` in a PTY `cols` wide, to its end: the lines it showed. */
async function inPty(args: string[], cols = COLUMNS): Promise<string[]> {
  const seen = await runInPty(process.execPath, [CLI, ...args], { cols });
  return seen.split(/\r?\n/).filter((l) => l.length > 0);
}

/** Every line within `cols` columns, one cut with `...`, and the last saying what shows them whole. */
function assertFits(lines: string[], cols: number, whole: RegExp): void {
  for (const line of lines) assert.ok(displayWidth(line) <= cols, `${displayWidth(line)} columns: ${line}`);
  assert.ok(
    lines.some((l) => l.endsWith('...')),
    `a row is cut: ${lines.join('\n')}`,
  );
  assert.match(lines.at(-1)!, whole);
}

let agent: Promise<string> | undefined;
/** One agent on a relay for the tests here, with a peer `far` that never comes online: its home. */
function agentHome(): Promise<string> {
  agent ??= (async () => {
    const relay = await startRelay();
    const home = tempHome('peers-width');
    await startAgent(home, { name: 'workstation-one', relay: relay.url, listen: '127.0.0.1:0', ui: false });
    const added = await cli(['peers', 'add', 'c'.repeat(64), '--name', 'far', '--home', home]);
    assert.equal(added.code, 0, added.stderr);
    return home;
  })();
  return agent;
}

test(
  'a `peers` row with a long reason fits the terminal; --wide and --json give it whole',
  { skip },
  async () => {
    const home = await agentHome();
    const far = await until(
      'a reason why far is not online',
      async () => {
        const p = await peerOf(home, 'far');
        return (p?.stateDetail?.length ?? 0) > COLUMNS && p;
      },
      30_000,
    );

    const cut = await inPty(['peers', '--home', home]);
    for (const line of cut)
      assert.ok(displayWidth(line) <= COLUMNS, `${displayWidth(line)} columns: ${line}`);
    assert.ok(
      cut.some((l) => l.startsWith('far ') && l.endsWith('...')),
      cut.join('\n'),
    );
    assert.match(cut.at(-1)!, /--wide or --json shows the whole text/);

    const wide = await inPty(['peers', '--wide', '--home', home]);
    assert.ok(
      wide.some((l) => l.includes(far.stateDetail!)),
      wide.join('\n'),
    );
    const json = JSON.parse((await cli(['peers', '--json', '--home', home])).stdout) as PeerInfo[];
    assert.equal(json.find((p) => p.name === 'far')?.stateDetail, far.stateDetail);
  },
);

test('`log` on a terminal fits its width; --wide and --json give each event whole', { skip }, async () => {
  const home = await agentHome();
  const whole = (await cli(['log', '--home', home])).stdout.split('\n');
  const widest = Math.max(...whole.map(displayWidth));
  assert.ok(widest > 40, `a row wider than the terminal below: ${whole.join('\n')}`);
  const cols = widest - 10;
  assertFits(await inPty(['log', '--home', home], cols), cols, /--wide or --json shows the whole text/);
  const wide = await inPty(['log', '--wide', '--home', home], cols);
  assert.ok(
    wide.some((l) => displayWidth(l) === widest),
    wide.join('\n'),
  );
  const events = JSON.parse((await cli(['log', '--json', '--home', home])).stdout) as AuditEvent[];
  assert.ok(
    events.some((e) => e.kind === 'peer' && e.peer?.name === 'far'),
    'every event is in the JSON',
  );
});

test('`group ls` on a terminal fits its tables to its width; --json gives them whole', { skip }, async () => {
  const home = await agentHome();
  for (const args of [
    ['group', 'create', 'lab'],
    ['group', 'add', 'lab', 'workstation-one'],
  ]) {
    const r = await cli([...args, '--home', home]);
    assert.equal(r.code, 0, r.stderr);
  }
  const whole = (await cli(['group', 'ls', '--home', home])).stdout.split('\n');
  const row = whole.find((l) => /^\s+workstation-one\s+this device/.test(l));
  assert.ok(row, `the device's row: ${whole.join('\n')}`);
  // Narrower than the device's row, wider than the group's line above it (which is no table row).
  const cols = displayWidth(row) - 3;
  const cut = await inPty(['group', 'ls', '--home', home], cols);
  assertFits(cut, cols, /^\(cut to the terminal: --json shows/);
  assert.ok(
    cut.some((l) => /^\s+workstation-one\s+this device .*\.\.\.$/.test(l)),
    cut.join('\n'),
  );
  // `group` alone lists them the same way.
  assertFits(await inPty(['group', '--home', home], cols), cols, /^\(cut to the terminal: --json shows/);
});
