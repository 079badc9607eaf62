/**
 * The far end of a measured path, in its own process (bench/child.ts says why). One request `start`
 * picks the kind of server; every stream it accepts is served by serveBenchStream (sink or echo):
 * - `tcp`: node:net server; `tls`: node:tls TLS 1.3 server asking for a client certificate;
 * - `direct`: our listenDirect + Mux; `relay`: our RelayClient + secureCircuit + Mux;
 * - `bare`: a bare-relay client per `connect-bare` request.
 */
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { listenDirect } from '../src-main/transport/direct.js';
import { connectBare } from './bare-relay.js';
import { serveParent, type ChildRequest } from './child.js';
import { startRelayNode, type BenchIdentity } from './relay-node.js';
import { serveBenchStream, serveLink } from './serve.js';

async function listen(server: ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function start(req: ChildRequest): Promise<unknown> {
  const identity = req.identity as BenchIdentity | undefined;
  const client = req.clientFingerprint as string | undefined;
  switch (req.kind) {
    case 'tcp': {
      const server = createTcpServer((socket) => {
        socket.setNoDelay(true);
        serveBenchStream(socket);
      });
      return { port: await listen(server) };
    }
    case 'tls': {
      if (!identity) throw new Error('tls needs an identity');
      const server = createTlsServer(
        {
          cert: identity.certPem,
          key: identity.keyPem,
          minVersion: 'TLSv1.3',
          maxVersion: 'TLSv1.3',
          requestCert: true,
          rejectUnauthorized: false,
        },
        (socket) => {
          socket.setNoDelay(true);
          serveBenchStream(socket);
        },
      );
      return { port: await listen(server) };
    }
    case 'direct': {
      if (!identity || !client) throw new Error('direct needs an identity and the client fingerprint');
      const listener = await listenDirect({
        identity,
        host: '127.0.0.1',
        port: 0,
        admit: (fp) => (fp === client ? undefined : { code: 'UNSPECIFIED', reason: 'not the bench client' }),
        onLink: (link) => void serveLink(link),
      });
      return { port: listener.port };
    }
    case 'relay': {
      if (!identity || !client) throw new Error('relay needs an identity and the client fingerprint');
      await startRelayNode({
        url: req.url as string,
        identity,
        acceptFrom: client,
        onLink: (link) => void serveLink(link),
      });
      return {};
    }
    case 'bare':
      return {};
    default:
      throw new Error(`unknown peer kind ${String(req.kind)}`);
  }
}

serveParent(async (req) => {
  if (req.op === 'start') return start(req);
  if (req.op === 'connect-bare') {
    const { stream } = await connectBare(req.url as string, req.key as string);
    serveBenchStream(stream);
    return {};
  }
  throw new Error(`unknown op ${req.op}`);
});
