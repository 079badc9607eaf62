/**
 * A viewer that stops reading (issue 85 item 4, docs/adr/0123-shared-terminals.md §4): A opens a
 * terminal on B and shares it with C and D, both A's peers and not B's, reaching B only through the
 * relay. C joins and then reads nothing (its control socket paused, as a page whose WebSocket stalls);
 * D reads. B's session prints SEQ_LINES numbers in bursts, ~47 MB, far more than any bound on the way.
 * A and D get every line in order and the session ends — a viewer that paced the shell would have
 * stopped it for good — while neither B's agent nor its session host grows by as much as the output
 * (the figures are printed); C, reading again seconds after it was let go and while the output still
 * runs, is told it fell behind (before ADR 0123's 2026-11-30 amendment it read only that its
 * connection to B was lost).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connectControlSocket } from '../../src-main/api/control-client.js';
import { requestStreamUpgrade } from '../../src-main/api/stream-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import {
  encodeTerminalFrame,
  TerminalFrameDecoder,
  type TerminalFrame,
} from '../../src-main/protocol/terminal-frames.js';
import { FELL_BEHIND } from '../../src-main/terminal/sessions/session-watchers.js';
import { agentCall, peerOf, startAgent, startRelay, stopAll, tempHome } from '../helpers/processes.js';
import { addPeerAs, sessionHostPid } from './terminal-setup.js';
import { until } from '../helpers/wait.js';

after(stopAll);

const skip = process.platform !== 'linux' ? 'reads /proc' : false;

/** Lines of output in each burst (~0.6 MB), under a third of the replay buffer. */
const BURST_LINES = 60_000;
/** Bursts: SEQ_LINES lines, ~47 MB through the PTY, 22× the replay buffer. */
const BURSTS = 100;
const SEQ_LINES = BURST_LINES * BURSTS;
/**
 * The program: 1 to SEQ_LINES in bursts, a pause between two (100 ms). A burst goes out as fast as the
 * sharer takes it; the pause lets a reading viewer on a slower path (the relay, the sharer being
 * direct) catch up, as a person's commands print between pauses, so it is not cut for its path.
 */
const PRINT = `i=0; while [ $i -lt ${BURSTS} ]; do seq $((i*${BURST_LINES}+1)) $((i*${BURST_LINES}+${BURST_LINES})); i=$((i+1)); sleep 0.1; done`;
/**
 * Most B's agent or its session host may grow while the output runs, each, in bytes (32 MiB): a
 * watcher's piece, stream windows and socket buffers, and the heaps' and allocator's own growth under
 * this much output (12–20 MiB each, measured); the stalled viewer's copy of the output, held in either,
 * would add ~47 MB.
 */
const GROWTH_BOUND = 32 * 1024 * 1024;
/**
 * Output D has had when C reads again (32 MiB of ~47): far past what the replay buffer holds, seconds
 * after C was let go, and while the output still runs.
 */
const LET_GO_BYTES = 32 * 1024 * 1024;
/** How long the output may take to reach A and D, in ms (a few seconds on an idle machine). */
const OUTPUT_MS = 180_000;
const READY = 'ready-to-print';
const DONE = 'printed-all';

/** Resident bytes of `pid` now, from /proc. */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) * 1024 : 0;
}

/**
 * Reads a terminal's frames and checks, line by line as they come and without keeping them, that after
 * READY the output is 1, 2, … SEQ_LINES and then DONE.
 */
function seqReader(socket: Socket, first: Buffer) {
  const decoder = new TerminalFrameDecoder();
  const state = {
    next: 1,
    started: false,
    done: false,
    wrong: '',
    bytes: 0,
    last: undefined as TerminalFrame | undefined,
  };
  let pending = '';
  const line = (l: string) => {
    if (state.done || state.wrong) return;
    if (!state.started) {
      state.started = l.endsWith(READY);
      return;
    }
    if (state.next > SEQ_LINES) {
      if (l === DONE) state.done = true;
      else state.wrong = `after ${SEQ_LINES}: '${l.slice(0, 40)}'`;
    } else if (l === String(state.next)) state.next++;
    else state.wrong = `expected ${state.next}, got '${l.slice(0, 40)}'`;
  };
  const take = (bytes: Buffer) => {
    for (const f of decoder.push(bytes)) {
      state.last = f;
      if (f.type !== 'data') continue;
      state.bytes += f.data.length;
      pending += Buffer.from(f.data).toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop()!;
      for (const l of lines) line(l);
    }
  };
  take(first);
  socket.on('data', take);
  socket.resume();
  return state;
}

/** Collects every frame of a view (for the stalled viewer once it reads again, and its second join). */
function frameReader(socket: Socket, first: Buffer) {
  const decoder = new TerminalFrameDecoder();
  const frames: TerminalFrame[] = [];
  let closed = false;
  const take = (bytes: Buffer) => {
    for (const f of decoder.push(bytes)) if (f.type !== 'data') frames.push(f);
  };
  take(first);
  socket.on('data', take);
  socket.on('close', () => (closed = true));
  socket.resume();
  return {
    frames,
    get closed() {
      return closed;
    },
  };
}

async function join(home: string, share: string) {
  const socket = await connectControlSocket(controlSocketPath(home), home);
  const { rest } = await requestStreamUpgrade(socket, 'terminal.join', { share, cols: 80, rows: 24 });
  return { socket, rest };
}

test(
  'a viewer that stops reading costs B bounded memory, holds back neither A nor the other viewer, and is told it fell behind',
  { skip, timeout: 300_000 },
  async () => {
    const relay = await startRelay();
    const homes = ['a', 'b', 'c', 'd'].map((n) => tempHome(`stalled-${n}`));
    const [homeA, homeB, homeC, homeD] = homes as [string, string, string, string];
    const [a, b, c, d] = await Promise.all([
      startAgent(homeA, { name: 'a', relay: relay.url, listen: '127.0.0.1:0' }),
      // A small young generation (its host inherits it), so the heaps' own growth under this much
      // output does not hide what is held: V8 otherwise grows it by tens of MiB in each process.
      startAgent(homeB, {
        name: 'b',
        relay: relay.url,
        listen: '127.0.0.1:0',
        env: { NODE_OPTIONS: '--max-semi-space-size=1' },
      }),
      startAgent(homeC, { name: 'c', relay: relay.url, listen: false }),
      startAgent(homeD, { name: 'd', relay: relay.url, listen: false }),
    ]);
    const sockets: Socket[] = [];
    try {
      await Promise.all([
        addPeerAs(homeA, homeB, 'b'),
        addPeerAs(homeB, homeA, 'a'),
        addPeerAs(homeA, homeC, 'c'),
        addPeerAs(homeC, homeA, 'a'),
        addPeerAs(homeA, homeD, 'd'),
        addPeerAs(homeD, homeA, 'a'),
      ]);
      for (const peer of ['b', 'c', 'd'])
        await until(`a linked to ${peer}`, async () => (await peerOf(homeA, peer))?.state === 'online');

      // A's terminal on B: says it is ready, waits for A's word, prints the numbers, then ends.
      const socketA = await connectControlSocket(controlSocketPath(homeA), homeA);
      sockets.push(socketA);
      const opened = await requestStreamUpgrade(socketA, 'terminal.open', {
        peer: 'b',
        command: ['sh', '-c', `stty -echo; echo ${READY}; read go; ${PRINT}; echo ${DONE}`],
        cols: 80,
        rows: 24,
      });
      const seenA = seqReader(socketA, opened.rest);
      await until('A sees its terminal ready', () => seenA.started);

      const shared = await agentCall(homeA, 'terminal.share', { id: opened.result.id, with: ['c', 'd'] });
      for (const home of [homeC, homeD])
        await until('the viewer is told of the share', async () =>
          (await agentCall(home, 'terminal.sessions', {})).offered.some((o) => o.share === shared.share),
        );
      // C joins and reads nothing from here on: its socket stays paused after the upgrade.
      const stalled = await until('C joins', () => join(homeC, shared.share));
      sockets.push(stalled.socket);
      const viewD = await until('D joins', () => join(homeD, shared.share));
      sockets.push(viewD.socket);
      const seenD = seqReader(viewD.socket, viewD.rest);
      await until('D sees the screen', () => seenD.started);
      await until('B counts both viewers watching', async () => {
        const { viewers } = await agentCall(homeA, 'terminal.viewers', { id: opened.result.id });
        return viewers.filter((v) => v.watching).length === 2;
      });

      const host = sessionHostPid(homeB);
      assert.ok(host, "B's session runs in its session host");
      const pids = [b.child.pid!, host];
      const before = pids.map(rss);
      let peak = before.map(() => 0);
      let lag = 0;
      const sampler = setInterval(() => {
        try {
          peak = pids.map((pid, i) => Math.max(peak[i]!, rss(pid) - before[i]!));
          lag = Math.max(lag, seenA.bytes - seenD.bytes);
        } catch {
          // the host exits once its session is gone
        }
      }, 100);

      const startedAt = Date.now();
      socketA.write(encodeTerminalFrame({ type: 'data', data: Buffer.from('go\r') }));
      // Once the output is far past what the replay buffer holds, and while it still runs, C reads
      // again: what was queued for it, then why it was let go.
      const readC = until('D to be far into the output', () => seenD.bytes > LET_GO_BYTES, OUTPUT_MS).then(
        () => frameReader(stalled.socket, stalled.rest),
      );
      try {
        await until(
          'A and D to get every line',
          () => {
            if (seenA.wrong || seenD.wrong) throw new Error(`A: ${seenA.wrong}; D: ${seenD.wrong}`);
            return seenA.done && seenD.done;
          },
          { timeoutMs: OUTPUT_MS, everyMs: 100 },
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}: lag ${lag}: A at line ${seenA.next} (${seenA.bytes} bytes, last ${JSON.stringify(seenA.last)}), D at ${seenD.next} (${seenD.bytes} bytes, last ${JSON.stringify(seenD.last)?.slice(0, 200)})`,
        );
      } finally {
        clearInterval(sampler);
      }
      assert.equal(seenA.wrong || seenD.wrong, '', 'A and D got the lines in order');
      await until(
        'the session ends for A and D',
        () => seenA.last?.type === 'exit' && seenD.last?.type === 'exit',
      );
      const tookMs = Date.now() - startedAt;
      const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
      console.log(
        `# ${mib(seenA.bytes)} MiB of output in ${tookMs} ms, D at most ${mib(lag)} MiB behind A; B's agent grew ${mib(peak[0]!)} MiB, its session host ${mib(peak[1]!)} MiB at most (from ${mib(before[0]!)} and ${mib(before[1]!)} MiB)`,
      );
      for (const [i, who] of ['agent', 'session host'].entries())
        assert.ok(
          peak[i]! < GROWTH_BOUND,
          `B's ${who} grew ${mib(peak[i]!)} MiB while ${mib(seenA.bytes)} MiB went out (bound ${mib(GROWTH_BOUND)} MiB): the stalled viewer's output was held`,
        );

      const viewC = await readC;
      await until('C is let go', () => viewC.closed);
      assert.deepEqual(
        viewC.frames.at(-1),
        { type: 'error', message: FELL_BEHIND },
        `C is told it fell behind (its frames but DATA: ${JSON.stringify(viewC.frames)})`,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await Promise.all([a.stop(), b.stop(), c.stop(), d.stop(), relay.proc.stop()]);
    }
  },
);
