import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../helpers/process-alive.js';
import { until } from '../../helpers/wait.js';

const bench = fileURLToPath(new URL('../../../bench/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cb-on-abort-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` (a module importing from bench/) in a child that then signals itself; its exit code. */
function runAndSignal(body: string, signal: 'SIGINT' | 'SIGTERM'): Promise<number | null> {
  const script = join(dir, `abort-${signal}.mts`);
  writeFileSync(
    script,
    `${body}\nprocess.kill(process.pid, '${signal}');\nsetTimeout(() => process.exit(0), 5_000);\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('onAbort', () => {
  it('runs the undos still registered on SIGTERM, newest first, past one that throws, then exits 143', async () => {
    const log = join(dir, 'order.txt');
    const code = await runAndSignal(
      `import { appendFileSync } from 'node:fs';
import { onAbort } from '${bench}on-abort.ts';
onAbort(() => appendFileSync(${JSON.stringify(log)}, 'first '));
const forget = onAbort(() => appendFileSync(${JSON.stringify(log)}, 'forgotten '));
onAbort(() => { throw new Error('x'); });
onAbort(() => appendFileSync(${JSON.stringify(log)}, 'last '));
forget();`,
      'SIGTERM',
    );
    assert.equal(code, 143);
    assert.equal(readFileSync(log, 'utf8'), 'last first ');
  });

  it('ends a process the bench launched when it is stopped by SIGINT (exit 130)', async () => {
    const pidFile = join(dir, 'pid.txt');
    const code = await runAndSignal(
      `import { writeFileSync } from 'node:fs';
import { launch } from '${bench}processes.ts';
const p = launch('sleep', ['30']);
writeFileSync(${JSON.stringify(pidFile)}, String(p.proc.pid));
await new Promise((r) => setTimeout(r, 100));`,
      'SIGINT',
    );
    assert.equal(code, 130);
    assert.ok(existsSync(pidFile), 'existsSync(pidFile)');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await until('the launched sleep to end', () => !isAlive(pid), 3_000);
    assert.equal(isAlive(pid), false, 'the launched sleep outlived the run');
  });
});
