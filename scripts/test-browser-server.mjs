// @ts-check
// The run's one Chromium, as a process of its own that scripts/test-browser.mjs starts for
// scripts/run-tests.mjs: playwright-core's browser server (`launchServer`) on loopback, which each browser
// test file connects to (test/helpers/browser.ts) instead of launching a Chromium of its own. Each
// connection's contexts are its own and close when it disconnects.
//
// It speaks to the runner in lines on stdout: `endpoint WS-URL` once the browser is up (again after a
// restart), `ended WHY` when the browser ended on its own (it crashed, or was killed) and a new one is
// being launched, and `cpu SECONDS` last, as it shuts down. It shuts down when its stdin ends (the
// runner closed it, or died) or on SIGINT, SIGTERM or SIGHUP (Ctrl-C reaches it with the runner).

import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { droppedFeatures, launchOptions } from './test-browser-launch.mjs';
import { ticksPerSecond } from './test-costs.mjs';

const executablePath = process.env.CLAWBRIDGE_CHROMIUM ?? '/usr/bin/chromium';
/** @type {import('playwright-core').BrowserServer | undefined} */
let server;
let closing = false;

/** @param {string} line */
const say = (line) => process.stdout.write(`${line}\n`);

async function start() {
  const launched = await chromium.launchServer({
    ...launchOptions(executablePath),
    host: '127.0.0.1',
    // This process decides when the browser closes (shutDown below), not playwright-core's handlers.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const dropped = droppedFeatures();
  if (dropped) {
    await launched.close();
    throw new Error(dropped);
  }
  launched.on('close', () => {
    if (closing || launched !== server) return;
    const { exitCode, signalCode } = launched.process();
    say(
      `ended: Chromium exited (code ${exitCode}, signal ${signalCode}); a new one is launched for the next files`,
    );
    start().catch(fail);
  });
  server = launched;
  say(`endpoint ${launched.wsEndpoint()}`);
}

/** @param {unknown} err */
function fail(err) {
  process.stderr.write(
    `the shared Chromium could not be launched: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}

/** @param {string} stat /proc/PID/stat @returns {string[]} its fields from the third (state) on */
const fields = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/**
 * CPU seconds of this process and every process below it now: each one's own time and that of the
 * children it reaped (utime, stime, cutime, cstime). Read before the browser closes: Chromium's main
 * process exits without reaping its zygotes, so their renderers' CPU would be nobody's once it has.
 */
function treeCpuSeconds() {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  /** @type {Map<number, number>} */
  const ticks = new Map();
  for (const name of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = fields(readFileSync(`/proc/${name}/stat`, 'utf8'));
      const ppid = Number(f[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
      ticks.set(Number(name), Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    } catch {
      // It ended while it was read: its parent reaped it, and holds its time.
    }
  }
  let sum = 0;
  const todo = [process.pid];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    sum += ticks.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return sum / ticksPerSecond();
}

async function shutDown() {
  if (closing) return;
  closing = true;
  const cpu = treeCpuSeconds();
  await server?.close().catch(() => undefined);
  say(`cpu ${cpu.toFixed(2)}`);
  process.exit(0);
}

process.stdin.on('end', () => void shutDown());
process.stdin.resume();
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
  process.on(signal, () => void shutDown());
await start().catch(fail);
