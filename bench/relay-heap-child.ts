/**
 * The relay of bench/relay-heap.ts in a process of its own: startRelayServer over wss:// with a
 * self-signed certificate and the limits as shipped, as `clawbridge relay` runs it. `measure` collects
 * twice and answers process.memoryUsage() and, given `snapshot`, writes a V8 heap snapshot there.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { loadOrCreateRelayTls } from '../src-main/cli/relay-command.js';
import { startRelayServer, type RelayServer } from '../src-main/relay/server.js';
import { serveParent } from './child.js';

let relay: RelayServer | undefined;

serveParent(async (req) => {
  switch (req.op) {
    case 'start': {
      const tls = await loadOrCreateRelayTls(join(mkdtempSync(join(tmpdir(), 'cb-relay-heap-')), 'home'));
      relay = await startRelayServer({ host: '127.0.0.1', port: 0, tls });
      return { url: relay.url, fingerprint: relay.fingerprint };
    }
    case 'measure': {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const usage = process.memoryUsage();
      if (typeof req.snapshot === 'string') writeHeapSnapshot(req.snapshot);
      return { ...usage, connections: relay?.stats().connections };
    }
    default:
      throw new Error(`unknown op ${req.op}`);
  }
});
