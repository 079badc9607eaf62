/**
 * The door into the serving side's network namespace (bench/serving-netns.ts): started inside it by
 * the link emulator (bench/link-emulator-child.ts) with an IPC channel, it opens a TCP connection to
 * 127.0.0.1:PORT as the namespace sees it and hands the connected socket to the emulator (Node passes
 * the file descriptor over IPC). The emulator then owns a socket into a namespace whose only other
 * network is its own loopback: nothing on the client side can reach the serving side except through
 * the emulator. The door carries no data itself.
 */
import { connect, createServer } from 'node:net';

interface DoorRequest {
  id: number;
  /** `connect` (default): to 127.0.0.1:port; `listen`: on 127.0.0.1 (any port), handing over each accepted socket. */
  op?: 'connect' | 'listen';
  port: number;
}

if (!process.send) throw new Error('netns-door must be started with an IPC channel');
process.on('disconnect', () => process.exit(0));
process.on('message', (req: DoorRequest) => {
  if (req?.op === 'listen' && typeof req.id === 'number') {
    // The other way in: clients inside the namespace (agent b dialling its relay) connect here.
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) =>
      process.send?.({ accepted: true }, socket),
    );
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      process.send?.({ id: req.id, ok: true, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
    return;
  }
  if (typeof req?.id !== 'number' || !Number.isInteger(req.port) || req.port < 1 || req.port > 65535) return;
  const socket = connect({ host: '127.0.0.1', port: req.port, allowHalfOpen: true });
  socket.once('connect', () => {
    socket.pause();
    process.send?.({ id: req.id, ok: true }, socket);
  });
  socket.once('error', (err) => process.send?.({ id: req.id, ok: false, error: err.message }));
});
