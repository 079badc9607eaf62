/**
 * Rows `udp-raw` and `udp-direct`: 1,200-byte datagrams offered at TARGET_UDP_DATAGRAMS_PER_S for a few
 * seconds, straight to a sink (`udp-raw`, the control: what the sender, the sink and the kernel manage
 * without clawbridge) and through a UDP forward (`clawbridge forward add --udp`) between two real agents
 * on a direct link to the same sink (`udp-direct`); the turns alternate. Each row says how many
 * datagrams per second reached the sink and what share was lost (UDP forwards drop rather than queue, so
 * loss is the honest measure of keeping up). The sender is paced: every millisecond it sends what the
 * rate allows by then (about 50 datagrams), sleeping in between rather than spinning, so it offers a
 * steady rate and leaves the two shared cores to the agents. The sink runs in a child of its own, the
 * agents in theirs. A sender that was not scheduled in time skips datagrams rather than bursting them:
 * the rows then say what it offered (`udp-direct offered`, MISS when it skipped any), since their loss
 * and rate were measured at a lower rate than the target's. Where datagrams went is logged: the forward's own drops, and the kernel's drops per
 * socket (bench/udp-drops.ts: sender, forward listener, sink, `other` = the exit's socket).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { parseHostPort } from '../src-main/core/host-port.js';
import { startAgentPair } from './cli-agents.js';
import { cpuSeconds, dropsBetween, udpDropsByPort } from './udp-drops.js';
import { TARGET_UDP_DATAGRAMS_PER_S, type BenchResult } from './table.js';

const DATAGRAM_BYTES = 1200;
/** Seconds of one turn. */
const SECONDS = 3;
/** Turns per row, alternating (raw, forward, raw, forward…); the rows sum them. */
const TURNS = 3;
/**
 * Seconds of one uncounted turn through each path before the counted ones, as the bulk rows download an
 * uncounted 64 MiB first: the forward's first second at 50k datagrams/s runs code the agents have not
 * compiled yet and lost ~8k datagrams (1.8 % of the first counted turn), the next seconds 0–0.05 %. The
 * warm-up's loss is logged, not hidden: a user's first second of a burst like this sees it.
 */
const WARMUP_SECONDS = 1;
/** Time to let the last datagrams arrive after sending stops. */
const DRAIN_MS = 1_000;
/** Pacing tick of the sender, in ms. */
const TICK_MS = 1;
/** Kernel buffers of the bench's own sockets: as the forward asks for its sockets (udp-flow.ts). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

function bound(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', sendBufferSize: SOCKET_BUFFER_BYTES });
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

/** The sink (a 4 MiB receive buffer, as the forward asks for its sockets): counts datagrams, says its port, then every 100 ms `count firstMs lastMs` (its own clock). */
const SINK = `const s=require('dgram').createSocket({type:'udp4',recvBufferSize:${SOCKET_BUFFER_BYTES}});let n=0,f=0,l=0;
s.on('message',()=>{l=performance.now();if(n++===0)f=l;});
s.bind(0,'127.0.0.1',()=>{console.log('port '+s.address().port);setInterval(()=>console.log(n+' '+f+' '+l),100);});`;

interface Sink {
  port: number;
  count(): number;
  child: ChildProcess;
}

function startSink(): Promise<Sink> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  let count = 0;
  return new Promise((resolve, reject) => {
    let buf = '';
    child.once('error', reject);
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const port = /^port (\d+)$/.exec(line);
        if (port) {
          resolve({ port: Number(port[1]), count: () => count, child });
          continue;
        }
        count = Number(line.split(' ')[0] ?? 0);
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Offered {
  sent: number;
  seconds: number;
  /** Most datagrams sent in one tick. */
  maxBurst: number;
  /** Datagrams not sent because the sender fell behind by more than MAX_LAG_MS (it was not scheduled). */
  skipped: number;
}

/**
 * Most the sender catches up after a late tick, in ms of datagrams: a sender starved of CPU on a busy
 * machine must not dump a second's worth in one burst (more than any socket buffer holds, lost before
 * the forward sees it). It skips the rest, and the skipped datagrams count neither as sent nor as lost.
 */
const MAX_LAG_MS = 10;

/** Sends `rate` datagrams/s to 127.0.0.1:`port` for `seconds`, paced every TICK_MS. */
async function offer(sender: Socket, port: number, rate: number, seconds: number): Promise<Offered> {
  const payload = Buffer.alloc(DATAGRAM_BYTES, 0x5a);
  const total = rate * seconds;
  const maxLag = Math.ceil((rate * MAX_LAG_MS) / 1000);
  const t0 = performance.now();
  let due = 0;
  let sent = 0;
  let skipped = 0;
  let maxBurst = 0;
  while (due < total) {
    due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due - sent - skipped > maxLag) skipped = due - sent - maxLag;
    const burst = due - sent - skipped;
    maxBurst = Math.max(maxBurst, burst);
    for (let i = 0; i < burst; i++) sender.send(payload, port, '127.0.0.1');
    sent += burst;
    await sleep(TICK_MS);
  }
  return { sent, seconds: (performance.now() - t0) / 1000, maxBurst, skipped };
}

interface Tally {
  sent: number;
  received: number;
  /** The schedule's seconds (SECONDS a turn), not the clock's. */
  seconds: number;
  skipped: number;
}

const row = (name: string, t: Tally): BenchResult => {
  // Over the schedule's time, the same for every contender: the pacer releases the last datagram only
  // once the clock passes the schedule's end, so the clock's time always reads a little longer and a
  // lossless run would read just under the offered rate. A sender that fell behind skipped datagrams
  // (counted in `skipped`, and the offered line misses); a slower path shows as loss.
  const rate = t.received / t.seconds;
  return {
    name,
    MBps: (rate * DATAGRAM_BYTES) / 1e6,
    p50Ms: null,
    p99Ms: null,
    setupMs: null,
    datagramsPerS: rate,
    lossPct: t.sent > 0 ? (100 * Math.max(0, t.sent - t.received)) / t.sent : null,
    offeredPerS: t.seconds > 0 ? t.sent / t.seconds : null,
    skipped: t.skipped,
  };
};

export async function measureUdpForward(
  log: (line: string) => void,
  rate = TARGET_UDP_DATAGRAMS_PER_S,
): Promise<BenchResult[]> {
  const pair = await startAgentPair('direct');
  const sink = await startSink();
  const sender = await bound();
  try {
    const added = await pair.onA([
      'forward',
      'add',
      '--udp',
      '--listen',
      '127.0.0.1:0',
      '--via',
      'b',
      '--to',
      `127.0.0.1:${sink.port}`,
      '--json',
    ]);
    const port = parseHostPort((JSON.parse(added) as { local: string }).local).port;
    const payload = Buffer.alloc(DATAGRAM_BYTES, 0x5a);
    // The flow opens on the first datagram: wait for it to arrive before the clock starts.
    for (let i = 0; i < 50 && sink.count() === 0; i++) {
      sender.send(payload, port, '127.0.0.1');
      await sleep(100);
    }
    if (sink.count() === 0) throw new Error('no datagram came through the UDP forward');
    log(
      `  udp: offering ${rate} datagrams/s of ${DATAGRAM_BYTES} B, ${SECONDS} s a turn, ${TURNS} turns each, after an uncounted ${WARMUP_SECONDS} s turn each`,
    );
    const names = new Map([
      [sender.address().port, 'sender'],
      [port, 'forward listener'],
      [sink.port, 'sink'],
    ]);
    const forwardCounters = async () =>
      (JSON.parse(await pair.onA(['forward', 'list', '--json'])) as { dropped?: number }[])[0]?.dropped ?? 0;
    // Whose CPU time each turn reports: a, b, the sink and the sender (this process).
    const pids = [pair.pids.a, pair.pids.b, sink.child.pid ?? 0, process.pid];
    /** One offer to `to`: what the sink got, CPU µs per datagram sent, and where the rest was dropped. */
    const offerAndCount = async (name: string, to: number, seconds: number) => {
      const droppedBefore = name === 'udp-direct' ? await forwardCounters() : 0;
      const before = sink.count();
      const kernelBefore = udpDropsByPort();
      const cpuBefore = pids.map(cpuSeconds);
      const o = await offer(sender, to, rate, seconds);
      await sleep(DRAIN_MS);
      const received = sink.count() - before;
      const kernelAfter = udpDropsByPort();
      const cpu = pids
        .map((pid, i) => {
          const now = cpuSeconds(pid);
          const was = cpuBefore[i];
          if (now === null || was == null || o.sent === 0) return '-';
          return (((now - was) * 1e6) / o.sent).toFixed(1);
        })
        .join('/');
      const kernel =
        kernelBefore && kernelAfter
          ? [...dropsBetween(kernelBefore, kernelAfter, names)].map(([k, n]) => `${k} ${n}`).join(', ') ||
            'none'
          : 'not readable';
      const ours =
        name === 'udp-direct' ? `, forward dropped ${(await forwardCounters()) - droppedBefore}` : '';
      return { o, received, cpu, where: `${ours}; kernel drops: ${kernel}` };
    };
    for (const [name, to] of [
      ['udp-raw', sink.port],
      ['udp-direct', port],
    ] as const) {
      const { o, received, where } = await offerAndCount(name, to, WARMUP_SECONDS);
      const lost = Math.max(0, o.sent - received);
      log(
        `  ${name} warm-up (not counted): sent ${o.sent}, sink got ${received}, lost ${lost} (${((100 * lost) / Math.max(1, o.sent)).toFixed(2)} %)${where}`,
      );
    }
    const raw: Tally = { sent: 0, received: 0, seconds: 0, skipped: 0 };
    const forward: Tally = { sent: 0, received: 0, seconds: 0, skipped: 0 };
    for (let turn = 1; turn <= TURNS; turn++) {
      for (const [name, to, tally] of [
        ['udp-raw', sink.port, raw],
        ['udp-direct', port, forward],
      ] as const) {
        const { o, received, cpu, where } = await offerAndCount(name, to, SECONDS);
        log(
          `  ${name} turn ${turn}: sent ${o.sent} in ${o.seconds.toFixed(2)} s (largest burst ${o.maxBurst}, ${o.skipped} skipped while the sender was not scheduled), sink got ${received}${where}; CPU µs/datagram a/b/sink/sender ${cpu}`,
        );
        tally.sent += o.sent;
        tally.received += received;
        tally.seconds += SECONDS;
        tally.skipped += o.skipped;
      }
    }
    for (const [name, t] of [
      ['udp-raw', raw],
      ['udp-direct', forward],
    ] as const) {
      if (t.skipped === 0) continue;
      log(
        `  ${name}: the sender could not offer ${rate} datagrams/s: it skipped ${t.skipped} it was not scheduled in time to send (offered ${Math.round(t.sent / t.seconds)}/s); the row measured a lower rate`,
      );
    }
    return [row('udp-raw', raw), row('udp-direct', forward)];
  } finally {
    sink.child.kill();
    sender.close();
    await pair.stop();
  }
}
