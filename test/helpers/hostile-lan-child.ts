/**
 * Started inside a NAT lab namespace (test/helpers/nat-lab.ts) by bench/child.ts's startChild, to play
 * a router that lies or a hostile host on the LAN (test/helpers/fake-router.ts); answers:
 * - `fake-router` {lanAddr, externalAddress, grant, ssdpDelayMs}: a UPnP IGD v2 on lanAddr:5000 found by
 *   SSDP (its answer sent ssdpDelayMs after each search, as a slow router's), and a
 *   NAT-PMP gateway on lanAddr:5351 that sends short and garbage datagrams before each answer; both
 *   report `externalAddress` and grant external port `grant`; `router-calls`: the SOAP actions so far;
 * - `hostile-lan` {addr, victim, loopbackPort, answers, floodMs}: on each M-SEARCH from `victim`, sends
 *   first an answer whose LOCATION (on addr:8000) streams endless `text/xml`, then `answers` more with
 *   fresh USNs and LOCATIONs on the victim's loopback port and on other hosts; for floodMs it sends 2-byte and
 *   garbage datagrams at the victim's NAT-PMP client port 5350 and across its ephemeral ports;
 *   `hostile-stats`: answers and datagrams sent, and the endless server's connections;
 * - `count-server` {port}: an HTTP server on 127.0.0.1:port that counts what reaches it; `count`.
 */
import { createSocket } from 'node:dgram';
import { serveParent } from '../../bench/child.js';
import {
  NAT_PMP_JUNK,
  natPmpGateway,
  ssdpAnswer,
  startFakeIgd,
  startFakeUdp,
  startHostileHttp,
  type FakeIgd,
  type HostileHttp,
} from './fake-router.js';

/** The victim's ephemeral ports (Linux's default range), sprayed a few times while the flood runs. */
const EPHEMERAL = [32768, 60999] as const;
/** How many times the ephemeral range is sprayed (each a datagram per port): bounded. */
const SPRAY_ROUNDS = 3;

let igd: FakeIgd | undefined;
let endless: HostileHttp | undefined;
let counter: HostileHttp | undefined;
const stats = { ssdpAnswers: 0, datagrams: 0 };

const isSearch = (b: Buffer) => b.subarray(0, 8).toString('latin1') === 'M-SEARCH';

serveParent(
  async (req) => {
    switch (req.op) {
      case 'fake-router': {
        const lanAddr = String(req.lanAddr);
        const grant = Number(req.grant);
        const externalAddress = String(req.externalAddress);
        igd = await startFakeIgd({ host: lanAddr, port: 5000, externalAddress, grant: () => grant });
        const location = igd.location;
        const delayMs = Number(req.ssdpDelayMs ?? 0);
        const ssdp = await startFakeUdp(
          '0.0.0.0',
          1900,
          (b, from) => {
            if (isSearch(b))
              setTimeout(() => ssdp.socket.send(ssdpAnswer(location), from.port, from.address), delayMs);
            return [];
          },
          lanAddr,
        );
        await startFakeUdp(
          lanAddr,
          5351,
          natPmpGateway(externalAddress, () => grant, NAT_PMP_JUNK),
        );
        return location;
      }
      case 'router-calls':
        return igd?.calls ?? [];
      case 'hostile-lan': {
        const addr = String(req.addr);
        const victim = String(req.victim);
        const answers = Number(req.answers);
        endless = await startHostileHttp(addr, 'endless', 8000);
        const others = [
          `http://127.0.0.1:${Number(req.loopbackPort)}/internal-admin`,
          'http://192.168.1.1:5000/desc.xml',
          'http://11.0.0.1/internal-admin',
        ];
        const answered = new Set<number>();
        const ssdp = await startFakeUdp(
          '0.0.0.0',
          1900,
          (b, from) => {
            if (!isSearch(b) || from.address !== victim || answered.has(from.port)) return [];
            answered.add(from.port);
            // Paced in batches so the victim's socket buffer takes most of them.
            let sent = 0;
            const batch = () => {
              for (let i = 0; i < 100 && sent < answers; i++, sent++) {
                const location = sent === 0 ? `http://${addr}:8000/desc.xml` : others[sent % others.length]!;
                ssdp.socket.send(
                  ssdpAnswer(location, `uuid:hostile-${from.port}-${sent}`),
                  from.port,
                  from.address,
                );
                stats.ssdpAnswers++;
              }
              if (sent < answers) setTimeout(batch, 5);
            };
            batch();
            return [];
          },
          addr,
        );
        const flood = createSocket('udp4');
        await new Promise<void>((r) => flood.bind(0, addr, r));
        const junk = [Buffer.from([0, 128]), Buffer.from([0x80]), Buffer.from('garbage'), Buffer.alloc(0)];
        const end = Date.now() + Number(req.floodMs);
        let rounds = 0;
        const tick = () => {
          if (Date.now() > end) return flood.close();
          for (const b of junk) flood.send(b, 5350, victim);
          stats.datagrams += junk.length;
          if (rounds < SPRAY_ROUNDS) {
            rounds++;
            for (let p = EPHEMERAL[0]; p <= EPHEMERAL[1]; p++) flood.send(junk[0]!, p, victim);
            stats.datagrams += EPHEMERAL[1] - EPHEMERAL[0] + 1;
          }
          setTimeout(tick, 20);
        };
        tick();
        return true;
      }
      case 'hostile-stats':
        return { ...stats, endlessOpened: endless?.opened() ?? 0, endlessOpen: endless?.open() ?? 0 };
      case 'count-server':
        counter = await startHostileHttp('127.0.0.1', 'count', Number(req.port));
        return counter.port;
      case 'count':
        return counter?.requests ?? [];
      default:
        throw new Error(`unknown op ${req.op}`);
    }
  },
  { tuneGc: false },
);
