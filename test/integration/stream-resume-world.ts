/**
 * The setup shared by the stream-resume integration tests (ADR 0023): two agents in their own network
 * namespaces and a relay, a reaches b directly only through a TCP port forward in b's namespace (SIGSTOP
 * on it freezes the direct path: packets dropped, not a clean close, as a NAT that forgot the mapping),
 * the relay link up beside direct. Also the keystream file server and the rate-limited client: the bytes
 * are an AES-CTR keystream (fast to make on both ends, never repeating, so a lost, doubled or reordered
 * block changes the sha256).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { linkThroughForward, startNetnsAgents, type NetnsAgents } from '../helpers/netns-agents.js';
import { stopAll, type AgentProc } from '../helpers/processes.js';

export const MIB = 1024 * 1024;
const KEY = '000102030405060708090a0b0c0d0e0f';
const IV = 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff';

let world: NetnsAgents | undefined;
const children: ChildProcess[] = [];

/** Ends every process the world started and removes the namespaces (call from `after`). */
export async function endWorld(): Promise<void> {
  for (const c of children) {
    // A stopped process cannot act on SIGTERM until it is continued.
    c.kill('SIGCONT');
    c.kill('SIGTERM');
  }
  await (world?.end() ?? stopAll());
}

/** Keeps a child to be ended with the world. */
export function own(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

/** Runs `script` with node (inside a namespace with its prefix); its stdout lines are collected. */
export function nodeIn(prefix: string[], script: string): { child: ChildProcess; lines: string[] } {
  const [cmd, ...args] = [...prefix, process.execPath, '-e', script];
  const child = own(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] }));
  const lines: string[] = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    pending += c;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    lines.push(...parts);
  });
  return { child, lines };
}

/** sha256 of the first `size` bytes of the keystream the server sends. */
export function expectedHash(size: number): string {
  const cipher = createCipheriv('aes-128-ctr', Buffer.from(KEY, 'hex'), Buffer.from(IV, 'hex'));
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(MIB);
  for (let left = size; left > 0; left -= MIB)
    hash.update(cipher.update(zeros.subarray(0, Math.min(MIB, left))));
  return hash.digest('hex');
}

/** A server that sends `size` bytes of the keystream to each connection; prints `up` once listening. */
export const serverScript = (port: number, size: number) => `
const net = require('net'), crypto = require('crypto');
net.createServer((s) => {
  const c = crypto.createCipheriv('aes-128-ctr', Buffer.from('${KEY}', 'hex'), Buffer.from('${IV}', 'hex'));
  const zeros = Buffer.alloc(256 * 1024);
  let left = ${size};
  s.on('error', () => undefined);
  const pump = () => {
    while (left > 0) {
      const n = Math.min(zeros.length, left);
      left -= n;
      if (!s.write(c.update(zeros.subarray(0, n)))) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
}).listen(${port}, '127.0.0.1', () => console.log('up'));`;

/**
 * A client that reads at `rate` bytes/s (so a cut lands mid-transfer), prints `progress N` every 4 MiB
 * and `done N SHA256` at the end (or `error N MESSAGE`).
 */
export const clientScript = (port: number, rate: number) => `
const net = require('net'), crypto = require('crypto');
const h = crypto.createHash('sha256');
let got = 0, reported = 0;
const start = Date.now();
const s = net.connect(${port}, '127.0.0.1');
s.on('data', (b) => {
  h.update(b);
  got += b.length;
  if (got - reported >= ${4 * MIB}) { reported = got; console.log('progress ' + got); }
  const ahead = got / ${rate} * 1000 - (Date.now() - start);
  if (ahead > 5) { s.pause(); setTimeout(() => s.resume(), ahead); }
});
s.on('end', () => console.log('done ' + got + ' ' + h.digest('hex')));
s.on('error', (e) => console.log('error ' + got + ' ' + e.message));
s.on('close', () => setTimeout(() => process.exit(0), 50));`;

/** The latest `progress N` a client printed. */
export function progressOf(client: { lines: string[] }): number {
  const last = client.lines.filter((l) => l.startsWith('progress')).at(-1) ?? '';
  return Number(/^progress (\d+)$/.exec(last)?.[1] ?? 0);
}

export interface ResumeWorld {
  inA: string[];
  inB: string[];
  homeA: string;
  homeB: string;
  a: AgentProc;
  b: AgentProc;
  /** The port forward that is b's direct path: SIGSTOP it to blackhole the path. */
  freezer: ChildProcess;
}

/** The port of the forward that is b's only direct way, at b's veth address. */
export const DIRECT_PORT = 7623;

/** Starts the relay, a and b, pairs them, and waits for direct plus a relay link beside it. */
export async function startWorld(tag: string): Promise<ResumeWorld> {
  world = await startNetnsAgents(tag, { env: { CLAWBRIDGE_LOG: 'info' } });
  const freezer = await linkThroughForward(world, { forwardPort: DIRECT_PORT });
  const { inA, inB, homeA, homeB, a, b } = world;
  return { inA, inB, homeA, homeB, a, b, freezer };
}

/** The agents' log lines about links and streams, for a failure message. */
export function logTails(world: Pick<ResumeWorld, 'a' | 'b'>): string {
  const tail = (p: { stderr(): string }) =>
    p
      .stderr()
      .split('\n')
      .filter((l) => /link|resum|stream|forward|tcp-connect|reverse/i.test(l))
      .slice(-25)
      .join('\n');
  return `--- a ---\n${tail(world.a)}\n--- b ---\n${tail(world.b)}`;
}
