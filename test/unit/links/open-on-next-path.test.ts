import assert from 'node:assert/strict';
import test from 'node:test';
import { ClawError } from '../../../src-main/core/errors.js';
import { openOnNextPath } from '../../../src-main/links/open-on-next-path.js';
import type { ActivePath } from '../../../src-main/links/ports.js';

/** A path whose open answers with `answer` (a value, or an error to throw). */
function path(name: string, answer: () => Promise<string>): ActivePath {
  const p = {
    path: name,
    mux: { closed: false, name },
    link: { remote: name },
    answer,
  };
  return p as unknown as ActivePath;
}
const dies = () =>
  Promise.reject(new ClawError('LINK_CLOSED', 'no reply from peer for 3 s; the path is down'));
const answers = (v: string) => () => Promise.resolve(v);

function deps(paths: { active: ActivePath; later?: ActivePath; after?: number }, early = false) {
  let current: ActivePath | undefined = paths.active;
  if (paths.later) {
    setTimeout(() => {
      (paths.active.mux as { closed: boolean }).closed = true;
      current = paths.later;
    }, paths.after ?? 20);
  }
  return {
    active: () => paths.active,
    current: () => current,
    open: (p: ActivePath) => (p as unknown as { answer: () => Promise<string> }).answer(),
    early,
    waitMs: 500,
  };
}

test('an open whose link dies goes once more on the next path that comes up', async () => {
  const direct = path('direct', dies);
  const relay = path('relay', answers('on relay'));
  const got = await openOnNextPath(deps({ active: direct, later: relay }));
  assert.equal(got.value, 'on relay');
  assert.equal(got.path, relay);
});

test('no next path within the wait: the first error, as it was', async () => {
  const direct = path('direct', dies);
  await assert.rejects(openOnNextPath(deps({ active: direct })), /the path is down/);
});

test('an open with early data, or one the peer refused, is not tried again', async () => {
  const direct = path('direct', dies);
  const relay = path('relay', answers('on relay'));
  await assert.rejects(openOnNextPath(deps({ active: direct, later: relay }, true)), /the path is down/);
  const refused = path('direct', () => Promise.reject(new ClawError('STREAM_REJECTED', 'no terminal here')));
  await assert.rejects(openOnNextPath(deps({ active: refused, later: relay })), /no terminal here/);
});

test('the second try failing too fails the open (no third)', async () => {
  const direct = path('direct', dies);
  const relay = path('relay', dies);
  await assert.rejects(openOnNextPath(deps({ active: direct, later: relay })), /the path is down/);
});
