/**
 * A hostile member's 16 devices against a group device whose shell echo is timed
 * (docs/adr/0097-group-exchange-work-per-member.md). O, a real agent, is a device of `lab`; mira is a
 * member whose 16 devices are identities in this process, each linked to O directly as the group's
 * guest (test/helpers/raw-peer.ts). One of them has a shell open on O. Then every one of them floods
 * O with `groups` exchanges as fast as O lets it: 1,023 validly signed records of its own and one
 * whose signature does not hold, each exchange refused whole. Meanwhile the test times the shell's
 * echo and `status`.
 *
 * Before the fix, O checked every signature of every exchange on its event loop (about a third of a
 * second an exchange, dozens of them queued): an echo waited more than 30 s. Now O stays answering, and
 * its log says what the flood cost it: a bounded number of signatures, the rest refused as busy
 * before any was checked.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Identity } from '../../src-main/crypto/identity.js';
import {
  GROUP_RECORD_CONTEXT,
  groupRecordBytes,
  type GroupRecord,
} from '../../src-main/protocol/group-records.js';
import { GROUPS_OPEN_ARGS, GROUPS_SERVICE } from '../../src-main/groups/group-lines.js';
import { MAX_NEW_RECORDS_PER_MEMBER_MINUTE } from '../../src-main/groups/group-record-checks.js';
import { loadOrCreateIdentity } from '../../src-main/home/identity-store.js';
import type { MuxStream } from '../../src-main/mux/mux.js';
import { TERMINAL_PROTOCOL_VERSION, TERMINAL_SERVICE } from '../../src-main/protocol/terminal-frames.js';
import { AT, device, member, memberDevice, rec, settings } from '../helpers/group-records.js';
import { testIdentity } from '../helpers/identities.js';
import { agentCall, startAgent, stopAll, tempHome } from '../helpers/processes.js';
import { linkRawPeer, type RawPeer } from '../helpers/raw-peer.js';
import { watchTerminal } from '../helpers/terminal-viewer.js';
import { sleep, until } from '../helpers/wait.js';

after(stopAll);

/** A member's devices: as many as a member may name. */
const DEVICES = 16;
/** Records one flood exchange carries: the most one may, the last one's signature broken. */
const RECORDS = 1024;
/** How long the devices flood, in ms. */
const FLOOD_MS = 20_000;
/**
 * The slowest echo or `status` answer the test accepts during the flood, in ms: far above what a
 * quiet machine gives (under 100 ms), far below what the unbounded checks took (an echo waited more
 * than 30 s).
 */
const SLOWEST_MS = 3_000;

/** `count` distinct records signed by `by` (settings of groups nobody here knows), the last one broken. */
function floodLines(by: Identity, count: number): Buffer {
  const key = createPrivateKey(by.keyPem);
  const byCert = Buffer.from(by.certDer).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const group = `${by.fingerprint.slice(0, 24)}${i.toString(16).padStart(8, '0')}`;
    const unsigned = {
      v: 1 as const,
      kind: 'settings' as const,
      group,
      subject: group,
      name: `flood ${i}`,
      allow: ['terminal'],
      seq: 1,
      by: by.fingerprint,
      byCert,
      at: AT,
    };
    const msg = Buffer.concat([Buffer.from(`${GROUP_RECORD_CONTEXT}\0`), groupRecordBytes(unsigned)]);
    const sig = sign('sha256', msg, { key, dsaEncoding: 'ieee-p1363' });
    // The last one is signed over other bytes: its signature does not hold.
    if (i === count - 1) sig[5] = (sig[5] ?? 0) ^ 0xff;
    const record: GroupRecord = { ...unsigned, sig: sig.toString('base64') };
    lines.push(JSON.stringify({ record }));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** One exchange on `raw`: `lines` sent, the answer read to its end; false when O refused the stream. */
async function floodOnce(raw: RawPeer, lines: Buffer): Promise<boolean> {
  let stream: MuxStream;
  try {
    stream = await raw.mux.open(GROUPS_SERVICE, GROUPS_OPEN_ARGS);
  } catch {
    return false;
  }
  stream.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.resume();
    stream.end(lines);
  });
  return true;
}

test(
  "a group device's shell echo and status stay quick while a member floods it from 16 devices",
  { timeout: 240_000 },
  async () => {
    const home = tempHome('flood-o');
    const o = await loadOrCreateIdentity(home);
    const m = await Promise.all(Array.from({ length: DEVICES }, (_, i) => testIdentity(`flood m${i}`)));
    const root = m[0]!;
    // Made first: signing them takes this process a while, and a link does not wait that long.
    const floods = m.map((d) => floodLines(d, RECORDS));
    const records = [
      rec(o, 1, settings('lab')),
      rec(o, 1, device(o, 'o')),
      rec(o, 1, member(root, 'mira')),
      ...m.slice(1).map((d, i) => rec(root, 1, memberDevice(root, d, `m${i + 1}`))),
    ];
    writeFileSync(join(home, 'groups.json'), JSON.stringify({ version: 1, records, joined: {} }), {
      mode: 0o600,
    });
    const agent = await startAgent(home, { name: 'o', listen: '127.0.0.1:0', ui: false });
    assert.equal(agent.fingerprint, o.fingerprint, 'the agent is the identity that signed the group');
    const links = await Promise.all(m.map((d) => linkRawPeer(d, agent.listen!, o.fingerprint)));
    await until(
      "mira's devices are O's guests",
      async () => {
        const peers = (await agentCall(home, 'peers.list', {})) as { fingerprint: string }[];
        return m.every((d) => peers.some((p) => p.fingerprint === d.fingerprint));
      },
      30_000,
    );

    // A shell on O, opened by one of mira's devices (the group grants `terminal`).
    const shell = await links[1]!.mux.open(TERMINAL_SERVICE, {
      v: TERMINAL_PROTOCOL_VERSION,
      command: ['/bin/sh'],
      cols: 80,
      rows: 24,
    });
    shell.on('error', () => undefined);
    const viewer = watchTerminal(
      {
        write: (b) => shell.write(b),
        onBytes: (l) => shell.on('data', l),
        onClosed: (l) => shell.on('close', l),
      },
      new Uint8Array(),
      true,
    );
    let probes = 0;
    /** How long the shell takes to echo a new word, in ms. */
    const echo = async () => {
      const word = `w${++probes}x`;
      const started = performance.now();
      viewer.type(`: ${word}\r`);
      await until(`the echo of ${word}`, () => viewer.text.includes(word), 30_000);
      return performance.now() - started;
    };
    const status = async () => {
      const started = performance.now();
      await agentCall(home, 'status', {});
      return performance.now() - started;
    };
    const quiet = { echo: await echo(), status: await status() };

    const floodEnds = Date.now() + FLOOD_MS;
    let exchanges = 0;
    let refusedStreams = 0;
    const flooders = links.map(async (raw, i) => {
      for (let n = 0; n < 10_000 && Date.now() < floodEnds; n++) {
        if (await floodOnce(raw, floods[i]!)) exchanges++;
        else {
          refusedStreams++;
          await sleep(100, 'a device O refused knocks again a little later, as fast as a flooder may');
        }
      }
    });
    const echoes: number[] = [];
    const statuses: number[] = [];
    for (let n = 0; n < 1_000 && Date.now() < floodEnds; n++) {
      echoes.push(await echo());
      statuses.push(await status());
      await sleep(200, 'the probes sample the flood, they do not add to it');
    }
    await Promise.all(flooders);
    for (const l of links) l.close();

    const log = agent.stdout() + agent.stderr();
    const refusals = [
      ...log.matchAll(/group records from .* refused: (.*); nothing applied \((\d+) signatures checked\)/g),
    ];
    const busy = refusals.filter((r) => r[1]!.startsWith('busy:')).length;
    const signatures = refusals.reduce((sum, r) => sum + Number(r[2]), 0);
    const slowest = { echo: Math.max(...echoes), status: Math.max(...statuses) };
    const middle = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const typical = { echo: middle(echoes), status: middle(statuses) };
    const summary = JSON.stringify({
      quiet,
      typical,
      slowest,
      probes: echoes.length,
      exchanges,
      refusedStreams,
      busy,
      signatures,
    });
    assert.ok(echoes.length >= 5, `the shell was timed during the flood: ${summary}`);
    assert.ok(slowest.echo < SLOWEST_MS, `the shell echoed within ${SLOWEST_MS} ms: ${summary}`);
    assert.ok(slowest.status < SLOWEST_MS, `status answered within ${SLOWEST_MS} ms: ${summary}`);
    assert.ok(exchanges > DEVICES, `the devices flooded O: ${summary}`);
    assert.ok(busy > 0, `O refused exchanges as busy, before checking any signature: ${summary}`);
    // One member's budget, and a minute's refill over the flood (it is well under a minute).
    assert.ok(
      signatures <= 2 * MAX_NEW_RECORDS_PER_MEMBER_MINUTE,
      `O checked at most its budget of mira's signatures: ${summary}`,
    );
    console.log(`flood: ${summary}`);
  },
);
