// Another local user's churn of the web UI's WebSockets, in a process of its own (as it would be): COUNT
// WebSockets to /api with a matching Origin that never send the token, each opened again DELAY ms after
// it closes (or is refused), spread over THREADS worker threads so that the churn is not limited to what
// one thread can drive on a busy machine. Run by page-under-churn.test.ts: it prints "churning" once
// every socket is started; when its stdin closes it prints how many were upgraded and exits (so it never
// outlives the test).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';

if (isMainThread) {
  const [port, count, delay, threads = 2] = process.argv.slice(2).map(Number);
  let upgraded = 0;
  let started = 0;
  const workers = Array.from({ length: threads }, (_, i) => {
    const share = Math.floor(count / threads) + (i < count % threads ? 1 : 0);
    const w = new Worker(new URL(import.meta.url), { workerData: { port, count: share, delay } });
    w.on('message', (m) => {
      if (m.started && ++started === threads) console.log('churning');
      if (m.upgraded !== undefined) upgraded += m.upgraded;
    });
    return w;
  });
  process.stdin.resume();
  process.stdin.on('close', async () => {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve) => {
            w.once('exit', resolve);
            w.postMessage('stop');
          }),
      ),
    );
    console.log(`upgraded ${upgraded}`);
    process.exit(0);
  });
} else {
  const { port, count, delay } = workerData;
  const origin = `http://127.0.0.1:${port}`;
  let stop = false;
  let upgraded = 0;
  const socket = () => {
    if (stop) return;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin });
    ws.on('error', () => undefined);
    ws.once('open', () => upgraded++);
    ws.once('close', () => setTimeout(socket, delay));
  };
  for (let i = 0; i < count; i++) socket();
  parentPort.postMessage({ started: true });
  parentPort.on('message', () => {
    stop = true;
    parentPort.postMessage({ upgraded });
    process.exit(0);
  });
}
