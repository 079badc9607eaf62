/**
 * The terminal session host's bundle (dist/cli/bundle/host-main.cjs, scripts/vite-host.config.ts, ADR
 * 0105): one file that loads Node's built-ins and node-pty and nothing of the agent's chunks (zod,
 * pino, the contract's schemas came with them), and that, run as the CLI agent runs it, serves a
 * session and logs in pino's line format. Needs `npm run build` first (`npm test` does it).
 */
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeHostMessage,
  HOST_PROTOCOL_VERSION,
} from '../../src-main/terminal/session-host/host-protocol.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/wait.js';

const HOST = fileURLToPath(new URL('../../dist/cli/bundle/host-main.cjs', import.meta.url));
const skip = existsSync(HOST) ? false : 'dist/cli/bundle/host-main.cjs is not built: run `npm run build`';

/** Every module specifier the bundle's text imports, statically or dynamically. */
function importsOf(code: string): string[] {
  return [
    ...code.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g),
    ...code.matchAll(/\bfrom\s*"([^"]+)"/g),
    ...code.matchAll(/\bimport\s*"([^"]+)"/g),
    ...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((m) => m[1]!);
}

test(
  'the session host bundle loads Node built-ins and node-pty only, none of the agent chunks',
  { skip },
  () => {
    const imports = importsOf(readFileSync(HOST, 'utf8'));
    assert.ok(
      imports.some((s) => s === 'net' || s === 'node:net'),
      `the reading found the bundle's imports: ${imports.join(', ')}`,
    );
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const others = imports.filter((s) => !builtins.has(s) && s !== 'node-pty');
    assert.deepEqual(others, [], 'the host bundle imports only built-ins and node-pty');
    assert.ok(!/\bzod\b|\bpino\b/.test(readFileSync(HOST, 'utf8')), 'no zod or pino code inlined either');
  },
);

test('the session host bundle serves a session and logs pino lines', { skip, timeout: 60_000 }, async () => {
  const dir = tempDir('cb-host-bundle-');
  const socketPath = join(dir, 'pty.sock');
  let log = '';
  const host = spawn(process.execPath, [HOST, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  host.stdout.setEncoding('utf8').on('data', (c: string) => (log += c));
  let agent: Socket | undefined;
  try {
    await until('the host to listen', () => log.includes('session host running'));
    agent = connect(socketPath);
    const line = JSON.parse(log.split('\n')[0]!) as Record<string, unknown>;
    assert.equal(line.level, 30, `an info line in pino's format: ${log}`);
    assert.equal(line.part, 'session-host', `the line names the part: ${log}`);
    assert.equal(line.pid, host.pid, `the line names the host's pid: ${log}`);
    agent.write(encodeHostMessage({ op: 'agent', v: HOST_PROTOCOL_VERSION }));
    const session = connect(socketPath);
    let out = '';
    session.setEncoding('latin1').on('data', (c: string) => (out += c));
    session.write(
      encodeHostMessage({
        op: 'create',
        peer: 'ab'.repeat(32),
        peerName: 'laptop',
        resumeMs: 60_000,
        args: { cols: 80, rows: 24, command: ['sh', '-c', 'echo host-bundle-$((6*7))'] },
      }),
    );
    await until('the session to print', () => out.includes('host-bundle-42'));
    assert.ok(out.includes('"ok":true'), `the host accepted the session: ${out.slice(0, 200)}`);
    await until('the session end to be logged', () => log.includes('terminal process exited'));
    session.destroy();
  } finally {
    agent?.destroy();
    host.kill('SIGKILL');
  }
});
