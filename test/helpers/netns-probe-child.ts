/**
 * Started inside a network namespace by test/integration/bench-emulator-netns.test.ts: `echo` {port}
 * answers whether a bench ECHO stream to 127.0.0.1:port, as the namespace sees it, echoes a byte.
 */
import { serveParent } from '../../bench/child.js';
import { firstEcho, tcpStream } from '../../bench/streams.js';

serveParent(async (req) => {
  if (req.op !== 'echo' || typeof req.port !== 'number') throw new Error(`unknown op ${req.op}`);
  const port = req.port;
  try {
    await firstEcho(() => tcpStream(port));
    return true;
  } catch {
    return false;
  }
});
