/**
 * A viewer's terminal and the sharer's size (`sessions join`, docs/adr/0123-shared-terminals.md
 * §Sizes): one line when the sharer's terminal does not fit in this one, again only after it fit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharerSizeNotice, sizeNotice } from '../../../src-main/terminal/cli/sharer-size.js';

test("the notice names both sizes and what the viewer sees, only when the sharer's is larger", () => {
  assert.equal(
    sizeNotice({ cols: 120, rows: 40 }, { cols: 80, rows: 24 }),
    "the sharer's terminal is 120x40, yours is 80x24: lines will wrap; make this terminal at least that large to see it as they do",
  );
  assert.match(
    sizeNotice({ cols: 80, rows: 40 }, { cols: 100, rows: 24 }) ?? '',
    /80x40, yours is 100x24: the top of the screen scrolls away/,
    'too few rows only: nothing wraps, the top scrolls away',
  );
  assert.equal(sizeNotice({ cols: 80, rows: 24 }, { cols: 80, rows: 24 }), undefined, 'the same size fits');
  assert.equal(sizeNotice({ cols: 80, rows: 24 }, { cols: 200, rows: 50 }), undefined, 'a larger one too');
});

test('said once each time the sharer stops fitting, by its resize or by this terminal’s', () => {
  let local: { cols: number; rows: number } | undefined = { cols: 80, rows: 24 };
  const said: string[] = [];
  const notice = new SharerSizeNotice(
    () => local,
    (line) => said.push(line),
  );
  notice.sharerSized({ cols: 80, rows: 24 });
  assert.equal(said.length, 0, 'a sharer of the same size is worth no line');
  notice.sharerSized({ cols: 120, rows: 40 });
  notice.sharerSized({ cols: 121, rows: 40 });
  notice.localResized();
  assert.equal(said.length, 1, 'one line while it does not fit, however often either side resizes');
  local = { cols: 200, rows: 50 };
  notice.localResized();
  local = { cols: 100, rows: 30 };
  notice.localResized();
  assert.equal(said.length, 2, 'fitting for a while, then not: one more line');
  assert.match(said[1]!, /121x40, yours is 100x30/, 'with the sizes as they are now');
  local = undefined;
  notice.sharerSized({ cols: 400, rows: 100 });
  assert.equal(said.length, 2, 'output to no terminal wraps nowhere: no line');
});
