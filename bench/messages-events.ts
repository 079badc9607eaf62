/**
 * The listening side of msg-10k, taken apart (ADR 0122): what 10,000 arriving messages cost the
 * receiving agent to put on the control socket (building each event and its JSON line) and the
 * listening program to read back (parsing the lines into InboxMessage objects), as one `message`
 * event each (the form before ADR 0122, still what a plain subscriber gets) and as `messages` events
 * of rows. Both forms in one process, in turns (which goes first swaps every round), CPU time
 * (process.cpuUsage) rather than wall time, so a loaded machine slows both alike; the medians and
 * their ratio are printed. Run: `npx tsx bench/messages-events.ts [rounds]`.
 */
import { loadavg } from 'node:os';
import {
  MessagesEventBuilder,
  inboxMessageOfRow,
  type MessagesEvent,
} from '../src-main/messages/compact-inbox.js';
import { inboxMessage } from '../src-main/messages/messages-api.js';
import type { InboxEntry } from '../src-main/messages/inbox-entry.js';
import type { InboxMessage } from '../src-main/messages/messages-contract.js';

/** Messages a round, and their body size in bytes (msg-10k's). */
const COUNT = 10_000;
const BODY_BYTES = 200;
/** Rounds of each form (after one uncounted of each). */
const ROUNDS = Number(process.argv[2] ?? 9);

const FROM = 'ab'.repeat(32);
const name = (fingerprint: string) => ({ name: 'a', fingerprint });
const t0 = Date.now();
const arrivals = Array.from({ length: COUNT }, (_, i) => {
  const entry: InboxEntry = {
    id: `0193a1b2-c3d4-7e5f-8a9b-${i.toString(16).padStart(12, '0')}`,
    from: FROM,
    topic: 'bulk-1',
    text: true,
    ttlMs: 7 * 86_400_000,
    size: BODY_BYTES,
    sentAt: t0 + (i >> 4),
    receivedAt: t0 + (i >> 4) + 3,
    expiresAt: t0 + (i >> 4) + 7 * 86_400_000,
    read: false,
  };
  return { entry, body: Buffer.from(`${String(i).padStart(8, '0')} ${'m'.repeat(BODY_BYTES - 9)}`) };
});

/** The agent's side: the event lines for every arrival (as the control socket joins a tick's lines). */
function agentSide(form: 'each' | 'batched'): string {
  const lines: string[] = [];
  if (form === 'each') {
    for (const { entry, body } of arrivals)
      lines.push(`${JSON.stringify({ event: 'message', data: inboxMessage(entry, body, name) })}\n`);
  } else {
    let batch = new MessagesEventBuilder(name);
    const flush = () => {
      lines.push(`${JSON.stringify({ event: 'messages', data: batch.build() })}\n`);
      batch = new MessagesEventBuilder(name);
    };
    for (const { entry, body } of arrivals) {
      batch.add(entry, entry.from, body);
      if (batch.full) flush();
    }
    if (batch.size > 0) flush();
  }
  return lines.join('');
}

/** The program's side: each line parsed, the messages as its listener is handed them. */
function clientSide(text: string): InboxMessage[] {
  const out: InboxMessage[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const line = JSON.parse(text.slice(start, nl)) as { event: string; data: unknown };
    start = nl + 1;
    if (line.event === 'message') out.push(line.data as InboxMessage);
    else {
      const event = line.data as MessagesEvent;
      for (const row of event.rows) out.push(inboxMessageOfRow(row, event)!);
    }
  }
  return out;
}

const cpuMs = (f: () => void) => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

const forms = ['each', 'batched'] as const;
const figures = {
  each: { agent: [] as number[], client: [] as number[], chars: 0 },
  batched: { agent: [] as number[], client: [] as number[], chars: 0 },
};
for (let round = 0; round <= ROUNDS; round++) {
  for (const form of round % 2 === 0 ? forms : [...forms].reverse()) {
    let text = '';
    const agent = cpuMs(() => (text = agentSide(form)));
    let got: InboxMessage[] = [];
    const client = cpuMs(() => (got = clientSide(text)));
    if (got.length !== COUNT || got[COUNT - 1]!.text !== arrivals[COUNT - 1]!.body.toString())
      throw new Error(`${form}: read back ${got.length} messages, not the ${COUNT} sent`);
    if (round === 0) continue; // warming
    figures[form].agent.push(agent);
    figures[form].client.push(client);
    figures[form].chars = text.length;
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
console.log(
  `${COUNT} messages of ${BODY_BYTES} bytes, ${ROUNDS} rounds each in turns; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
for (const form of forms) {
  const f = figures[form];
  console.log(
    `  ${form.padEnd(8)} agent ${median(f.agent).toFixed(1)} ms CPU, program ${median(f.client).toFixed(1)} ms CPU, ${(f.chars / COUNT).toFixed(0)} characters a message`,
  );
}
const ratio = (k: 'agent' | 'client') => median(figures.batched[k]) / median(figures.each[k]);
console.log(`  batched / each: agent ${ratio('agent').toFixed(2)}×, program ${ratio('client').toFixed(2)}×`);
