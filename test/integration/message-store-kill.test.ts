/**
 * Messages between two real processes on loopback, each with its store on disk, killed with SIGKILL
 * at moments the test picks: nothing the sender was told is queued is lost, nothing reaches the
 * receiver's inbox twice, and per topic the inbox holds them in the order sent (issue 54, check 2,
 * at the level of the store and sessions: the agent's wiring comes later).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMessageStore } from '../../src-main/messages/message-store.js';
import { sleep, until } from '../helpers/wait.js';
import { sourceEntry } from '../helpers/transpiled.js';

const CHILD = fileURLToPath(new URL('../helpers/message-store-child.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first line (from the start) matching `re`; rejects after `ms`. */
  line(re: RegExp, ms?: number): Promise<string>;
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();

function start(args: string[]): Child {
  const proc = spawn(process.execPath, [...sourceEntry(CHILD), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  const lines: string[] = [];
  let rest = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    const parts = (rest + c).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => (children.delete(proc), resolve())));
  return {
    proc,
    lines,
    exited,
    line(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line like ${re} within ${ms} ms; stderr: ${err.slice(-2000)}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

async function kill9(c: Child): Promise<void> {
  c.proc.kill('SIGKILL');
  await c.exited;
}

async function stop(c: Child): Promise<void> {
  c.proc.kill('SIGTERM');
  await c.exited;
}

/** Waits until the sender reports nothing pending (after `since` lines), bounded. */
async function drained(sender: Child, ms = 60_000): Promise<void> {
  const since = sender.lines.length;
  await until(
    'the sender to have nothing pending',
    () => sender.lines.slice(since).includes('PENDING 0'),
    ms,
  );
}

function dirs(t: { after(fn: () => void | Promise<void>): void }) {
  const root = mkdtempSync(join(tmpdir(), 'cb-msgkill-'));
  t.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await until('the children to exit', () => children.size === 0);
    rmSync(root, { recursive: true, force: true });
  });
  return { shared: root, a: join(root, 'a'), b: join(root, 'b') };
}

/** The receiver's inbox and the sender's outbox, read from disk once both processes are gone. */
async function finalState(d: { a: string; b: string }) {
  const sender = await openMessageStore(d.a);
  const receiver = await openMessageStore(d.b);
  const inbox = receiver.inbox.list();
  const outbox = sender.outbox.list();
  await sender.close();
  await receiver.close();
  return { inbox, outbox };
}

function assertOrderPerTopic(ids: { id: string; topic: string }[]): void {
  for (const topic of ['t0', 't1', 't2']) {
    const inTopic = ids.filter((e) => e.topic === topic).map((e) => e.id);
    assert.deepEqual(inTopic, [...inTopic].sort(), `topic ${topic} in the order sent`);
  }
}

test('200 messages queued with the receiver stopped, the sender killed -9 right after, restarted, then the receiver: all 200, once, in order', async (t) => {
  const d = dirs(t);
  mkdirSync(d.a);
  mkdirSync(d.b);
  const first = start(['send', d.a, d.shared, '200']);
  await first.line(/^ALL QUEUED$/);
  await kill9(first);
  const queued = first.lines.filter((l) => l.startsWith('QUEUED ')).map((l) => l.slice(7));
  assert.equal(queued.length, 200);
  const sender = start(['send', d.a, d.shared]);
  const receiver = start(['receive', d.b, d.shared]);
  await receiver.line(/^READY$/);
  await drained(sender);
  await stop(sender);
  await stop(receiver);
  const { inbox, outbox } = await finalState(d);
  assert.deepEqual(inbox.map((e) => e.id).sort(), [...queued].sort(), 'exactly those 200');
  assert.equal(new Set(receiver.lines.filter((l) => l.startsWith('ACCEPTED '))).size, 200);
  assertOrderPerTopic(inbox);
  assert.deepEqual(
    outbox.map((e) => e.state),
    new Array<string>(200).fill('delivered'),
  );
});

test('kill -9 of either side mid-way, again and again: nothing queued is lost, nothing accepted twice, order per topic kept', async (t) => {
  const d = dirs(t);
  mkdirSync(d.a);
  mkdirSync(d.b);
  let receiver = start(['receive', d.b, d.shared]);
  await receiver.line(/^READY$/);
  const accepted: string[] = [];
  const queued: string[] = [];
  const collect = (c: Child, into: string[], prefix: string) => {
    for (const l of c.lines) if (l.startsWith(prefix)) into.push(l.slice(prefix.length).split(' ')[0]!);
  };
  // Three rounds: a sender queueing 1,000 is killed while it queues (and delivers), the receiver is
  // killed while messages arrive, and a restarted sender is killed too; each restarted.
  for (let round = 0; round < 3; round++) {
    const sender = start(['send', d.a, d.shared, '1000']);
    await sender.line(new RegExp(`^QUEUED `));
    await sleep(Math.floor(Math.random() * 40), 'a random moment to kill it in');
    await kill9(sender);
    collect(sender, queued, 'QUEUED ');
    const redeliver = start(['send', d.a, d.shared]);
    await redeliver.line(/^PENDING /);
    await sleep(Math.floor(Math.random() * 100), 'a random moment to kill it in');
    await kill9(receiver);
    collect(receiver, accepted, 'ACCEPTED ');
    receiver = start(['receive', d.b, d.shared]);
    await receiver.line(/^READY$/);
    await sleep(Math.floor(Math.random() * 100), 'a random moment to kill it in');
    await kill9(redeliver);
  }
  const sender = start(['send', d.a, d.shared]);
  await drained(sender);
  await stop(sender);
  await stop(receiver);
  collect(receiver, accepted, 'ACCEPTED ');
  const { inbox, outbox } = await finalState(d);
  const inboxIds = inbox.map((e) => e.id);
  assert.ok(queued.length > 0, 'queued.length > 0');
  for (const id of queued) assert.ok(inboxIds.includes(id), `queued ${id} is not in the inbox`);
  assert.equal(new Set(accepted).size, accepted.length, 'no message accepted twice');
  assert.deepEqual(
    [...inboxIds].sort(),
    outbox.map((e) => e.id).sort(),
    'the inbox holds exactly the outbox',
  );
  for (const e of outbox) assert.equal(e.state, 'delivered');
  assertOrderPerTopic(inbox);
  t.diagnostic(
    `${queued.length} confirmed queued, ${outbox.length} in the outbox, ${accepted.length} acceptances seen`,
  );
});
