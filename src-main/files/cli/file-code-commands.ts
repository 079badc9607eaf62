/**
 * `clawbridge file send PATH… --code` (ADR 0124): files to someone who is no peer. The sender's agent
 * holds the offer (`files.sendCode`); this command prints the code, the link and the relay page, then
 * follows the offer (the `file.codeOffer` event, and a read every second besides) until it is done,
 * failed, cancelled or expired; Ctrl-C cancels it. The other side: file-receive-command.ts.
 */
import { resolve } from 'node:path';
import { ControlClient } from '../../api/control-client.js';
import { ClawError, errorMessage } from '../../core/errors.js';
import { groupFingerprint } from '../../core/fingerprint.js';
import { controlSocketPath, resolveHome } from '../../home/home-dir.js';
import type { HomeOpts } from '../../cli/client-commands.js';
import { formatBytes } from '../../cli/format-bytes.js';
import { printJsonLine, printLine, printNote, printProgress, useJsonLines } from '../../cli/output.js';
import { exitAfterOutput } from '../../cli/output-errors.js';
import { STOP_SIGNALS } from '../../cli/stop-signals.js';
import type { CodeOfferInfo } from '../files-contract.js';
import { progressLine } from './file-progress.js';
import { followUntilEnded } from './follow-until-ended.js';

/** How long Ctrl-C waits for the agent to cancel the offer, in ms. */
const CANCEL_CALL_MS = 5000;
/** How long the agent may take to walk and hash the paths before it answers with a code, in ms. */
const OFFER_CALL_MS = 30 * 60_000;

export interface SendCodeOpts extends HomeOpts {
  /** How long the code may be taken, in seconds (the agent's default: 600). */
  ttl?: string;
}

const ENDED = new Set<CodeOfferInfo['state']>(['done', 'failed', 'cancelled', 'expired']);
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `--ttl SECONDS`, checked here. */
export function parseTtl(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 10 || n > 24 * 3600)
    throw new ClawError('BAD_ARGUMENT', `--ttl takes whole seconds from 10 to 86400, got '${value}'`);
  return n;
}

/** What `file send --code` prints first: the code, how to take it, until when. */
export function offerText(o: CodeOfferInfo): string[] {
  const until = o.expiresAt.slice(11, 16);
  return [
    `code: ${o.code} (one use; expires at ${until} UTC)`,
    `offering ${plural(o.files, 'file')} (${formatBytes(o.bytes)}): ${o.names.join(', ')}`,
    `on the other machine: clawbridge file receive '${o.link}'`,
    ...(o.page ? [`or in a browser: ${o.page}`] : []),
  ];
}

export async function sendCodeCommand(paths: string[], opts: SendCodeOpts): Promise<void> {
  const json = opts.json === true;
  if (json) useJsonLines();
  const ttlSeconds = parseTtl(opts.ttl);
  const home = resolveHome(opts.home);
  const client = await ControlClient.connect(controlSocketPath(home), home);
  let offer: CodeOfferInfo | undefined;
  let drawn = false;
  const clear = () => {
    if (drawn) printProgress(null);
    drawn = false;
  };
  const stop = onInterrupt(async () => {
    clear();
    if (!offer) return;
    try {
      const o = await client.call('files.cancelCode', { id: offer.id }, CANCEL_CALL_MS);
      if (json) printJsonLine({ event: 'cancelled', ...o });
      printNote(`cancelled: the code ${o.code} is no longer good; nothing more is sent`);
    } catch (err) {
      printNote(`interrupted, but the agent could not cancel the offer (${errorMessage(err)})`);
    }
  });
  try {
    offer = await client.call(
      'files.sendCode',
      { paths: paths.map((p) => resolve(p)), ...(ttlSeconds ? { ttlSeconds } : {}) },
      OFFER_CALL_MS,
    );
    if (json) printJsonLine({ event: 'code', ...offer });
    else {
      for (const line of offerText(offer)) printLine(line);
      printNote('waiting for someone to take it (Ctrl-C cancels)...');
    }
    const tty = !json && process.stderr.isTTY === true;
    let taken = false;
    let last = '';
    const show = (o: CodeOfferInfo) => {
      if (o.by && !taken) {
        taken = true;
        clear();
        if (json) printJsonLine({ event: 'taken', ...o });
        else
          printNote(
            `taken by ${o.by.name}, fingerprint ${groupFingerprint(o.by.fingerprint)} (compare with the receiver's screen)`,
          );
      }
      const t = o.progress;
      if (!t || ENDED.has(o.state)) return;
      if (json) {
        const key = `${t.state}:${t.bytesDone}:${t.filesDone}`;
        if (key !== last) printJsonLine({ event: 'progress', ...t });
        last = key;
      } else if (tty && (t.state === 'sending' || t.state === 'waiting')) {
        printProgress(progressLine(t));
        drawn = true;
      }
    };
    const end = await followOffer(client, offer.id, show);
    clear();
    if (stop.interrupted) return await stop.done;
    if (end.state === 'done') {
      if (json) return printJsonLine({ event: 'done', ...end });
      const by = end.by ? `${end.by.name} (${end.by.short})` : 'the receiver';
      return printLine(
        `sent ${plural(end.files, 'file')} (${formatBytes(end.bytes)}) to ${by}, every one verified`,
      );
    }
    if (json) printJsonLine({ event: end.state, ...end });
    throw new ClawError('TRANSFER_FAILED', `not sent: ${end.why ?? `the offer ${end.state}`}`);
  } catch (err) {
    if (stop.interrupted) return await stop.done;
    throw err;
  } finally {
    stop.dispose();
    client.close();
  }
}

/** Follows offer `id` until it ends; the agent going away ends it too. */
function followOffer(
  client: ControlClient,
  id: string,
  show: (o: CodeOfferInfo) => void,
): Promise<CodeOfferInfo> {
  return followUntilEnded(client, {
    id,
    event: 'file.codeOffer',
    list: () => client.call('files.codeOffers', {}, 10_000),
    show,
    ended: (o) => ENDED.has(o.state),
    gone: 'the local agent stopped, and the offer with it: send again for a new code',
  });
}

/** Ctrl-C (and SIGTERM, a hang-up): `cancel`, then exit 130; a second one exits at once. */
export function onInterrupt(cancel: () => Promise<void>): {
  readonly interrupted: boolean;
  readonly done: Promise<never>;
  dispose(): void;
} {
  let interrupted = false;
  let done: Promise<never> = new Promise<never>(() => undefined);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return exitAfterOutput(130, signal);
    interrupted = true;
    done = cancel().then(() => {
      exitAfterOutput(130, signal);
      return new Promise<never>(() => undefined);
    });
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    get done() {
      return done;
    },
    dispose: () => {
      if (!interrupted) for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
