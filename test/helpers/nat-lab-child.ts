/**
 * Started inside a NAT lab namespace (test/helpers/nat-lab.ts) by bench/child.ts's startChild; answers:
 * - `observe-server` {host, port}: a TCP server that writes each client the address:port it sees and
 *   ends (what a STUN server or the relay tells a node); resolves with its port;
 * - `observe` {host, port, localPort?}: connects, reads that line; resolves {localPort, seen};
 * - `listen` {host, port}: a server that writes `hello` and ends; resolves with its port;
 * - `reach` {host, port, timeoutMs}: whether a connection there reads `hello` within timeoutMs;
 * - `simultaneous-open` {localPort, host, port, at, timeoutMs}: at wall-clock `at`, connects from
 *   localPort to host:port (retrying on refusal until timeoutMs), writes its localPort and resolves
 *   with what the other side wrote, or rejects;
 * - `gateway-map` {via: 'upnp' | 'pmp', internalPort}: asks the router for a TCP mapping with the
 *   port-mapping clients alone (mapping-gateways.ts, without PortMapping's lease and renewal) and
 *   resolves with what it granted; `gateway-unmap` {internalPort} removes it;
 * - `port-mapping-start` {enabled, internalPort, protocols}: clawbridge's PortMapping for that port;
 *   resolves with its status once it is mapped, failed or off; `port-mapping-stop` {internalPort};
 * - `relay-observe` {url}: connects a RelayClient to the relay at url and resolves with what the relay
 *   told it it sees (RelayClient.observed);
 * - `nat-simultaneous-open` {localPort, candidates, startAt, withinMs}: transport/nat/simultaneous-open.ts;
 *   writes its local port and resolves with what the other side wrote.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { serveParent } from '../../bench/child.js';
import {
  lanGatewayFinder,
  type MappingGateway,
  type MappingProtocol,
} from '../../src-main/transport/nat/mapping-gateways.js';
import { PortMapping, type PortMappingStatus } from '../../src-main/transport/nat/port-mapping.js';
import { simultaneousOpen } from '../../src-main/transport/nat/simultaneous-open.js';
import { testIdentity } from './identities.js';
import { connectedClient } from './relay-harness.js';
import { sleep, until } from './wait.js';

const servers: Server[] = [];
const gateways = new Map<number, { gateway: MappingGateway; externalPort: number }>();
const mappings = new Map<number, PortMapping>();

/** Resolves with the mapping's status once it is settled (not idle, not searching), within 15 s. */
async function settled(mapping: PortMapping): Promise<PortMappingStatus> {
  await until(
    'the port mapping settled',
    () => !['idle', 'searching'].includes(mapping.status.state),
    15_000,
  );
  return mapping.status;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Reads what the other end writes until it ends, bounded in time and size. */
function readAll(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
      if (text.length > 1000) socket.destroy();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(text.trim());
    });
  });
}

function dial(host: string, port: number, localPort: number | undefined, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localPort });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

serveParent(
  async (req) => {
    const host = String(req.host);
    const port = Number(req.port);
    switch (req.op) {
      case 'observe-server':
        return listen(
          createServer((s) => s.end(`${s.remoteAddress}:${s.remotePort}\n`)),
          host,
          port,
        );
      case 'listen':
        return listen(
          createServer((s) => s.end('hello\n')),
          host,
          port,
        );
      case 'observe': {
        const localPort = req.localPort === undefined ? undefined : Number(req.localPort);
        const socket = await dial(host, port, localPort, 5_000);
        const mine = socket.localPort;
        return { localPort: mine, seen: await readAll(socket, 5_000) };
      }
      case 'reach': {
        const timeoutMs = Number(req.timeoutMs);
        try {
          const socket = await dial(host, port, undefined, timeoutMs);
          return (await readAll(socket, timeoutMs)) === 'hello';
        } catch {
          return false;
        }
      }
      case 'simultaneous-open': {
        const localPort = Number(req.localPort);
        const deadline = Number(req.at) + Number(req.timeoutMs);
        await sleep(
          Math.max(0, Number(req.at) - Date.now()),
          'until the agreed moment of the simultaneous open',
        );
        let last: unknown;
        // A refusal (RST) ends one attempt at once; the dropped SYNs the NATs cause are retried by the
        // kernel itself inside one attempt.
        for (let attempt = 0; attempt < 50 && Date.now() < deadline; attempt++) {
          try {
            const socket = await dial(host, port, localPort, Math.max(1, deadline - Date.now()));
            socket.write(`${localPort}\n`);
            socket.end();
            return await readAll(socket, 5_000);
          } catch (err) {
            last = err;
            await sleep(100, 'the next attempt of the simultaneous open');
          }
        }
        throw last instanceof Error ? last : new Error('simultaneous open failed');
      }
      case 'gateway-map': {
        const protocols: MappingProtocol[] = [req.via === 'pmp' ? 'nat-pmp' : 'upnp'];
        const [gateway] = await lanGatewayFinder({ protocols }).find(AbortSignal.timeout(5_000));
        if (!gateway) throw new Error(`no ${protocols[0]} gateway answered`);
        const internalPort = Number(req.internalPort);
        const granted = await gateway.map(internalPort, 3600, AbortSignal.timeout(5_000));
        gateways.set(internalPort, { gateway, externalPort: granted.externalPort });
        return granted;
      }
      case 'gateway-unmap': {
        const internalPort = Number(req.internalPort);
        const held = gateways.get(internalPort);
        await held?.gateway.unmap(internalPort, held.externalPort, AbortSignal.timeout(5_000));
        return true;
      }
      case 'port-mapping-start': {
        const mapping = new PortMapping({
          enabled: Boolean(req.enabled),
          internalPort: Number(req.internalPort),
          finder: lanGatewayFinder({ protocols: req.protocols as MappingProtocol[] }),
        });
        mappings.set(Number(req.internalPort), mapping);
        mapping.start();
        return settled(mapping);
      }
      case 'port-mapping-stop': {
        const mapping = mappings.get(Number(req.internalPort));
        await mapping?.stop();
        return mapping?.status;
      }
      case 'nat-simultaneous-open': {
        const socket = await simultaneousOpen({
          localPort: Number(req.localPort),
          candidates: req.candidates as { host: string; port: number }[],
          startAt: Number(req.startAt),
          withinMs: Number(req.withinMs),
        });
        socket.write(`${socket.localPort}\n`);
        socket.end();
        return readAll(socket, 5_000);
      }
      case 'relay-observe': {
        const client = await connectedClient(String(req.url), await testIdentity(`nat-lab-${process.pid}`));
        try {
          return client.observed ?? null;
        } finally {
          client.stop();
        }
      }
      default:
        throw new Error(`unknown op ${req.op}`);
    }
  },
  { tuneGc: false },
);
