/**
 * The port-mapping clients (src-main/transport/nat/) under bytes a router or any LAN host chooses:
 * malformed, truncated, huge. Each reader either yields a value that obeys its rules or says why not,
 * and never throws; then the whole finder, against a router on loopback whose every answer (SSDP,
 * description, SOAP, NAT-PMP) is drawn at random — short, garbage, huge, trickling or silent — settles
 * within its deadline with a value or an Error, and leaves no connection open.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { wanServiceFrom } from '../../src-main/transport/nat/igd-description.js';
import { isLanAddress } from '../../src-main/transport/nat/lan-address.js';
import { lanGatewayFinder } from '../../src-main/transport/nat/mapping-gateways.js';
import { decodeNatPmpReply, type NatPmpRequest } from '../../src-main/transport/nat/nat-pmp.js';
import {
  descriptionUrl,
  parseSsdpAnswer,
  SSDP_ANSWER_LIMIT_BYTES,
} from '../../src-main/transport/nat/ssdp.js';
import { portField, readSoapAnswer, soapField } from '../../src-main/transport/nat/upnp-soap.js';
import { igdDescription, natPmpReply, ssdpAnswer, startFakeUdp } from '../helpers/fake-router.js';
import { until } from '../helpers/wait.js';

const REQUESTS: NatPmpRequest[] = [
  { op: 'external-address' },
  { op: 'map-tcp', internalPort: 7000, externalPort: 7000, lifetimeSeconds: 3600 },
  { op: 'map-tcp', internalPort: 7000, externalPort: 0, lifetimeSeconds: 0 },
];

/** Bytes near a valid form: a valid one cut short, flipped, or padded, or anything at all. */
function around(valid: Buffer[], maxLength: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc
      .tuple(fc.constantFrom(...valid), fc.nat(), fc.uint8Array({ maxLength: 64 }))
      .map(([v, cut, tail]) => Buffer.concat([v.subarray(0, cut % (v.length + 1)), tail])),
    fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, at, byte]) => {
      const b = Buffer.from(v);
      if (b.length) b[at % b.length] = byte;
      return b;
    }),
  );
}

const PMP_VALID = [
  natPmpReply({ op: 'external-address', address: '11.1.0.2' }),
  natPmpReply({ op: 'map', internalPort: 7000, externalPort: 7000, lifetime: 3600 }),
  natPmpReply({ op: 'map', internalPort: 7000, externalPort: 0, lifetime: 0 }),
];

test('NAT-PMP: any datagram decodes to an answer that fits the request, a refusal, or a drop', () => {
  fc.assert(
    fc.property(around(PMP_VALID, 2048), fc.constantFrom(...REQUESTS), (bytes, request) => {
      const d = decodeNatPmpReply(bytes, request);
      if (d.kind === 'drop' || d.kind === 'refused') return;
      assert.equal(bytes[0], 0);
      if (d.answer.kind === 'mapped') {
        assert.ok(
          request.op === 'map-tcp' && bytes.length >= 16,
          "request.op === 'map-tcp' && bytes.length >= 16",
        );
        assert.equal(d.answer.internalPort, request.internalPort);
      } else {
        assert.ok(
          request.op === 'external-address' && bytes.length >= 12,
          "request.op === 'external-address' && bytes.length >= 12",
        );
        assert.match(d.answer.address, /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
      }
    }),
    { numRuns: 3000 },
  );
});

test('SSDP: any datagram is an answer with a LOCATION within the cap, or dropped; only LAN responders are followed', () => {
  const valid = [ssdpAnswer('http://192.168.1.1:5000/rootDesc.xml'), ssdpAnswer('http://127.0.0.1:22/x')];
  fc.assert(
    fc.property(
      around(valid, 4 * SSDP_ANSWER_LIMIT_BYTES),
      fc.constantFrom('192.168.1.1', '127.0.0.1', '11.0.0.1', '192.168.1.66'),
      (bytes, responder) => {
        const a = parseSsdpAnswer(bytes);
        if ('drop' in a) return;
        assert.ok(
          bytes.length <= SSDP_ANSWER_LIMIT_BYTES && a.location.length > 0,
          'bytes.length <= SSDP_ANSWER_LIMIT_BYTES && a.location.length > 0',
        );
        const url = descriptionUrl(a.location, responder);
        if ('drop' in url) return;
        assert.equal(url.hostname, responder);
        assert.ok(
          isLanAddress(url.hostname) && url.protocol === 'http:',
          "isLanAddress(url.hostname) && url.protocol === 'http:'",
        );
      },
    ),
    { numRuns: 3000 },
  );
});

test('a description: any text yields a control URL on the description host and port, or none', () => {
  const location = new URL('http://192.168.1.1:5000/rootDesc.xml');
  const pieces = fc.constantFrom(
    '<service>',
    '</service>',
    '<serviceType>',
    '</serviceType>',
    'urn:schemas-upnp-org:service:WANIPConnection:2',
    '<controlURL>',
    '</controlURL>',
    '/ctl',
    'http://127.0.0.1/x',
    '//evil:1/',
    '&amp;',
    ' ',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 4096 }),
        fc.array(pieces, { maxLength: 400 }).map((p) => p.join('')),
      ),
      (xml) => {
        const s = wanServiceFrom(xml, location);
        if ('drop' in s) return;
        assert.equal(s.controlUrl.host, location.host);
        assert.equal(s.controlUrl.protocol, 'http:');
      },
    ),
    { numRuns: 2000 },
  );
  // The worst a capped body can be for the scan: many openings and no close. It finishes, and finds none.
  const worst = '<serviceType>'.repeat(5000) + '<controlURL>'.repeat(100);
  assert.ok('drop' in wanServiceFrom(worst, location), "'drop' in wanServiceFrom(worst, location)");
  assert.ok(
    'drop' in wanServiceFrom(igdDescription('urn:x', '/c') + '<serviceType>'.repeat(5000), location),
    "'drop' in wanServiceFrom(igdDescription('urn:x', '/c') + '<serviceType>'.repeat(5000), location)",
  );
});

test('SOAP: any answer yields its fields or an error message; a port field is a port or nothing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 599 }), fc.string({ maxLength: 4096 }), (status, body) => {
      const a = readSoapAnswer(status, body, 'AddAnyPortMapping');
      assert.ok(
        a.ok ? status === 200 : a.message.startsWith('AddAnyPortMapping: '),
        "a.ok ? status === 200 : a.message.startsWith('AddAnyPortMapping: ')",
      );
      const port = portField(body, 'NewReservedPort');
      assert.ok(
        port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535),
        'port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535)',
      );
      const field = soapField(body, 'NewExternalIPAddress');
      assert.ok(field === undefined || field.length <= 256, 'field === undefined || field.length <= 256');
    }),
    { numRuns: 3000 },
  );
});

/** What the random router answers at each step. */
type HttpAnswer = 'ok' | 'garbage' | 'huge' | 'slow' | 'silent' | 'close' | 'error-status';
const httpAnswer = fc.constantFrom<HttpAnswer>(
  'ok',
  'garbage',
  'huge',
  'slow',
  'silent',
  'close',
  'error-status',
);

async function randomIgd(
  description: HttpAnswer,
  soap: HttpAnswer,
): Promise<{ server: Server; port: number; open: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const mode = req.method === 'GET' ? description : soap;
    const ok =
      req.method === 'GET'
        ? igdDescription('urn:schemas-upnp-org:service:WANIPConnection:2', '/ctl')
        : '<u:AddAnyPortMappingResponse><NewReservedPort>7000</NewReservedPort></u:AddAnyPortMappingResponse>' +
          '<u:GetExternalIPAddressResponse><NewExternalIPAddress>11.1.0.2</NewExternalIPAddress></u:GetExternalIPAddressResponse>';
    if (mode === 'silent') return;
    if (mode === 'close') return req.socket.destroy();
    res.writeHead(mode === 'error-status' ? 500 : 200, { 'content-type': 'text/xml' });
    if (mode === 'ok' || mode === 'error-status') return res.end(ok);
    if (mode === 'garbage') return res.end(Buffer.from([0, 1, 2, 0xff, 0x3c, 0x3e]));
    const chunk = Buffer.alloc(mode === 'huge' ? 256 * 1024 : 1, 'x');
    let n = 0;
    const pump = () => {
      // Bounded: at most 64 chunks, each waiting for the reader.
      if (res.destroyed || n++ > 64) return void res.end();
      if (mode === 'huge') return void res.write(chunk, pump);
      res.write(chunk);
      const t = setTimeout(pump, 100);
      timers.add(t);
    };
    pump();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    open: () => sockets.size,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

test('the finder against a router whose every answer is random settles in time, bounded, no connection left', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(around([ssdpAnswer('http://127.0.0.1:1/desc.xml')], 3000), { maxLength: 6 }),
      httpAnswer,
      httpAnswer,
      fc.array(around(PMP_VALID, 64), { maxLength: 6 }),
      async (ssdpJunk, description, soap, pmpJunk) => {
        const igd = await randomIgd(description, soap);
        const location = `http://127.0.0.1:${igd.port}/desc.xml`;
        const ssdp = await startFakeUdp('127.0.0.1', 0, () => [
          ...ssdpJunk.map((b) => Buffer.from(b)),
          ssdpAnswer(location),
        ]);
        const pmp = await startFakeUdp('127.0.0.1', 0, () => pmpJunk.map((b) => Buffer.from(b)));
        try {
          const finder = lanGatewayFinder({
            ssdpTarget: { address: '127.0.0.1', port: ssdp.port },
            allowHost: () => true,
            natPmpPort: pmp.port,
            gateway: () => Promise.resolve('127.0.0.1'),
          });
          const gateways = await finder.find(AbortSignal.timeout(800));
          for (const g of gateways) {
            const r: unknown = await g.map(7000, 3600, AbortSignal.timeout(800)).catch((err: unknown) => err);
            const port = r instanceof Error ? undefined : (r as { externalPort: number }).externalPort;
            assert.ok(r instanceof Error || (port! >= 1 && port! <= 65535), String(r));
          }
          await until('every connection to the router closed', () => igd.open() === 0, 5_000);
        } finally {
          await Promise.all([igd.close(), ssdp.close(), pmp.close()]);
        }
      },
    ),
    { numRuns: 30 },
  );
});
