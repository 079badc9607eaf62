/**
 * Issue 86 with a relay and one agent, through the CLI a person runs (ADR 0124): `file send PATH
 * --code` on the agent and `file receive LINK` from a process with no agent, no home and no pairing
 * (items 1 and 3): the file arrives byte-exact, and afterwards the sender lists no new peer and no
 * pending request; a wrong code tried once ends the offer, and the right one is refused after it;
 * a used and an expired code are refused with a clear message; a folder arrives whole, and a name
 * that exists in the target already is kept, the new one renamed; the relay restarted with half
 * of a file across carries on from what arrived (item 4), and the link lost after the receiver's
 * COMPLETE and before the sender read it ends done on both sides; the receiver's link moves onto a
 * splice through the relay as a paired agent's does, and its V8 compilers come on when the transfer
 * starts, as an agent's do (item 5: as fast as `file send`).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { receiveWithCode } from '../../src-main/files/code-receiver.js';
import type { CodeOfferInfo } from '../../src-main/files/files-contract.js';
import {
  agentCall,
  cli,
  startAgent,
  startProcess,
  startRelay,
  stopAll,
  tempHome,
  type AgentProc,
  type Proc,
  type RelayProc,
  V8_TRACE_FLAGS,
} from '../helpers/processes.js';
import { SPARKPLUG_LINE, TURBOFAN_LINE } from '../helpers/traced-agent.js';
import { until } from '../helpers/wait.js';

after(stopAll);

let sender: { home: string; agent: AgentProc };
let relay: RelayProc;
let work = '';

before(async () => {
  relay = await startRelay();
  const home = tempHome('code-sender');
  sender = { home, agent: await startAgent(home, { name: 'sender', relay: relay.url }) };
  work = tempHome('code-work');
});

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every file under `root`, relative, with its SHA-256. */
function treeOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(root, p)] = sha(p);
    }
  };
  walk(root);
  return out;
}

/** `file send PATHS --code --json` on the sender's agent, and the offer its first line names. */
async function offer(paths: string[], extra: string[] = []): Promise<{ proc: Proc; offer: CodeOfferInfo }> {
  const proc = startProcess(['file', 'send', ...paths, '--code', '--json', '--home', sender.home, ...extra]);
  const line = await proc.waitForLine(/^\{"event":"code".*\}$/m, 60_000);
  return { proc, offer: JSON.parse(line[0]) as CodeOfferInfo };
}

/** The send command's end: its exit code and its last JSON line's event. */
async function ended(proc: Proc): Promise<{ code: number | null; last: { event: string; why?: string } }> {
  await until('the send command ended', () => proc.child.exitCode !== null, 90_000);
  // The last event line (a failure's error line comes after it).
  const events = proc
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event?: string; why?: string })
    .filter((l) => l.event !== undefined);
  return { code: proc.child.exitCode, last: events.at(-1) as { event: string; why?: string } };
}

/** A code with one character of its secret changed: the same rendezvous, the wrong password. */
function wrongCode(code: string): string {
  const last = code.at(-1)!;
  return code.slice(0, -1) + (last === '7' ? '8' : '7');
}

test(
  'file send --code and file receive LINK with no agent: byte-exact; no new peer or request on the sender',
  { timeout: 240_000 },
  async () => {
    const big = join(work, 'big.bin');
    writeFileSync(big, randomBytes(12 * 1024 * 1024 + 333));
    const before = await agentCall(sender.home, 'peers.list', {});
    const { proc, offer: o } = await offer([big]);
    assert.match(o.code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'a code to read aloud');
    assert.ok(o.link.startsWith('clawbridge://file?'), `a link that names the relay: ${o.link}`);
    assert.ok(o.page?.includes(`#receive=${o.code}`), `the relay page's link: ${o.page}`);
    const to = join(work, 'received');
    const got = await cli(['file', 'receive', o.link, '--to', to], 180_000);
    assert.equal(got.code, 0, `file receive: ${got.stderr}`);
    assert.match(got.stdout, /from sender, fingerprint [0-9a-f]{4} /, 'the sender and its fingerprint');
    assert.match(got.stdout, /1 file \(12\.0 MiB\): big\.bin/, 'the offer: names and sizes');
    assert.match(got.stdout, /received 1 file .* every one verified/);
    assert.equal(sha(join(to, 'big.bin')), sha(big), 'byte-exact');
    assert.deepEqual(readdirSync(to), ['big.bin'], 'nothing else left in the target (no staging)');
    const end = await ended(proc);
    assert.equal(end.code, 0, `file send --code: ${proc.stderr()}`);
    assert.equal(end.last.event, 'done', 'the sender saw it done');
    assert.match(
      proc.stdout(),
      /"event":"taken".*"by":\{"name":"code receiver"/,
      'the sender saw who took it',
    );
    // The receiver was a guest for this transfer only: gone from the list once it ended.
    await until(
      'the sender lists the peers it had before',
      async () => (await agentCall(sender.home, 'peers.list', {})).length === before.length,
      30_000,
    );
    assert.deepEqual(await agentCall(sender.home, 'pending.list', {}), [], 'no pair request was made');

    // The same link again: used.
    const again = await cli(['file', 'receive', o.link, '--to', to], 60_000);
    assert.notEqual(again.code, 0, 'a used code is refused');
    assert.match(again.stderr, /no longer valid|not valid|nobody .* is waiting for it/, again.stderr);
  },
);

test(
  'a wrong code tried once ends the offer; the right one is refused after it',
  { timeout: 180_000 },
  async () => {
    const small = join(work, 'small.txt');
    writeFileSync(small, 'for the right code only\n');
    const { proc, offer: o } = await offer([small]);
    const wrong = o.link.replace(o.code, wrongCode(o.code));
    const tried = await cli(['file', 'receive', wrong, '--to', join(work, 'wrong')], 60_000);
    assert.notEqual(tried.code, 0, 'a wrong code fails');
    assert.match(
      tried.stderr,
      /the code was wrong .* one try per code, so that offer has ended/,
      tried.stderr,
    );
    const end = await ended(proc);
    assert.notEqual(end.code, 0, 'the offer ended with the wrong guess');
    assert.match(end.last.why ?? '', /wrong code was tried/, JSON.stringify(end.last));
    const right = await cli(['file', 'receive', o.link, '--to', join(work, 'wrong')], 60_000);
    assert.notEqual(right.code, 0, 'the right code is no good after a wrong guess');
    assert.match(right.stderr, /nobody .* is waiting for it|not valid/, right.stderr);
  },
);

test('an expired code is refused with a clear message', { timeout: 120_000 }, async () => {
  const small = join(work, 'expiring.txt');
  writeFileSync(small, 'too late\n');
  const { proc, offer: o } = await offer([small], ['--ttl', '10']);
  const end = await ended(proc);
  assert.notEqual(end.code, 0, 'the offer ended unsent');
  assert.equal(end.last.event, 'expired', JSON.stringify(end.last));
  const late = await cli(['file', 'receive', o.link, '--to', join(work, 'late')], 60_000);
  assert.notEqual(late.code, 0, 'an expired code is refused');
  assert.match(late.stderr, /expired/, late.stderr);
  const short = await cli(['file', 'receive', 'K7QX-M2RT', '--to', join(work, 'late'), '--no-agent']);
  assert.notEqual(short.code, 0, 'a malformed code is refused');
  assert.match(
    short.stderr,
    /the file code must be 12 characters \(like K7QX-M2RT-9WZA\), got 8/,
    `named as the file code it is, not a pairing's: ${short.stderr}`,
  );
});

test(
  'a folder arrives whole; a name in the target already is kept and the new one renamed',
  { timeout: 180_000 },
  async () => {
    const folder = join(work, 'photos');
    for (let i = 0; i < 40; i++) {
      mkdirSync(join(folder, `day ${i % 4}`), { recursive: true });
      writeFileSync(join(folder, `day ${i % 4}`, `pic ${i}.jpg`), randomBytes(1000 + i * 97));
    }
    const to = join(work, 'folder-target');
    mkdirSync(join(to, 'photos'), { recursive: true });
    writeFileSync(join(to, 'photos', 'mine.txt'), 'already here\n');
    const { proc, offer: o } = await offer([folder]);
    const got = await cli(['file', 'receive', o.link, '--to', to], 120_000);
    assert.equal(got.code, 0, `file receive: ${got.stderr}`);
    assert.match(got.stderr, /photos exists in .* already: kept it, saved as .*photos \(1\)/, got.stderr);
    assert.deepEqual(treeOf(join(to, 'photos (1)')), treeOf(folder), 'the whole folder, byte-exact');
    assert.equal(readFileSync(join(to, 'photos', 'mine.txt'), 'utf8'), 'already here\n', 'not overwritten');
    assert.equal((await ended(proc)).code, 0, proc.stderr());
  },
);

test(
  'the link dropped at half way (the relay restarted) carries on without sending again what arrived',
  { timeout: 300_000 },
  async () => {
    const big = join(work, 'resumed.bin');
    const bytes = 48 * 1024 * 1024;
    writeFileSync(big, randomBytes(bytes));
    const { proc, offer: o } = await offer([big]);
    const to = join(work, 'resumed');
    // Through the relay (its restart is the drop): directly, the link would not notice it.
    const receiver = startProcess(['file', 'receive', o.link, '--to', to, '--json', '--no-direct']);
    const progress = () =>
      receiver
        .stdout()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{"event":"progress"'))
        .map((l) => JSON.parse(l) as { bytesDone: number });
    const atDrop = await until(
      'half of the file arrived',
      () => progress().find((p) => p.bytesDone >= bytes / 2)?.bytesDone,
      120_000,
    );
    await relay.proc.stop();
    relay = await startRelay(relay.port);
    await until('the receive command ended', () => receiver.child.exitCode !== null, 180_000);
    assert.equal(receiver.child.exitCode, 0, `file receive: ${receiver.stderr()}`);
    assert.equal(sha(join(to, 'resumed.bin')), sha(big), 'byte-exact after the drop');
    const end = await ended(proc);
    assert.equal(end.code, 0, proc.stderr());
    const done = end.last as unknown as CodeOfferInfo;
    const sent = done.progress?.bytesSent ?? 0;
    // Sending it all again would put at least what had arrived plus the whole file on the wire.
    assert.ok(sent < bytes + atDrop, `sent ${sent} bytes for ${bytes}, ${atDrop} of them there at the drop`);
  },
);

test(
  "the link lost after the receiver's COMPLETE, before the sender read it: the sender ends done, not at the code's deadline",
  { timeout: 300_000 },
  async () => {
    const file = join(work, 'complete-lost.bin');
    writeFileSync(file, randomBytes(3 * 1024 * 1024 + 7));
    const { proc, offer: o } = await offer([file]);
    const to = join(work, 'complete-lost');
    let frozen = false;
    // The receiver in this process, so the relay is frozen at the very moment: its `done` is told
    // before the COMPLETE is written, so the COMPLETE reaches a relay that no longer reads, and the
    // relay is then killed with it unread.
    const received = receiveWithCode({
      text: o.link,
      dir: to,
      // Through the relay, whose freeze and kill are the loss.
      direct: false,
      on: {
        progress: (view) => {
          if (view.state !== 'done' || frozen) return;
          frozen = true;
          process.kill(relay.proc.child.pid!, 'SIGSTOP');
        },
      },
    });
    received.catch(() => undefined);
    await until('every file was verified by the receiver', () => frozen, 120_000);
    await relay.proc.stop('SIGKILL');
    relay = await startRelay(relay.port);
    const got = await received;
    assert.equal(got.transfer.state, 'done', 'the receiver verified everything');
    assert.equal(sha(join(to, 'complete-lost.bin')), sha(file), 'byte-exact');
    // The code's deadline is 10 minutes away: ending within 90 s rules out waiting for it.
    const end = await ended(proc);
    assert.equal(end.code, 0, `file send --code: ${proc.stderr()}`);
    assert.equal(end.last.event, 'done', `the sender heard the end: ${JSON.stringify(end.last)}`);
  },
);

/** GET /metrics of the test's relay (plain http, as its ws), as text. */
function relayMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${relay.port}/metrics`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The relay's count of bytes it forwarded (circuits and splices), from its metrics. */
async function relayForwarded(): Promise<number> {
  const m = /^clawbridge_relay_bytes_forwarded_total (\d+)$/m.exec(await relayMetrics());
  assert.ok(m, 'the relay counts the bytes it forwards');
  return Number(m[1]);
}

/** The `link` events a `file receive --json` printed: the paths its links to the sender took. */
function linkEvents(stdout: string): { path: string; remote: string }[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"event":"link"'))
    .map((l) => JSON.parse(l) as { path: string; remote: string });
}

test(
  "directly when the sender's listener answers: the receive says so and the relay forwards none of the file; --no-direct goes through the relay",
  { timeout: 240_000 },
  async () => {
    const file = join(work, 'direct.bin');
    const bytes = 6 * 1024 * 1024;
    writeFileSync(file, randomBytes(bytes));
    const direct = await offer([file]);
    const before = await relayForwarded();
    const got = await cli(
      ['file', 'receive', direct.offer.link, '--to', join(work, 'direct'), '--json'],
      180_000,
    );
    assert.equal(got.code, 0, `file receive: ${got.stderr}`);
    assert.equal(sha(join(work, 'direct', 'direct.bin')), sha(file), 'byte-exact');
    const [link] = linkEvents(got.stdout);
    assert.equal(link?.path, 'direct', `linked directly: ${got.stdout.slice(0, 2000)}`);
    assert.match(
      link.remote,
      /^(\d+\.){3}\d+:\d+$|^\[[0-9a-f:.]+\]:\d+$/,
      'at one of the sender’s addresses',
    );
    const overRelay = (await relayForwarded()) - before;
    // The meeting's few frames cross the relay; a direct transfer puts none of the file there.
    assert.ok(
      overRelay < bytes / 8,
      `the relay forwarded ${overRelay} bytes of a direct transfer of ${bytes}`,
    );
    assert.equal((await ended(direct.proc)).code, 0, direct.proc.stderr());

    const relayed = await offer([file]);
    const human = await cli(
      ['file', 'receive', relayed.offer.link, '--to', join(work, 'relayed'), '--no-direct'],
      180_000,
    );
    assert.equal(human.code, 0, `file receive --no-direct: ${human.stderr}`);
    assert.match(
      human.stderr,
      /connected to sender through the relay \(ws:\/\/127\.0\.0\.1:\d+\/?\)/,
      human.stderr,
    );
    assert.equal(sha(join(work, 'relayed', 'direct.bin')), sha(file), 'byte-exact through the relay');
    assert.ok((await relayForwarded()) - before - overRelay > bytes, 'the relay carried the file');
    assert.equal((await ended(relayed.proc)).code, 0, relayed.proc.stderr());
  },
);

test(
  "the receiver's link moves onto a splice through the relay, as a paired agent's: byte-exact through it",
  { timeout: 240_000 },
  async () => {
    const file = join(work, 'spliced.bin');
    writeFileSync(file, randomBytes(64 * 1024 * 1024));
    const { proc, offer: o } = await offer([file]);
    const to = join(work, 'spliced');
    let over = false;
    const received = receiveWithCode({ text: o.link, dir: to, direct: false }).finally(() => (over = true));
    received.catch(() => undefined);
    // The splice is made once the sender's hello arrived, before the file's first bytes: the relay
    // pipes it for as long as the transfer runs.
    let spliced = false;
    await until(
      'the relay to pipe a splice, or the receiving to end',
      async () => (spliced = /^clawbridge_relay_splices 1$/m.test(await relayMetrics())) || over,
      120_000,
    );
    assert.ok(spliced, 'the link to the sender moved onto a splice while the file passed');
    await received;
    assert.equal(sha(join(to, 'spliced.bin')), sha(file), 'byte-exact through the splice');
    assert.equal((await ended(proc)).code, 0, proc.stderr());
  },
);

test(
  "file receive turns V8's compilers on when the transfer starts, not after a CLI command's start",
  { timeout: 240_000 },
  async () => {
    const file = join(work, 'compiled.bin');
    // Moved in well under the 3 CPU-s that end a CLI command's start (runtime/compiler-tiers.ts).
    writeFileSync(file, randomBytes(24 * 1024 * 1024));
    const { proc, offer: o } = await offer([file]);
    const to = join(work, 'compiled');
    const receiver = startProcess(['file', 'receive', o.link, '--to', to], {}, [], { node: V8_TRACE_FLAGS });
    await until('the receive command ended', () => receiver.child.exitCode !== null, 180_000);
    assert.equal(receiver.child.exitCode, 0, `file receive: ${receiver.stderr().slice(-2000)}`);
    assert.equal(sha(join(to, 'compiled.bin')), sha(file), 'byte-exact');
    const lines = receiver.stdout().split('\n');
    assert.ok(
      lines.some((l) => SPARKPLUG_LINE.test(l)) && lines.some((l) => TURBOFAN_LINE.test(l)),
      `Sparkplug and TurboFan compiled the transfer's code (${lines.filter((l) => SPARKPLUG_LINE.test(l)).length} Sparkplug batches, ${lines.filter((l) => TURBOFAN_LINE.test(l)).length} TurboFan functions)`,
    );
    assert.equal((await ended(proc)).code, 0, proc.stderr());
  },
);

test(
  'with an agent running in its home, file receive has the agent receive (ADR 0125): byte-exact, the same lines, no peer kept; --no-agent receives in the process',
  { timeout: 240_000 },
  async () => {
    const home = tempHome('code-receiving-agent');
    await startAgent(home, { name: 'receiving', relay: relay.url });
    const file = join(work, 'through-agent.bin');
    writeFileSync(file, randomBytes(8 * 1024 * 1024 + 77));
    const before = await agentCall(sender.home, 'peers.list', {});
    const { proc, offer: o } = await offer([file]);
    const to = join(work, 'through-agent');
    const got = await cli(['file', 'receive', o.link, '--to', to, '--home', home], 180_000);
    assert.equal(got.code, 0, `file receive: ${got.stderr}`);
    assert.match(got.stdout, /from sender, fingerprint [0-9a-f]{4} /, 'the sender and its fingerprint');
    // The agent's link to the sender, as its receive reports it (CodeReceiveInfo.link), said here too.
    assert.match(got.stderr, /connected to sender directly \(\S+:\d+\)/, got.stderr);
    assert.match(got.stdout, /1 file \(8\.0 MiB\): through-agent\.bin/, 'the offer: names and sizes');
    assert.match(got.stdout, /received 1 file .* every one verified/);
    assert.equal(sha(join(to, 'through-agent.bin')), sha(file), 'byte-exact');
    assert.deepEqual(readdirSync(to), ['through-agent.bin'], 'nothing else left in the target');
    const receives = await agentCall(home, 'files.codeReceives', {});
    assert.deepEqual(
      receives.map((r) => [r.state, r.dir, r.from?.name]),
      [['done', to, 'sender']],
      'the agent received it',
    );
    assert.equal((await ended(proc)).code, 0, proc.stderr());
    assert.deepEqual(await agentCall(home, 'peers.list', {}), [], 'the receiving agent kept no peer');
    await until(
      'the sender lists the peers it had before',
      async () => (await agentCall(sender.home, 'peers.list', {})).length === before.length,
      30_000,
    );

    // --no-agent: this process receives, the agent is not asked.
    const second = await offer([file]);
    const own = await cli(
      ['file', 'receive', second.offer.link, '--to', join(work, 'no-agent'), '--home', home, '--no-agent'],
      180_000,
    );
    assert.equal(own.code, 0, `file receive --no-agent: ${own.stderr}`);
    assert.equal(sha(join(work, 'no-agent', 'through-agent.bin')), sha(file), 'byte-exact');
    assert.equal((await agentCall(home, 'files.codeReceives', {})).length, 1, 'the agent was not asked');
    assert.equal((await ended(second.proc)).code, 0, second.proc.stderr());
  },
);

test(
  "Ctrl-C during a receive cancels it, in the agent and in the command's own process: exit 130, the sender's offer ends cancelled, nothing is kept",
  { timeout: 240_000 },
  async () => {
    const home = tempHome('code-cancelling-agent');
    await startAgent(home, { name: 'cancelling', relay: relay.url });
    const file = join(work, 'large.bin');
    // Sparse: 512 MiB the sender reads as zeros, far more than moves before the interrupt lands.
    writeFileSync(file, '');
    truncateSync(file, 512 * 1024 * 1024);
    for (const where of [['--home', home], ['--no-agent']]) {
      const { proc, offer: o } = await offer([file]);
      const to = join(work, `cancelled${where.length}`);
      const receiver = startProcess(['file', 'receive', o.link, '--to', to, ...where, '--json']);
      await receiver.waitForLine(/^\{"event":"offer".*\}$/m, 120_000);
      receiver.child.kill('SIGINT');
      await until('the receive command ended', () => receiver.child.exitCode !== null, 60_000);
      assert.equal(receiver.child.exitCode, 130, `file receive ${where.join(' ')}: ${receiver.stderr()}`);
      const end = await ended(proc);
      assert.equal(end.code, 1, `the sender's command failed: ${proc.stderr()}`);
      assert.equal(end.last.event, 'cancelled', `the offer ended ${end.last.event}`);
      assert.match(end.last.why ?? '', /code receiver cancelled the transfer/, 'the sender was told who');
      await until('the staging folder to go', () => readdirSync(to).length === 0, 30_000);
    }
    assert.equal(
      (await agentCall(home, 'files.codeReceives', {}))[0]?.state,
      'cancelled',
      "the agent's receive ended cancelled",
    );
  },
);
