/** The window's saved bounds: validated on load, written atomically, fitted back onto today's screens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MIN_WINDOW_HEIGHT,
  MIN_WINDOW_WIDTH,
  fitOnScreen,
  loadWindowState,
  saveWindowState,
} from '../../../src-main/electron/window-state.js';
import { tempDir } from '../../helpers/temp-dir.js';

const laptop = { x: 0, y: 0, width: 1440, height: 900 };
const rightMonitor = { x: 1440, y: 0, width: 2560, height: 1440 };

test('saved bounds load back; missing, corrupt or out-of-range files load as none', async () => {
  const dir = tempDir('window-state-');
  const file = join(dir, 'window-state.json');
  assert.equal(await loadWindowState(file), null);
  await saveWindowState(file, { x: 10.4, y: 20, width: 1000, height: 700, maximized: true });
  assert.deepEqual(await loadWindowState(file), { x: 10, y: 20, width: 1000, height: 700, maximized: true });
  assert.deepEqual(await readdir(dir), ['window-state.json'], 'no temp file left behind');
  for (const bad of [
    '{',
    '[]',
    '{"x":0,"y":0,"width":800,"height":600}',
    '{"x":0,"y":0,"width":-5,"height":600,"maximized":false}',
    '{"x":1e9,"y":0,"width":800,"height":600,"maximized":false}',
    '{"x":0,"y":0,"width":800,"height":600,"maximized":false,"extra":1}',
  ]) {
    await writeFile(file, bad);
    assert.equal(await loadWindowState(file), null, bad);
  }
  await assert.rejects(saveWindowState(file, { x: 0, y: 0, width: NaN, height: 1, maximized: false }));
  assert.equal(
    await readFile(file, 'utf8'),
    '{"x":0,"y":0,"width":800,"height":600,"maximized":false,"extra":1}',
  );
});

test('fitOnScreen keeps a visible position, drops a lost one, and shrinks to the screen', () => {
  // On the second monitor, still plugged in: kept as it was.
  assert.deepEqual(fitOnScreen({ x: 2000, y: 100, width: 1200, height: 800 }, [laptop, rightMonitor]), {
    x: 2000,
    y: 100,
    width: 1200,
    height: 800,
  });
  // That monitor is gone: the size stays (within the laptop's screen), the position goes (centred).
  assert.deepEqual(fitOnScreen({ x: 2000, y: 100, width: 1200, height: 800 }, [laptop]), {
    width: 1200,
    height: 800,
  });
  // Bigger than the screen it is on: shrunk to it.
  assert.deepEqual(fitOnScreen({ x: 0, y: 0, width: 3000, height: 2000 }, [laptop]), {
    x: 0,
    y: 0,
    width: 1440,
    height: 900,
  });
  // Only a sliver of the title bar on screen: not enough to grab, so centred.
  assert.deepEqual(fitOnScreen({ x: 1420, y: 10, width: 800, height: 600 }, [laptop]), {
    width: 800,
    height: 600,
  });
  // Title bar above the top of the screen: not on any row of it, centred.
  assert.deepEqual(fitOnScreen({ x: 10, y: -300, width: 800, height: 600 }, [laptop]), {
    width: 800,
    height: 600,
  });
  // Tiny saved sizes grow to the minimum.
  assert.deepEqual(fitOnScreen({ x: 10, y: 10, width: 50, height: 50 }, [laptop]), {
    x: 10,
    y: 10,
    width: MIN_WINDOW_WIDTH,
    height: MIN_WINDOW_HEIGHT,
  });
  // No screens reported: the size alone.
  assert.deepEqual(fitOnScreen({ x: 10, y: 10, width: 800, height: 600 }, []), { width: 800, height: 600 });
});
