/**
 * `node --import ./test/helpers/loaded-packages.mjs …`: at exit, prints on stderr one line
 * `loaded-packages: NAME,NAME` with every package under node_modules the program loaded (ESM and the
 * CommonJS that ESM imported), for tests that check what a code path keeps out of a process.
 */
import { register } from 'node:module';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';

const names = new Set();
const { port1, port2 } = new MessageChannel();
const seen = (url) => {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(String(url));
  if (m) names.add(m[1]);
};
port1.on('message', seen);
port1.unref();
register(
  `data:text/javascript,${encodeURIComponent(`
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`)}`,
  { data: { port: port2 }, transferList: [port2] },
);
process.on('exit', () => {
  // What the loader posted and this thread has not read yet: a process that exits right after its
  // modules loaded (a SIGTERM under load) would otherwise report none of them.
  for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) seen(m.message);
  process.stderr.write(`loaded-packages: ${[...names].sort().join(',')}\n`);
});
