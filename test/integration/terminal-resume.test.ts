/**
 * A terminal session outlives its path: the relay of a relay-only link restarts mid-session, the CLI
 * says `reconnecting...`, the session resumes, and the remote counter arrives exactly once, in order —
 * also when the viewing node's own resume window (for sessions it serves) is shorter than the outage.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI, stopAll, startAgent } from '../helpers/processes.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { sessionHostPid, startPair, startRelay } from './terminal-setup.js';
import { until, sleep } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform === 'win32' ? 'POSIX shell commands' : false;
const skipUnlessProc = process.platform !== 'linux' ? 'finds the session host in /proc' : false;

/** Numbers the remote loop prints, one every ~20 ms: long enough to span the relay's restart. */
const COUNT = 400;

test('a session survives a relay restart with every byte exactly once', { skip }, async () => {
  const pair = await startPair({ relayOnly: true });
  // The window for sessions served on a, at its least: how long a's own session on b tries to resume
  // is b's window, so the outage below (over a second) must not end it.
  const control = await ControlClient.connect(controlSocketPath(pair.homeA), pair.homeA);
  await control.call('settings.set', { terminalResumeMs: 1_000 });
  control.close();
  const loop = `i=0; while [ $i -lt ${COUNT} ]; do echo $i; i=$((i+1)); sleep 0.02; done`;
  const child = spawn(process.execPath, [CLI, 'term', 'b', '--home', pair.homeA, '--', 'sh', '-c', loop], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await until('the counter to run', () => stdout.includes('\n20\n'), 20_000);
    await pair.relay.proc.stop();
    await until('the CLI to say it reconnects', () => stderr.includes('reconnecting...'), 30_000);
    const printedWhileDown = stdout.length;
    await sleep(1_000, 'the relay stays down a while');
    const relay = await startRelay(pair.relay.port);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit; stderr: ${stderr}`)), 90_000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(code, 0, stderr);
    assert.match(
      stderr,
      /^clawbridge: reconnecting\.\.\. \(.+\)\nclawbridge: reconnected via relay ws:\/\/127\.0\.0\.1:\d+\n$/,
    );
    assert.ok(printedWhileDown < stdout.length, 'output continued after the resume');
    const expected = Array.from({ length: COUNT }, (_, i) => `${i}\n`).join('');
    assert.equal(stdout, expected);
    await relay.proc.stop();
  } finally {
    child.kill('SIGKILL');
    await Promise.all([pair.a.stop(), pair.b.stop()]);
  }
});

test(
  'a peer whose agent and session host died meanwhile no longer has the session: term says so in one sentence',
  { skip: skipUnlessProc },
  async () => {
    const pair = await startPair({ relayOnly: true });
    const child = spawn(
      process.execPath,
      [CLI, 'term', 'b', '--home', pair.homeA, '--', 'sh', '-c', 'echo ready; exec sleep 100'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      // The session must be running before b dies: on a loaded machine `term` may still be opening it a
      // second after it started, and a link lost during the open fails the open (no session to resume).
      await until('the session to run', () => stdout.includes('ready'), 20_000);
      // b dies without a word, its session host too (its sessions with it: a reboot, say), and comes
      // back under the same home. (An agent alone that dies leaves its sessions: term-session-host.test.ts.)
      const host = sessionHostPid(pair.homeB);
      assert.ok(host, 'b runs a session host');
      await pair.b.stop('SIGKILL');
      process.kill(host, 'SIGKILL');
      await until('the CLI to say it reconnects', () => stderr.includes('reconnecting...'), 30_000);
      const b = await startAgent(pair.homeB, { name: 'b', relay: pair.relay.url, listen: false });
      const code = await exited;
      assert.equal(code, 1, stderr);
      assert.match(
        stderr,
        /\nclawbridge: b no longer has this terminal session \(it was closed there, or not resumed in time\)\n$/,
      );
      await b.stop();
    } finally {
      child.kill('SIGKILL');
      await pair.a.stop();
    }
  },
);
