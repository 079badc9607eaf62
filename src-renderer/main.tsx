// Base styles first: the views' own sheets (imported by each view) build on them.
import '@xterm/xterm/css/xterm.css';
import './style.css';
import './components/components.css';
import { currentPlatform, pickTransport } from './api/pick-transport.js';
import { FEATURES } from './features/index.js';
import { parseFragment } from './lib/fragment.js';
import { startWindow } from './start-window.js';

// Read before pickTransport clears the fragment (it holds the token in a browser).
const { link } = parseFragment(location.hash, FEATURES);
startWindow(pickTransport(), currentPlatform(), FEATURES, link);
