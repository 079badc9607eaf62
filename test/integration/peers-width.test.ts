/**
 * `peers` on a terminal fits its width: a row whose reason runs long is cut to the PTY's columns with
 * `...`, and a last line says how to see the whole text; `--wide` prints the rows whole, and `--json` (or
 * output that is not a terminal) always has the whole reason. A real agent and the real CLI in a PTY.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { PeerInfo } from '../../src-main/api/contract.js';
import { displayWidth } from '../../src-main/cli/display-width.js';
import { CLI, cli, peerOf, startAgent, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { runInPty } from '../helpers/pty-run.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX terminals' : false;
const COLUMNS = 72;

/** The CLI with `args` in a PTY COLUMNS wide, to its end: the lines it showed. */
async function inPty(args: string[]): Promise<string[]> {
  const seen = await runInPty(process.execPath, [CLI, ...args], { cols: COLUMNS });
  return seen.split(/\r?\n/).filter((l) => l.length > 0);
}

test(
  'a `peers` row with a long reason fits the terminal; --wide and --json give it whole',
  { skip },
  async () => {
    const relay = await startRelay();
    const home = tempHome('peers-width');
    await startAgent(home, { name: 'a', relay: relay.url, listen: '127.0.0.1:0', ui: false });
    const added = await cli(['peers', 'add', 'c'.repeat(64), '--name', 'far', '--home', home]);
    assert.equal(added.code, 0, added.stderr);
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
