/**
 * Child side of fake-electron-utility.ts: gives this plain Node process the `process.parentPort`
 * Electron gives a utility process (messages arrive as `{data}` and wait for a listener; postMessage goes to the parent), then
 * loads the entry named by the first argument, as `utilityProcess.fork(entry)` would. Plain JavaScript,
 * so that a bundled entry (bundled-entry.ts) runs without tsx; a `.ts` entry runs with `--import tsx`.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (!entry) throw new Error('usage: fake-electron-utility-child.mjs ENTRY');

const parentPort = Object.assign(new EventEmitter(), {
  postMessage: (/** @type {unknown} */ message) => void process.send?.(/** @type {object} */ (message)),
});
// Like Electron's parentPort, messages wait until the entry listens (it loads its modules first).
/** @type {unknown[]} */
const early = [];
parentPort.on('newListener', (/** @type {string} */ event) => {
  if (event === 'message')
    queueMicrotask(() => early.splice(0).forEach((data) => parentPort.emit('message', { data })));
});
process.on('message', (data) => {
  if (parentPort.listenerCount('message') === 0) early.push(data);
  else parentPort.emit('message', { data });
});
// Electron adds it to `process`; the entry finds it there.
Object.assign(process, { parentPort });
await import(pathToFileURL(entry).href);
