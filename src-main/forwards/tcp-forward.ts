/**
 * One connection to a TCP forward (like `ssh -L`): every byte goes to host:port as seen from the peer.
 * Plain TCP has no way to say why a connection failed, so a failure closes the client connection and is
 * reported as a log line and a notice the user sees (`forward web: permission denied: …`).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { clientOf, reportCutConnections, type FrontEndContext } from './front-end.js';
import { spliceTracked } from './track-connection.js';

export interface TcpForwardContext extends FrontEndContext {
  via: string;
  host: string;
  port: number;
}

/** Serves one accepted connection to its end. Never rejects. */
export async function handleTcpForwardConnection(socket: Socket, ctx: TcpForwardContext): Promise<void> {
  socket.on('error', () => undefined); // a client reset ends this connection only
  const fields = {
    forward: ctx.name,
    client: clientOf(socket),
    peer: ctx.via,
    target: formatHostPort(ctx.host, ctx.port),
  };
  let remote: Duplex;
  let sentEarly = 0;
  try {
    // The client's first bytes go with the open (mux/early-data.ts): its first answer comes a round trip sooner.
    remote = await ctx.dialer.connect(ctx.via, ctx.host, ctx.port, {
      early: socket,
      sentEarly: (n) => (sentEarly += n),
    });
  } catch (err) {
    ctx.problem(errorMessage(err), fields);
    socket.destroy();
    return;
  }
  ctx.opened();
  reportCutConnections(remote, ctx, ctx.via, fields);
  await spliceTracked(socket, remote, ctx, { kind: 'forward', peer: ctx.via, to: fields.target, sentEarly });
}
