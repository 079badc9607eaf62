/**
 * The download that saturates a path while keys are timed (bench/profile-section.ts), in its own
 * process so reading it costs the measuring process nothing: `start` {port} connects to 127.0.0.1:port
 * (a forward or `ssh -L` to the bench sink) and asks for an endless download; `bytes` and `stop`
 * answer how much arrived and over how long. Ends itself after `maxMs`.
 */
import { connect, type Socket } from 'node:net';
import { serveParent } from './child.js';
import { MODE_SOURCE, SOURCE_HEADER_BYTES } from './serve.js';

/** Asked for and never reached: the load runs until stopped. */
const ENDLESS_BYTES = 1n << 50n;

let socket: Socket | undefined;
let bytes = 0;
let firstAt = 0;
let stoppedAt = 0;
let failed: string | undefined;

function progress(): { bytes: number; ms: number; failed?: string } {
  const end = stoppedAt || performance.now();
  return { bytes, ms: firstAt ? end - firstAt : 0, ...(failed ? { failed } : {}) };
}

function stop(): void {
  if (!stoppedAt) stoppedAt = performance.now();
  socket?.destroy();
}

serveParent(async (req) => {
  switch (req.op) {
    case 'start': {
      const port = req.port;
      if (typeof port !== 'number' || !Number.isInteger(port)) throw new Error('start needs a port');
      if (socket) throw new Error('the load is already running');
      socket = connect({ host: '127.0.0.1', port });
      await new Promise<void>((resolve, reject) => {
        socket!.once('connect', resolve);
        socket!.once('error', reject);
      });
      socket.on('error', (err) => (failed = err.message));
      socket.on('close', () => (failed ??= stoppedAt ? undefined : 'the download closed'));
      socket.on('data', (c: Buffer) => {
        if (!firstAt) firstAt = performance.now();
        bytes += c.length;
      });
      const header = Buffer.alloc(SOURCE_HEADER_BYTES);
      header[0] = MODE_SOURCE;
      header.writeBigUInt64BE(ENDLESS_BYTES, 1);
      socket.write(header);
      setTimeout(stop, typeof req.maxMs === 'number' ? req.maxMs : 120_000).unref();
      return {};
    }
    case 'bytes':
      return progress();
    case 'stop':
      stop();
      return progress();
    default:
      throw new Error(`unknown op ${req.op}`);
  }
});
