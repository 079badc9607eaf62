import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EscapeFilter, type EscapeAction } from '../../../src-main/terminal/term-escape.js';

/** Feeds `chunks` through one filter; what was sent and what was asked, joined. */
function run(...chunks: string[]): { sent: string; actions: EscapeAction[] } {
  const f = new EscapeFilter();
  let sent = '';
  const actions: EscapeAction[] = [];
  for (const c of chunks) {
    const r = f.push(Buffer.from(c, 'latin1'));
    sent += r.send.toString('latin1');
    actions.push(...r.actions);
    if (r.actions.includes('disconnect')) break;
  }
  return { sent, actions };
}

test('~. first on a line leaves; what was typed before it still goes', () => {
  assert.deepEqual(run('ls\r~.'), { sent: 'ls\r', actions: ['disconnect'] });
  assert.deepEqual(run('~.'), { sent: '', actions: ['disconnect'] }, 'the very first key starts a line');
  assert.deepEqual(run('ls\r', '~', '.', 'more'), { sent: 'ls\r', actions: ['disconnect'] });
  assert.deepEqual(run('ls\n~.'), { sent: 'ls\n', actions: ['disconnect'] });
});

test('~~ sends one ~, ~? lists the sequences, ~ and another key are sent as typed', () => {
  assert.deepEqual(run('~~'), { sent: '~', actions: [] });
  assert.deepEqual(run('~~.'), { sent: '~.', actions: [] }, 'after ~~ the line has begun');
  assert.deepEqual(run('~?'), { sent: '', actions: ['help'] });
  assert.deepEqual(run('~?~.'), { sent: '', actions: ['help', 'disconnect'] });
  assert.deepEqual(run('~x'), { sent: '~x', actions: [] });
  assert.deepEqual(run('~\r~.'), { sent: '~\r', actions: ['disconnect'] });
  assert.deepEqual(run('cd ~/x.'), { sent: 'cd ~/x.', actions: [] }, 'not first on the line');
  assert.deepEqual(run('a~.'), { sent: 'a~.', actions: [] });
});

test('property: however the keys are split into reads, the result is the same', () => {
  const keys = fc.array(fc.constantFrom('~', '.', '?', '\r', '\n', 'a', 'b'), { maxLength: 40 });
  fc.assert(
    fc.property(keys, fc.array(fc.nat(40)), (ks, cuts) => {
      const text = ks.join('');
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
      const pieces: string[] = [];
      let from = 0;
      for (const p of points) {
        pieces.push(text.slice(from, p));
        from = p;
      }
      pieces.push(text.slice(from));
      assert.deepEqual(run(...pieces), run(text));
    }),
  );
});

test('property: input without an escape first on a line passes unchanged', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = Buffer.from(bytes).toString('latin1');
      fc.pre(!/(^|[\r\n])~/.test(text));
      assert.deepEqual(run(text), { sent: text, actions: [] });
    }),
  );
});
