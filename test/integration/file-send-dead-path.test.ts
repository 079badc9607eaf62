/**
 * Must-be-true 2 of issue 55 item 1, first half: the direct path frozen halfway through a big file
 * (64 MiB here; FILE_SEND_BIG_MIB=300 for the issue's size) and the transfer finishes over the relay,
 * byte-exact, without starting over — the receiver's WANT on the relay stream says it holds what came
 * over direct, and the sender carries on from there. As in dead-path-fallback.test.ts, b is reachable
 * directly only through a TCP port forward in its namespace, which SIGSTOP freezes (a path that drops
 * packets instead of closing); the relay lives on the namespaces' veth.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransferInfo } from '../../src-main/files/files-contract.js';
import { controlConnection } from '../helpers/control-connection.js';
import { netnsUnavailable } from '../helpers/netns.js';
import { linkThroughForward, startNetnsAgents, type NetnsAgents } from '../helpers/netns-agents.js';
import { cli, peerOf, startProcess, stopAll } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';

const BIG_MIB = Number(process.env.FILE_SEND_BIG_MIB ?? 64);

let world: NetnsAgents | undefined;
after(() => world?.end() ?? stopAll());

test(
  'the direct path frozen halfway: the file finishes over the relay from where it was, byte-exact',
  { timeout: 600_000 },
  async (t) => {
    const why = netnsUnavailable();
    if (why) return t.skip(why);
    world = await startNetnsAgents('fdp', { env: { CLAWBRIDGE_LOG: 'info' }, args: ['--no-ui'] });
    const { homeA, homeB, a } = world;
    const forward = await linkThroughForward(world, { forwardPort: 7623, allow: 'files', timeoutMs: 60_000 });

    const src = mkdtempSync(join(tmpdir(), 'cb-fdp-'));
    const file = join(src, 'big.bin');
    writeFileSync(file, randomBytes(BIG_MIB * 1024 * 1024));
    const total = BIG_MIB * 1024 * 1024;
    const send = startProcess(['file', 'send', 'b', file, '--json', '--home', homeA]);
    world.own(send.child);
    const onB = await controlConnection(homeB);
    const held = await until(
      'b to hold part of the file',
      async () => {
        const list = (await onB.call('files.transfers', {})) as TransferInfo[];
        const tr = list.find((x) => x.direction === 'in');
        return tr && tr.bytesDone > total / 4 && tr.bytesDone < (total * 3) / 4 && tr.bytesDone;
      },
      { timeoutMs: 120_000, everyMs: 10 },
    );
    assert.ok(held > 0, 'b held part of the file while the direct path was up');
    assert.equal((await peerOf(homeA, 'b'))?.path, 'direct', 'the transfer started on the direct path');
    process.kill(forward.pid!, 'SIGSTOP');
    const code = await new Promise<number | null>((resolve) => send.child.once('exit', resolve));
    const lines = send
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TransferInfo & { event: string });
    assert.equal(
      code,
      0,
      `file send: ${send.stderr()}\n${a
        .stderr()
        .split('\n')
        .filter((l) => /link|files/.test(l))
        .slice(-10)
        .join('\n')}`,
    );
    assert.equal(lines.at(-1)?.event, 'done');
    assert.equal((await peerOf(homeA, 'b'))?.path, 'relay', 'finished over the relay');
    // After the cut: the transfer waited, then carried on from at least what b held when it froze.
    const waited = lines.findIndex((l) => l.state === 'waiting' && l.bytesDone >= held);
    assert.ok(waited > 0, 'the transfer said it waited once the direct path froze');
    const carriedOn = lines.slice(waited).find((l) => l.state === 'sending');
    assert.ok(
      carriedOn && carriedOn.bytesDone >= held - 1,
      `carried on at ${carriedOn?.bytesDone}, b held ${held}`,
    );
    const bytesSent = lines.at(-1)?.bytesSent ?? 0;
    console.log(
      `[file-dead-path] b held ${held} of ${total} at the freeze; carried on at ${carriedOn.bytesDone}; ${bytesSent} bytes sent in all`,
    );
    assert.ok(bytesSent < total + total / 4, `${bytesSent} bytes sent for ${total}: not started over`);
    const out = mkdtempSync(join(tmpdir(), 'cb-fdp-out-'));
    const got = await cli(['file', 'get', out, '--home', homeB]);
    assert.equal(got.code, 0, got.stderr);
    const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.equal(hash(join(out, 'big.bin')), hash(file));
  },
);
