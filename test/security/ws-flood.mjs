// Another local user's flood, in its own process (as it would be): COUNT WebSockets to the web UI's
// /api with a matching Origin that never send the token, each reconnecting when closed or refused: at
// once, or DELAY ms after the close when given. Run by listener-floods.test.ts and
// test/e2e/page-under-churn.test.ts; it prints "flooding" once all are started and "under way" once
// each one's first socket was answered (opened or refused) and one has come back, and stops when its
// stdin closes (so it never outlives the test), printing how many of its sockets were upgraded.
// One thread on purpose: spread over worker threads, the same churn upgraded fewer than half as many
// sockets on a busy 2-core machine.
import { WebSocket } from 'ws';

const [port, count, delay = 0] = process.argv.slice(2).map(Number);
const origin = `http://127.0.0.1:${port}`;
let stop = false;
let upgraded = 0;
let firstAnswered = 0;
let reconnects = 0;
let announced = false;
function announce() {
  if (announced || firstAnswered < count || reconnects === 0) return;
  announced = true;
  console.log('under way');
}
function attacker(first = true) {
  if (stop) return;
  if (!first) reconnects++;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { origin });
  let answered = !first;
  const answer = () => {
    if (!answered) firstAnswered++;
    answered = true;
    announce();
  };
  ws.on('error', () => undefined);
  ws.once('open', () => {
    upgraded++;
    answer();
  });
  ws.once('close', () => {
    answer();
    const again = () => attacker(false);
    if (delay > 0) setTimeout(again, delay);
    else setImmediate(again);
  });
}
for (let i = 0; i < count; i++) attacker();
console.log('flooding');
process.stdin.resume();
process.stdin.on('close', () => {
  stop = true;
  console.log(`upgraded ${upgraded}`);
  process.exit(0);
});
