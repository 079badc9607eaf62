/**
 * Shells outlive the serving agent (issue 28 must-be-true 2, docs/adr/0022-session-host.md): b's
 * agent is killed with -9 while a's `term` has a shell open on b that runs `sleep 300 &`; the shell and
 * the sleep live on (they belong to b's session host, not to its agent), and once b's agent is started
 * again, the same `term` carries on in the same shell, which still knows its variable.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CLI, stopAll, startAgent } from '../helpers/processes.js';
import { sessionHostPid, startPair, term } from './terminal-setup.js';
import { until, sleep as pause } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform !== 'linux' ? 'reads /proc' : false;

/** The parent PID of `pid`, from /proc (field 4 of stat, after the command name in parentheses). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** True while `pid` runs (and is not a zombie). */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

test(
  'a shell and its sleep survive kill -9 of the serving agent; term carries on in it',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '-t'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let b = pair.b;
    let sleepPid = 0;
    try {
      // The marker lives only in this shell's memory: seeing it again proves it is the same shell.
      child.stdin.write('MARK=kept$((6*7)); sleep 300 & echo "pids-$$-$!-$MARK"\n');
      await until('the shell to start the sleep', () => /pids-\d+-\d+-kept42/.test(stdout), 20_000);
      const [, shell, sleep] = /pids-(\d+)-(\d+)-kept42/.exec(stdout)!.map(Number) as [
        number,
        number,
        number,
      ];
      sleepPid = sleep;
      const host = parentOf(shell);
      assert.notEqual(host, b.child.pid, 'the shell is a child of the session host, not of the agent');
      assert.equal(parentOf(sleep), shell);

      process.kill(b.child.pid!, 'SIGKILL');
      await b.stop();
      // Long enough for anything that would end with the agent to have ended.
      await pause(1_000, 'anything that would end with the agent has ended by then');
      assert.ok(alive(host), 'the session host outlives the agent');
      assert.ok(alive(shell), 'the shell outlives the agent');
      assert.ok(alive(sleep), 'the sleep outlives the agent');
      assert.equal(child.exitCode, null, `term ended: ${stderr}`);

      b = await startAgent(pair.homeB, { name: 'b', relay: pair.relay.url, listen: '127.0.0.1:0' });
      child.stdin.write('echo "again-$MARK-$$"\n');
      await until('the same shell to answer', () => stdout.includes(`again-kept42-${shell}`), 40_000);
      assert.ok(alive(sleep), 'the sleep still runs');
      assert.equal(parentOf(shell), host, 'the new agent adopted the same host');

      child.stdin.write('kill %1; exit 7\n');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit; stderr: ${stderr}`)), 20_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 7, stderr);
      // The agent stops on purpose: the host hangs up and exits once its sessions are gone.
      await b.stop();
      await until('the session host to exit', () => !alive(host), 30_000);
    } finally {
      child.kill('SIGKILL');
      if (sleepPid && alive(sleepPid)) process.kill(sleepPid, 'SIGKILL');
      await Promise.all([pair.a.stop(), b.stop(), pair.relay.proc.stop()]);
    }
  },
);

test(
  'a session host that dies takes its sessions along: term says the session is gone, and the next term gets a new host',
  { skip },
  async () => {
    const pair = await startPair({ relayOnly: false });
    const child = spawn(
      process.execPath,
      [CLI, 'term', 'b', '--home', pair.homeA, '--', 'sh', '-c', 'echo up-$$; exec sleep 100'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // The program outlives a killed host (nothing hangs it up): this test ends it itself.
    let sleepPid = 0;
    try {
      await until('the session to start', () => /up-\d+/.test(stdout), 20_000);
      sleepPid = Number(/up-(\d+)/.exec(stdout)![1]);
      const host = sessionHostPid(pair.homeB);
      assert.ok(host, 'b runs a session host');
      process.kill(host, 'SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`term did not end; stderr: ${stderr}`)), 30_000);
        }),
      ]).finally(() => clearTimeout(timer));
      assert.equal(code, 1, stderr);
      assert.match(stderr, /b no longer has this terminal session/);
      const next = await term(pair, ['echo', 'fresh']);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, /fresh/);
      assert.notEqual(sessionHostPid(pair.homeB), host, 'a new host serves the next session');
    } finally {
      child.kill('SIGKILL');
      if (sleepPid && alive(sleepPid)) process.kill(sleepPid, 'SIGKILL');
      await Promise.all([pair.a.stop(), pair.b.stop(), pair.relay.proc.stop()]);
    }
  },
);
