/**
 * Row `udp-direct`: a UDP forward (`clawbridge forward add --udp`) between two real agents on a direct
 * link, offered 1,200-byte datagrams at TARGET_UDP_DATAGRAMS_PER_S for a few seconds; the row says how
 * many datagrams per second reached the sink behind the exit and what share was lost (UDP forwards drop
 * rather than queue, so loss is the honest measure of keeping up). The sender runs in this process,
 * the sink in a child of its own (a sender's busy loop would starve a sink beside it), the agents in
 * theirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { parseHostPort } from '../src-main/core/host-port.js';
import { startAgentPair } from './cli-agents.js';
import { TARGET_UDP_DATAGRAMS_PER_S, type BenchResult } from './table.js';

const DATAGRAM_BYTES = 1200;
const SECONDS = 3;
/** Time to let the last datagrams arrive after sending stops. */
const DRAIN_MS = 1_000;

function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

/** The sink (a 4 MiB receive buffer, as the forward asks for its sockets): counts datagrams, says its port, then every 100 ms `count firstMs lastMs` (its own clock). */
const SINK = `const s=require('dgram').createSocket({type:'udp4',recvBufferSize:4194304});let n=0,f=0,l=0;
s.on('message',()=>{l=performance.now();if(n++===0)f=l;});
s.bind(0,'127.0.0.1',()=>{console.log('port '+s.address().port);setInterval(()=>console.log(n+' '+f+' '+l),100);});`;

interface Sink {
  port: number;
  latest(): { count: number; seconds: number };
  child: ChildProcess;
}

function startSink(): Promise<Sink> {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = { count: 0, seconds: 0 };
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
          resolve({ port: Number(port[1]), latest: () => last, child });
          continue;
        }
        const [n, f, l] = line.split(' ').map(Number);
        last = { count: n ?? 0, seconds: ((l ?? 0) - (f ?? 0)) / 1000 };
      }
    });
  });
}

export async function measureUdpForward(log: (line: string) => void): Promise<BenchResult> {
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
    for (let i = 0; i < 50 && sink.latest().count === 0; i++) {
      sender.send(payload, port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
    }
    const warmup = sink.latest().count;
    if (warmup === 0) throw new Error('no datagram came through the UDP forward');
    log(
      `  udp-direct: offering ${TARGET_UDP_DATAGRAMS_PER_S} datagrams/s of ${DATAGRAM_BYTES} B for ${SECONDS} s`,
    );
    const total = TARGET_UDP_DATAGRAMS_PER_S * SECONDS;
    const t0 = performance.now();
    let sent = 0;
    while (sent < total) {
      // Paced: as many as the offered rate allows by now, in batches, yielding between them.
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * TARGET_UDP_DATAGRAMS_PER_S));
      for (; sent < due; sent++) sender.send(payload, port, '127.0.0.1');
      await new Promise((r) => setImmediate(r));
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, DRAIN_MS));
    const received = sink.latest().count - warmup;
    // Where the rest went: through the forward's counters, the remainder lost in kernel buffers.
    const [f] = JSON.parse(await pair.onA(['forward', 'list', '--json'])) as {
      datagramsOut?: number;
      dropped?: number;
    }[];
    log(
      `  udp-direct: sent ${sent} in ${sendSeconds.toFixed(2)} s, forward took ${(f?.datagramsOut ?? 0) - warmup} and dropped ${f?.dropped ?? 0}, sink got ${received}`,
    );
    // Over the time it took to send them (a slower path shows as loss, which UDP forwards turn it into).
    const rate = received / sendSeconds;
    return {
      name: 'udp-direct',
      MBps: (rate * DATAGRAM_BYTES) / 1e6,
      p50Ms: null,
      p99Ms: null,
      setupMs: null,
      datagramsPerS: rate,
      lossPct: (100 * Math.max(0, sent - received)) / sent,
    };
  } finally {
    sink.child.kill();
    sender.close();
    await pair.stop();
  }
}
