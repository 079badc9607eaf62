/**
 * One process of an echo floor (bench/echo-floor.ts): it passes every byte on and back, and nothing
 * else. `echo-floor-hop.ts N` starts the next process of the chain (N − 1) on pipes; the last one
 * (N = 0) runs the echo session's `cat` in a PTY of its own, as the session host and sshd do. The
 * first one runs in the bench's PTY and puts it in raw mode, as `clawbridge term` and `ssh -tt` do, so
 * a key reaches it at once and is not echoed by the PTY itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawn as spawnPty } from 'node-pty';
import { ECHO_COMMAND } from './terminal-echo.js';

const after = Number(process.argv[2]);
if (!Number.isInteger(after) || after < 0) {
  process.stderr.write(
    `echo-floor-hop: expected the number of processes after this one, got ${process.argv[2]}\n`,
  );
  process.exit(2);
}
if (process.stdin.isTTY) process.stdin.setRawMode(true);

if (after > 0) {
  const next = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), String(after - 1)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  process.stdin.pipe(next.stdin);
  next.stdout.pipe(process.stdout);
  // The bench ends the first process by its PID; each one's end closes the next one's stdin.
  process.stdin.on('end', () => next.kill());
  process.on('SIGTERM', () => next.kill());
  next.on('exit', (code) => process.exit(code ?? 0));
} else {
  const [file, ...args] = ECHO_COMMAND;
  const pty = spawnPty(file!, args, { name: 'xterm-256color', cols: 80, rows: 24, env: process.env });
  process.stdin.on('data', (d: Buffer) => pty.write(d.toString('latin1')));
  pty.onData((d) => process.stdout.write(d));
  process.stdin.on('end', () => pty.kill());
  process.on('SIGTERM', () => pty.kill());
  pty.onExit(() => process.exit(0));
}
