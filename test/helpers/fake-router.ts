/**
 * Routers and LAN hosts that say what a test tells them, for the port-mapping clients
 * (src-main/transport/nat/): a UPnP IGD (description and SOAP, recording each action), an SSDP responder,
 * a NAT-PMP gateway, and hostile servers (an endless or trickling `text/xml` body, a counter of requests
 * that reach a host). Each listens where it is told (port 0 on loopback in unit tests; a lab address in
 * a namespace), bounds what it sends in count and time, and is closed by its `close()`.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { failTest } from './unawaited.js';

/** The most a hostile body streams before it ends anyway, in bytes (far past every cap it tests). */
const HOSTILE_BODY_MAX_BYTES = 512 * 1024 * 1024;
/** The most a hostile body streams for, in ms, however slowly it is read. */
const HOSTILE_BODY_MAX_MS = 60_000;

function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Closes a server and every connection it holds. */
function closeHttp(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function tracked(server: Server): { sockets: Set<Socket>; opened: () => number } {
  const sockets = new Set<Socket>();
  let opened = 0;
  server.on('connection', (s: Socket) => {
    opened++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return { sockets, opened: () => opened };
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text = (text + c).slice(0, 16_384)));
    req.on('end', () => resolve(text));
    req.on('error', () => resolve(text));
  });
}

export function igdDescription(serviceType: string, controlUrl: string): string {
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType>
<serviceList><service>
<serviceType>${serviceType}</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>${controlUrl}</controlURL>
<eventSubURL>/evt</eventSubURL><SCPDURL>/scpd.xml</SCPDURL>
</service></serviceList></device></deviceList></device></deviceList></device></root>`;
}

export interface SoapCall {
  action: string;
  args: Record<string, string>;
}

export interface FakeIgd {
  port: number;
  /** The description's URL. */
  location: string;
  calls: SoapCall[];
  close(): Promise<void>;
}

export interface FakeIgdOptions {
  host: string;
  port?: number;
  /** What GetExternalIPAddress answers. */
  externalAddress: string;
  /** The external port AddAnyPortMapping reserves for the one asked (the one asked by default). */
  grant?: (asked: number) => number;
  serviceType?: string;
  /** The controlURL the description names (`/ctl` by default). */
  controlUrl?: string;
}

/** A UPnP IGD: `/desc.xml` and SOAP at `/ctl`; every action is recorded with its arguments. */
export async function startFakeIgd(o: FakeIgdOptions): Promise<FakeIgd> {
  const calls: SoapCall[] = [];
  const serviceType = o.serviceType ?? 'urn:schemas-upnp-org:service:WANIPConnection:2';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    (async () => {
      if (req.method === 'GET' && req.url === '/desc.xml') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(igdDescription(serviceType, o.controlUrl ?? '/ctl'));
      }
      const body = await bodyOf(req);
      const action = /#(\w+)"?$/.exec(String(req.headers.soapaction ?? ''))?.[1] ?? '';
      const args: Record<string, string> = {};
      for (const m of body.matchAll(/<(New\w+)>([^<]*)<\/\1>/g)) args[m[1]!] = m[2]!;
      calls.push({ action, args });
      const fields =
        action === 'GetExternalIPAddress'
          ? `<NewExternalIPAddress>${o.externalAddress}</NewExternalIPAddress>`
          : action === 'AddAnyPortMapping'
            ? `<NewReservedPort>${(o.grant ?? ((p) => p))(Number(args.NewExternalPort))}</NewReservedPort>`
            : '';
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
          `<u:${action}Response xmlns:u="${serviceType}">${fields}</u:${action}Response></s:Body></s:Envelope>`,
      );
    })().catch(failTest('the fake router answering'));
  });
  const { sockets } = tracked(server);
  const port = await listenHttp(server, o.host, o.port ?? 0);
  return {
    port,
    location: `http://${o.host}:${port}/desc.xml`,
    calls,
    close: () => closeHttp(server, sockets),
  };
}

export interface HostileHttp {
  port: number;
  /** Connections accepted so far. */
  opened(): number;
  /** Connections open now. */
  open(): number;
  /** Request lines received (`GET /path`). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * An HTTP server that answers every request with `text/xml` that never ends (`endless`), trickles a
 * byte at a time (`slow`), or only counts the request and answers a short 404 (`count`).
 */
export async function startHostileHttp(
  host: string,
  mode: 'endless' | 'slow' | 'count',
  port = 0,
): Promise<HostileHttp> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (requests.length > 100_000) requests.shift();
    if (mode === 'count') {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.write('<?xml version="1.0"?><root><device>');
    const started = Date.now();
    let sent = 0;
    const chunk = Buffer.alloc(mode === 'endless' ? 64 * 1024 : 1, 'a');
    const pump = () => {
      while (!res.destroyed && sent < HOSTILE_BODY_MAX_BYTES && Date.now() - started < HOSTILE_BODY_MAX_MS) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
        if (mode === 'slow') return void setTimeout(pump, 200).unref();
      }
      res.end();
    };
    pump();
  });
  const t = tracked(server);
  const bound = await listenHttp(server, host, port);
  return {
    port: bound,
    opened: t.opened,
    open: () => t.sockets.size,
    requests,
    close: () => closeHttp(server, t.sockets),
  };
}

export interface FakeUdp {
  port: number;
  /** Datagrams received, most recent last (bounded). */
  received: { bytes: Buffer; from: RemoteInfo }[];
  socket: UdpSocket;
  close(): Promise<void>;
}

/**
 * A UDP server that answers each datagram with what `answer` returns (sent in order from this socket).
 * `multicast`: joins the SSDP group on that interface address, as a device on the LAN does.
 */
export async function startFakeUdp(
  host: string,
  port: number,
  answer: (bytes: Buffer, from: RemoteInfo) => Buffer[],
  multicast?: string,
): Promise<FakeUdp> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const received: FakeUdp['received'] = [];
  socket.on('error', () => undefined);
  socket.on('message', (bytes, from) => {
    received.push({ bytes, from });
    if (received.length > 1_000) received.shift();
    for (const b of answer(bytes, from)) socket.send(b, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  if (multicast) socket.addMembership('239.255.255.250', multicast);
  return {
    port: socket.address().port,
    received,
    socket,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** An SSDP answer naming `location` (with `usn`, fresh per answer when a test floods). */
export function ssdpAnswer(
  location: string,
  usn = 'uuid:fake::urn:schemas-upnp-org:device:InternetGatewayDevice:2',
): Buffer {
  return Buffer.from(
    `HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n` +
      `USN: ${usn}\r\nEXT:\r\nSERVER: fake/1 UPnP/2.0 fake/1\r\nLOCATION: ${location}\r\n\r\n`,
  );
}

/** A NAT-PMP reply: external address (op 128) or a TCP mapping (op 130), result code 0. */
export function natPmpReply(
  r:
    | { op: 'external-address'; address: string }
    | { op: 'map'; internalPort: number; externalPort: number; lifetime: number },
): Buffer {
  if (r.op === 'external-address') {
    const b = Buffer.alloc(12);
    b.writeUInt8(128, 1);
    r.address.split('.').forEach((o, i) => b.writeUInt8(Number(o) & 0xff, 8 + i));
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeUInt8(130, 1);
  b.writeUInt16BE(r.internalPort, 8);
  b.writeUInt16BE(r.externalPort, 10);
  b.writeUInt32BE(r.lifetime, 12);
  return b;
}

/**
 * A NAT-PMP gateway that reports `address` and grants `grant(asked)` for each mapping; before each real
 * answer it sends `junk` (short, garbage, wrong-opcode datagrams) from the same address and port.
 */
export function natPmpGateway(address: string, grant: (asked: number) => number, junk: Buffer[] = []) {
  return (req: Buffer): Buffer[] => {
    if (req.length === 2 && req[1] === 0) return [...junk, natPmpReply({ op: 'external-address', address })];
    if (req.length === 12 && req[1] === 2) {
      const internalPort = req.readUInt16BE(4);
      const lifetime = req.readUInt32BE(8);
      const externalPort = lifetime === 0 ? 0 : grant(req.readUInt16BE(6) || internalPort);
      return [...junk, natPmpReply({ op: 'map', internalPort, externalPort, lifetime })];
    }
    return junk;
  };
}

/** Short, garbage and wrong-opcode datagrams: what a hostile host sends at a NAT-PMP client. */
export const NAT_PMP_JUNK: Buffer[] = [
  Buffer.from([0, 128]),
  Buffer.alloc(0),
  Buffer.from([0x80]),
  Buffer.from('garbage that is not NAT-PMP'),
  Buffer.from([0, 130, 0, 0]),
  Buffer.from([1, 128, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
  Buffer.from([0, 129, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
];
