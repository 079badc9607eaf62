/**
 * Runs the relay memory measurement (bench/relay-memory.ts) in a process of its own, so its identities
 * and thousands of WebSocket clients stay out of the bench's heap. `measure` answers a MemoryOutcome;
 * progress goes to stderr, which the bench shares.
 */
import { serveParent } from './child.js';
import { measureRelayMemoryHere } from './relay-memory.js';

serveParent(async (req) => {
  if (req.op !== 'measure') throw new Error(`unknown op ${req.op}`);
  return measureRelayMemoryHere((line) => process.stderr.write(`  ${line}\n`));
});
