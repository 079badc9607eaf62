/**
 * Runs an agent-process bundle in a plain Node child as Electron's utilityProcess would: gives it a
 * `process.parentPort` whose messages arrive as `{data}` and whose postMessage goes to the parent
 * (fork's IPC channel). Like Electron's, the port holds messages until the entry listens for them:
 * the entry adds its listener only after loading its agent chunk, and the parent posts at once.
 */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

const entry = process.argv[2];
if (!entry) throw new Error('usage: utility-process-child.ts ENTRY');

const held: unknown[] = [];
const parentPort = Object.assign(new EventEmitter(), {
  postMessage: (message: unknown) => void process.send?.(message),
});
parentPort.on('newListener', (event: string) => {
  if (event !== 'message') return;
  // After the listener is attached (newListener fires before), in the order they came.
  queueMicrotask(() => {
    for (const data of held.splice(0)) parentPort.emit('message', { data });
  });
});
process.on('message', (data) => {
  if (parentPort.listenerCount('message') > 0) parentPort.emit('message', { data });
  else held.push(data);
});
Object.assign(process, { parentPort });
await import(pathToFileURL(entry).href);
