/**
 * Free loopback ports, for a listener a test must know the port of before it starts (an agent whose
 * port must survive its restart, a peer address written into config). Anything that can listen on
 * port 0 and say where it landed should do that instead: a port looked up here can be taken by another
 * test before it is used.
 */
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';

/** A TCP port on 127.0.0.1 (or `host`) that is free right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A UDP port on 127.0.0.1 (or `host`) that is free right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
