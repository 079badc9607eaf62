/**
 * `npm run bench:echo-pipes`: keystroke echo when a program drives the terminal client through pipes
 * (a script, an expect-like tool, a test harness) instead of a person in a terminal: `term -t` against
 * `ssh -tt` on the same named pipes (and `term -t --no-direct`, where `term` keeps the I/O), and both
 * again in a PTY as the main bench runs them, side by side
 * in one run (bench/terminal-echo.ts's method: blocks of 10 keys 100 ms apart). On Linux the agent
 * reads and writes `term -t`'s pipes itself (ADR 0038), as it does a terminal (ADR 0037). Prints one
 * table; the figures are ratios to ssh's in the same mode.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startAgentPair } from './cli-agents.js';
import { startSshForward } from './ssh.js';
import {
  ECHO_COMMAND,
  ECHO_SHELL_LINE,
  echoSession,
  measureTerminalEcho,
  openEchoPty,
  type EchoClient,
  type EchoTerminal,
} from './terminal-echo.js';

const log = (line: string) => console.error(`[echo-pipes] ${line}`);

/** Runs `file args` with stdin and stdout on two fresh named pipes (real pipes, as a shell gives). */
function openEchoPipes(file: string, args: string[], what: string): Promise<EchoTerminal> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'cb-echo-pipes-'));
  execFileSync('mkfifo', [join(dir, 'in'), join(dir, 'out')]);
  // Each end opened one way only and without waiting for the other (O_NONBLOCK).
  const open = (name: string, flags: number) => openSync(join(dir, name), flags | constants.O_NONBLOCK);
  const childIn = open('in', constants.O_RDONLY);
  const writer = new Socket({ fd: open('in', constants.O_WRONLY), readable: false });
  const reader = new Socket({ fd: open('out', constants.O_RDONLY), writable: false });
  const childOut = open('out', constants.O_WRONLY);
  const child = spawn(file, args, { stdio: [childIn, childOut, 'ignore'] });
  closeSync(childIn);
  closeSync(childOut);
  reader.on('error', () => undefined);
  writer.on('error', () => undefined);
  child.on('exit', () => {
    writer.destroy();
    reader.destroy();
  });
  return echoSession(what, t0, {
    write: (ch) => writer.write(ch),
    onData: (listener) => void reader.on('data', (d: Buffer) => listener(d.toString())),
    onExit: (listener) => void child.on('exit', (code, signal) => listener(signal ?? String(code))),
    kill: (signal) => child.kill(signal),
  });
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('bench:echo-pipes needs Linux (named pipes, /proc)');
  const sink = createServer((s) => s.resume()).listen(0, '127.0.0.1');
  await new Promise((resolve) => sink.once('listening', resolve));
  const ssh = await startSshForward((sink.address() as { port: number }).port, log, {
    probe: false,
    master: true,
  });
  const pair = await startAgentPair('direct', CLI);
  try {
    if (!ssh.command) throw new Error(`OpenSSH did not start: ${ssh.notes.join('; ')}`);
    const { file, args } = ssh.command(ECHO_SHELL_LINE, true);
    const term = (...flags: string[]) => [
      CLI,
      'term',
      ...flags,
      'b',
      '--home',
      pair.homeA,
      '--',
      ...ECHO_COMMAND,
    ];
    const clients: EchoClient[] = [
      { name: 'ssh-echo-pipes', open: () => openEchoPipes(file, args, 'ssh -tt') },
      { name: 'term-echo-pipes', open: () => openEchoPipes(process.execPath, term('-t'), 'term -t') },
      {
        name: 'term-echo-pipes-no-direct',
        open: () => openEchoPipes(process.execPath, term('-t', '--no-direct'), 'term -t --no-direct'),
      },
      { name: 'ssh-echo', open: () => openEchoPty(file, args, 'ssh -tt') },
      { name: 'term-echo-idle', open: () => openEchoPty(process.execPath, term(), 'clawbridge term') },
    ];
    log(`measuring ${clients.length} echo rows side by side…`);
    const { results, notes } = await measureTerminalEcho(clients, null, log);
    const p50 = (name: string) => results.find((r) => r.name === name)?.p50Ms ?? null;
    const cell = (n: number | null, digits: number) => (n === null ? '-' : n.toFixed(digits)).padStart(7);
    console.log(`${'row'.padEnd(26)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}`);
    for (const r of results) console.log(`${r.name.padEnd(26)} ${cell(r.p50Ms, 3)} ${cell(r.p99Ms, 2)}`);
    const ratios: [string, string, string][] = [
      ['term-echo-pipes', 'ssh-echo-pipes', 'term -t and ssh -tt on named pipes'],
      ['term-echo-pipes-no-direct', 'ssh-echo-pipes', 'term keeps the I/O, as before ADR 0038'],
      ['term-echo-idle', 'ssh-echo', 'both in a PTY, as in npm run bench'],
    ];
    console.log('');
    for (const [a, b, what] of ratios) {
      const x = p50(a);
      const y = p50(b);
      const value = x !== null && y !== null ? `${(x / y).toFixed(2)}x` : 'n/a';
      console.log(`${`${a}/${b} p50`.padEnd(46)} ${value.padStart(6)}  (${what})`);
    }
    for (const note of notes) console.log(`note: ${note}`);
  } finally {
    await pair.stop();
    await ssh.stop();
    sink.close();
  }
}

main().catch((err: unknown) => {
  console.error(`bench:echo-pipes: ${(err as Error).message}`);
  process.exitCode = 1;
});
