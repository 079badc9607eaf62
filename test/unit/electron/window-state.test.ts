/** The saved bounds: validated on load, saved in whole pixels, fitted back onto today's screens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { adoptLegacyWindowState, desktopPreferences } from '../../../src-main/electron/preferences.js';
import {
  LEGACY_WINDOW_STATE_FILE,
  MIN_WINDOW_HEIGHT,
  MIN_WINDOW_WIDTH,
  fitOnScreen,
  parseWindowState,
} from '../../../src-main/electron/window-state.js';
import { tempDir } from '../../helpers/temp-dir.js';

const laptop = { x: 0, y: 0, width: 1440, height: 900 };
const rightMonitor = { x: 1440, y: 0, width: 2560, height: 1440 };

/** conf stands in for electron-store (which extends it): the same preferences.json. */
function prefsIn(dir: string, log: (l: string) => void = () => {}) {
  const store = new Conf({
    cwd: dir,
    configName: 'preferences',
    projectName: 'clawbridge',
    projectSuffix: '',
  });
  return desktopPreferences(store, log);
}

test('saved bounds load back in whole pixels; what is not a window state loads as none', () => {
  const dir = tempDir('window-state-');
  const prefs = prefsIn(dir);
  assert.equal(prefs.window(), null);
  prefs.setWindow({ x: 10.4, y: 20, width: 1000, height: 700, maximized: true });
  assert.deepEqual(prefsIn(dir).window(), { x: 10, y: 20, width: 1000, height: 700, maximized: true });
  for (const bad of [
    '[]',
    '{"x":0,"y":0,"width":800,"height":600}',
    '{"x":0,"y":0,"width":-5,"height":600,"maximized":false}',
    '{"x":1e9,"y":0,"width":800,"height":600,"maximized":false}',
    '{"x":0,"y":0,"width":800,"height":600,"maximized":false,"extra":1}',
  ]) {
    assert.equal(parseWindowState(JSON.parse(bad)), null, bad);
  }
  const logged: string[] = [];
  prefsIn(dir, (l) => logged.push(l)).setWindow({ x: 0, y: 0, width: NaN, height: 1, maximized: false });
  assert.equal(logged.length, 1, 'a bad state is logged, not thrown');
  assert.deepEqual(
    prefsIn(dir).window(),
    { x: 10, y: 20, width: 1000, height: 700, maximized: true },
    'kept',
  );
});

test('an upgrade adopts the old window-state.json once and removes it', () => {
  const dir = tempDir('window-state-');
  const legacy = join(dir, LEGACY_WINDOW_STATE_FILE);
  writeFileSync(legacy, '{"x":5,"y":6,"width":900,"height":600,"maximized":false}');
  const prefs = prefsIn(dir);
  adoptLegacyWindowState(prefs, dir);
  assert.deepEqual(prefs.window(), { x: 5, y: 6, width: 900, height: 600, maximized: false });
  assert.equal(existsSync(legacy), false);
  assert.match(readFileSync(join(dir, 'preferences.json'), 'utf8'), /"width": 900/);
  // A store that has bounds keeps them over an old file left behind.
  writeFileSync(legacy, '{"x":1,"y":1,"width":800,"height":500,"maximized":false}');
  adoptLegacyWindowState(prefs, dir);
  assert.equal(prefs.window()?.width, 900);
  assert.equal(existsSync(legacy), false);
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
