/**
 * `term` survives its local agent: the agent is killed (-9) mid-session and started again within the
 * peer's resume window; `term` says it waits, takes the same remote session up on the new agent (by
 * the peer's session ID and this node's identity) and carries on in the same shell.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, stopAll, startAgent } from '../helpers/processes.js';
import { startPair } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;

test(
  'term carries on in the same remote shell after its local agent is killed and restarted',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    // -t: a shell in a terminal, as typed at a keyboard, though this test pipes its input.
    const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '-t'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let a = pair.a;
    try {
      // The marker lives only in this shell's memory: seeing it again proves it is the same shell.
      child.stdin.write('MARK=kept$((6*7)); echo "set-$MARK"\n');
      await until('the shell to take the marker', () => stdout.includes('set-kept42'), 20_000);

      process.kill(a.child.pid!, 'SIGKILL');
      await a.stop();
      await until(
        'term to say it waits for its agent',
        () => stderr.includes('local agent stopped; waiting for it to come back (up to 60 s)...'),
        30_000,
      );
      assert.equal(child.exitCode, null, `term ended: ${stderr}`);
      // Typed while the agent is away: held, and sent once the session is taken up again.
      child.stdin.write('echo "again-$MARK"\n');

      a = await startAgent(pair.homeA, { name: 'a', listen: '127.0.0.1:0' });
      await until('term to carry on', () => stderr.includes('local agent is back'), 30_000);
      await until('the same shell to answer', () => stdout.includes('again-kept42'), 20_000);

      child.stdin.write('exit 7\n');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit; stderr: ${stderr}`)), 20_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 7, stderr);
      assert.match(
        stderr,
        /^clawbridge: local agent stopped; waiting for it to come back \(up to 60 s\)\.\.\.\nclawbridge: local agent is back; carried on with the terminal on b\n$/,
      );
    } finally {
      child.kill('SIGKILL');
      await Promise.all([a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
