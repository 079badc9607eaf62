/**
 * Resumable streams (ADR 0023): whatever moment the link dies at, and however often, both directions
 * arrive byte-exact once the stream resumes on a new link: nothing lost, duplicated or reordered. Cuts
 * are of two kinds: the link fails on both sides at once, or only the opener notices (a blackholed path
 * its mux gave up on first), so the acceptor's half is taken over while its old carrier still looks alive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { ClawError } from '../../src-main/core/errors.js';
import { Mux, type StreamRequest } from '../../src-main/mux/mux.js';
import { answerFinished, ResumableStream } from '../../src-main/mux/resumable-stream.js';
import { createLinkPair, type MemoryLink } from '../helpers/link-pair.js';
import { readAll } from '../unit/mux/mux-fixtures.js';
import { sleep } from '../helpers/wait.js';

interface World {
  link: MemoryLink;
  ma: Mux;
  mb: Mux;
}

/** A pair of muxes whose acceptor side serves `data` (new resumable streams) and `stream-resume`. */
function connect(halves: ResumableStream[]): World {
  const { a, b } = createLinkPair({ bytesPerTick: 256 * 1024 });
  const ma = new Mux(a);
  const mb = new Mux(b, {
    onStream: (req: StreamRequest) => {
      if (req.service === 'data') {
        halves.push(new ResumableStream({ stream: req.accept() }, { resumeMs: 5_000 }));
        return;
      }
      const { delivered } = req.args as { delivered: number };
      const half = halves[0];
      if (half?.completed) return answerFinished(req.accept(), half.receivedBytes);
      if (!half || half.destroyed) return req.reject('SESSION_GONE', 'no such stream');
      half.attach({ stream: req.accept() }, delivered);
    },
  });
  return { link: a, ma, mb };
}

async function waitForHalf(halves: ResumableStream[]): Promise<ResumableStream> {
  while (!halves[0]) await new Promise((r) => setImmediate(r));
  return halves[0];
}

test('a resumable stream arrives byte-exact both ways across random link cuts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 1_500_000 }),
      fc.integer({ min: 0, max: 1_500_000 }),
      fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 25 }), oneSided: fc.boolean() }), {
        minLength: 1,
        maxLength: 3,
      }),
      fc.integer({ min: 0, max: 70_000 }),
      async (upBytes, downBytes, cuts, earlyWanted) => {
        const halves: ResumableStream[] = [];
        const worlds: World[] = [connect(halves)];
        const current = () => worlds[worlds.length - 1]!;
        const carried = async (service: string, args: unknown, early?: PassThrough) => {
          const { ma } = current();
          return { stream: await ma.open(service, args, early ? { early } : {}), confirm: () => ma.ping() };
        };
        const up = randomBytes(upBytes);
        // The first bytes may go with the OPEN (first data, early-data.ts), as a forward's client's do.
        const early = new PassThrough();
        early.end(up.subarray(0, Math.min(earlyWanted, upBytes)));
        const first = await carried('data', {}, early);
        const opener = new ResumableStream(first, {
          resumeMs: 5_000,
          reopen: (delivered) => carried('stream-resume', { delivered }),
          sentEarly: first.stream.takeEarlyChunks(),
        });
        const sentEarly = opener.bytesOut;
        // What the OPEN could not take (over its cap) the caller writes first, as a front end's pipe does.
        const unsent: Buffer[] = [];
        for (let c: unknown; (c = early.read()) !== null;) unsent.push(c as Buffer);
        const acceptor = await waitForHalf(halves);
        const down = randomBytes(downBytes);
        const gotUp = readAll(acceptor, 20_000);
        const gotDown = readAll(opener, 20_000);
        // Written in uneven chunks, as sockets deliver them.
        const feed = (stream: ResumableStream, body: Buffer) => {
          let at = 0;
          const next = () => {
            while (at < body.length) {
              const n = Math.min(1 + ((at * 7919) % 90_000), body.length - at);
              const ok = stream.write(body.subarray(at, at + n));
              at += n;
              if (!ok) return void stream.once('drain', next);
            }
            stream.end();
          };
          next();
        };
        for (const c of unsent) opener.write(c);
        feed(opener, up.subarray(sentEarly + unsent.reduce((n, c) => n + c.length, 0)));
        feed(acceptor, down);
        for (const cut of cuts) {
          await sleep(cut.afterMs, 'the generated moment of the cut');
          const old = current();
          worlds.push(connect(halves));
          if (cut.oneSided) {
            old.link.blackhole();
            old.ma.close('opener gave up on the path');
          } else {
            old.link.fail(new ClawError('LINK_CLOSED', 'path died'));
          }
        }
        try {
          assert.ok((await gotUp).equals(up), 'opener → acceptor bytes are exact');
          assert.ok((await gotDown).equals(down), 'acceptor → opener bytes are exact');
          assert.equal(opener.retainedBytes, 0);
          assert.equal(acceptor.retainedBytes, 0);
        } finally {
          for (const w of worlds) {
            w.ma.close('test over');
            w.mb.close('test over');
          }
        }
      },
    ),
    {
      numRuns: Number(process.env.RESUME_RUNS ?? 40),
      verbose: true,
      ...(process.env.RESUME_SEED
        ? { seed: Number(process.env.RESUME_SEED), path: process.env.RESUME_PATH }
        : {}),
    },
  );
});
