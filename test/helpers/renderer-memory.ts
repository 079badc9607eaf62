/**
 * A browser's renderers' memory as a user's task manager shows it: Chrome's "Memory footprint" is the
 * process's private footprint, on Linux RssAnon + VmSwap (memory-infra's `private_footprint`), not
 * VmRSS, which also counts the pages a renderer shares with every other (Chromium's own binary, its
 * fonts, ICU data). /proc keeps no peak of RssAnon (VmHWM is the RSS's), so a peak is sampled.
 * Linux only, as the browser tests are; the renderers are the ones the browser's CDP lists, so a
 * service worker's renderer of its own is among them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** One renderer's memory now, in bytes. */
export interface RendererMemory {
  /** RssAnon + VmSwap: what Chrome's task manager shows as its memory footprint. */
  footprint: number;
  /** VmRSS: with the pages shared with other processes. */
  rss: number;
  /** CPU time it used so far (user + system), in seconds: what a byte cost it, whatever the load. */
  cpu: number;
}

/** Clock ticks a second in /proc/PID/stat (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** Each renderer process of `browser` alive now, by PID. */
export async function rendererMemory(browser: Browser): Promise<Map<number, RendererMemory>> {
  const session = await browser.newBrowserCDPSession();
  const info = (await session.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number }[];
  };
  await session.detach();
  const out = new Map<number, RendererMemory>();
  for (const p of info.processInfo.filter((p) => p.type === 'renderer')) {
    let status: string;
    let stat: string;
    try {
      status = readFileSync(`/proc/${p.id}/status`, 'utf8');
      stat = readFileSync(`/proc/${p.id}/stat`, 'utf8');
    } catch {
      continue; // it ended since the browser listed it
    }
    const kib = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
    out.set(p.id, { footprint: kib('RssAnon') + kib('VmSwap'), rss: kib('VmRSS'), cpu });
  }
  assert.ok(out.size > 0, 'the browser listed its renderers');
  return out;
}

/** What a sampling saw: each renderer's first and largest footprint, and the largest of them all together. */
export interface FootprintPeaks {
  first: Map<number, number>;
  peak: Map<number, number>;
  /** The largest sum over every renderer alive at one sample. */
  peakTotal: number;
  samples: number;
}

/**
 * Samples the renderers' footprints every `everyMs` until `stop()`, which resolves with what was seen
 * (one last sample taken then). Each sample waits for the one before, so a slow CDP answer on a loaded
 * machine never stacks requests.
 */
export function sampleFootprints(browser: Browser, everyMs = 100): { stop(): Promise<FootprintPeaks> } {
  const seen: FootprintPeaks = { first: new Map(), peak: new Map(), peakTotal: 0, samples: 0 };
  const take = async () => {
    const now = await rendererMemory(browser);
    let total = 0;
    for (const [pid, m] of now) {
      if (!seen.first.has(pid)) seen.first.set(pid, m.footprint);
      seen.peak.set(pid, Math.max(seen.peak.get(pid) ?? 0, m.footprint));
      total += m.footprint;
    }
    seen.peakTotal = Math.max(seen.peakTotal, total);
    seen.samples++;
  };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    running = take().then(
      () => {
        if (!stopped) timer = setTimeout(loop, everyMs);
      },
      () => {
        if (!stopped) timer = setTimeout(loop, everyMs);
      },
    );
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await take();
      return seen;
    },
  };
}
