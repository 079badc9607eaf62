/**
 * A bare WebSocket echo server in its own process, for the `ui-echo` note's floor: how long Chromium
 * itself takes to send one binary message to a loopback server and get it back, with nothing of
 * clawbridge on the way (bench/ui-echo.ts). Request `start` → `{port}`; every binary message is sent
 * straight back. No compression, as the agent's web UI server.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveParent } from './child.js';

serveParent(async (req) => {
  if (req.op !== 'start') throw new Error(`unknown op ${req.op}`);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { port: (wss.address() as AddressInfo).port };
});
