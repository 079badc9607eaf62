// Another local user's flood, in its own process (as it would be): COUNT WebSockets to the web UI's
// /api with a matching Origin that never send the token, each reconnecting at once when closed or
// refused. Run by listener-floods.test.ts; it prints "flooding" once all are started, and stops when
// its stdin closes (so it never outlives the test).
import { WebSocket } from 'ws';

const [port, count] = process.argv.slice(2).map(Number);
const origin = `http://127.0.0.1:${port}`;
let stop = false;
function attacker() {
  if (stop) return;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin });
  ws.on('error', () => undefined);
  ws.once('close', () => setImmediate(attacker));
}
for (let i = 0; i < count; i++) attacker();
console.log('flooding');
process.stdin.resume();
process.stdin.on('close', () => {
  stop = true;
  process.exit(0);
});
