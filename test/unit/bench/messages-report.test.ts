import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatMessagesSection,
  medianRate,
  messagesJson,
  messagesLines,
  type MessagesFigures,
} from '../../../bench/messages-report.js';
import { mosquittoBinary } from '../../../bench/messages-section.js';

const figures = (over: Partial<MessagesFigures> = {}): MessagesFigures => ({
  count: 10_000,
  bodyBytes: 200,
  clawbridge: { perS: [3000, 1000, 2000] },
  delivered: { perS: [5000, 4000, 6000] },
  mosquitto: { perS: [6000, 4000] },
  mosquittoWhat: 'mosquitto 2.0.11 (its C clients)',
  listen: { samplesMs: [1, 1.5, 3, 2, 40] },
  ask: { samplesMs: [330, 300, 310] },
  termTrue: { samplesMs: [300, 250, 260] },
  ...over,
});

const line = (f: MessagesFigures, key: string) => messagesLines(f).find((l) => l.key === key);

describe('messages section', () => {
  it('judges the medians of the turns: 2000 / 5000 msg/s is under 1.0x', () => {
    assert.equal(medianRate({ perS: [3000, 1000, 2000] }), 2000);
    assert.equal(medianRate({ perS: [6000, 4000] }), 5000);
    const rate = line(figures(), 'msg-10k/mqtt-10k')!;
    assert.equal(rate.value, 0.4);
    assert.equal(rate.pass, false);
    assert.equal(line(figures(), 'msg-10k-delivered/mqtt-10k')!.value, 1);
    assert.equal(line(figures(), 'msg-10k-delivered/mqtt-10k')!.pass, undefined);
  });

  it('judges the listener p50 against 2 ms and ask against 1.2x term', () => {
    const f = figures();
    assert.deepEqual([line(f, 'msg-listen p50Ms')!.value, line(f, 'msg-listen p50Ms')!.pass], [2, true]);
    assert.equal(line(f, 'msg-listen p99Ms')!.value, 40);
    const ask = line(f, 'msg-ask/term-true p50')!;
    assert.equal(ask.value, 310 / 260);
    assert.equal(ask.pass, true);
  });

  it('prints a missing mosquitto as skipped, its line as n/a, and does not fail', () => {
    const f = figures({ mosquitto: { perS: [], skipped: 'mosquitto not installed' } });
    const text = formatMessagesSection(f, ['a note']);
    assert.match(text, /mqtt-10k\s+skipped: mosquitto not installed/);
    assert.match(text, /messages msg-10k\/mqtt-10k\s+-\s+>= 1\.0x\s+n\/a/);
    assert.match(text, /note: a note/);
    assert.equal(line(f, 'msg-10k/mqtt-10k')!.pass, undefined);
    assert.deepEqual(messagesJson(f)['mqtt-10k'], { skipped: 'mosquitto not installed' });
  });

  it('prints every row with its figures and says what was durable', () => {
    const text = formatMessagesSection(figures(), []);
    assert.match(text, /msg-10k\s+2,000 msg\/s \(median of 3 turns: 3,000, 1,000, 2,000\)/);
    assert.match(text, /in order/);
    assert.match(text, /persistence false/);
    assert.match(text, /fdatasync per batch/);
    assert.match(text, /msg-listen\s+p50 2\.00 ms, p99 40\.00 ms over 5/);
    assert.match(text, /messages msg-ask\/term-true p50\s+1\.19x\s+<= 1\.2x\s+PASS/);
    const json = messagesJson(figures());
    assert.deepEqual(json['msg-10k'], { perS: 2000, turns: [3000, 1000, 2000] });
    assert.deepEqual((json.ratios as Record<string, number | null>)['msg-10k/mqtt-10k'], 0.4);
  });
});

describe('mosquittoBinary', () => {
  it('takes CLAWBRIDGE_BENCH_MOSQUITTO when set, and none when that path is missing or empty', () => {
    assert.equal(mosquittoBinary({ CLAWBRIDGE_BENCH_MOSQUITTO: process.execPath }), process.execPath);
    assert.equal(mosquittoBinary({ CLAWBRIDGE_BENCH_MOSQUITTO: '/nonexistent/mosquitto' }), undefined);
    assert.equal(mosquittoBinary({ CLAWBRIDGE_BENCH_MOSQUITTO: '' }), undefined);
  });
});
