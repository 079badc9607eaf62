/**
 * One SOCKS5 client connection (RFC 1928 CONNECT; RFC 1929 username/password where the user name names
 * the exit peer and the password is the proxy's secret when it has one, e.g.
 * `socks5h://office:SECRET@127.0.0.1:1080`). IPv4, IPv6 and domain names are passed to
 * the exit peer as they came, so names resolve there. BIND and UDP ASSOCIATE get "command not
 * supported"; a failed connection gets the reply code that says why; malformed input closes only this
 * connection, with a log line.
 */
import type { Socket } from 'node:net';
import { errorMessage } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import {
  AuthMethod,
  decodeGreeting,
  decodeRequest,
  decodeUserPass,
  encodeMethodChoice,
  encodeReply,
  encodeUserPassReply,
  SocksCommand,
  SocksReply,
} from '../protocol/socks5.js';
import { ConnectError } from './dialer.js';
import { clientOf, endWith, reportCutConnections, type FrontEndContext } from './front-end.js';
import { MalformedMessage, readMessage } from './read-message.js';
import { secretMatches } from './proxy-secret.js';
import { spliceTracked } from './track-connection.js';
import type { ConnectFailure } from './tcp-connect-protocol.js';

/** Milliseconds a client has for each handshake message (greeting, auth, request) before we close. */
export const SOCKS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** RFC 1928 §6 reply code for each way a connection through a peer can fail. */
export const SOCKS_REPLY_FOR: Record<ConnectFailure, number> = {
  general: SocksReply.GeneralFailure,
  'not-allowed': SocksReply.NotAllowed,
  'permission-denied': SocksReply.NotAllowed,
  'unknown-peer': SocksReply.NotAllowed,
  'peer-offline': SocksReply.NetworkUnreachable,
  'network-unreachable': SocksReply.NetworkUnreachable,
  'host-unreachable': SocksReply.HostUnreachable,
  'host-not-found': SocksReply.HostUnreachable,
  refused: SocksReply.ConnectionRefused,
  timeout: SocksReply.TtlExpired,
};

export interface SocksContext extends FrontEndContext {
  /** Exit peer when the client names none in its user name; without it the user name is required. */
  via?: string | undefined;
  /**
   * The proxy's secret (proxy-secret.ts): when set, a client must offer username/password and give it
   * as the password; one without it gets no connection.
   */
  secret?: string | undefined;
}

/** A client that retries a refused handshake is told once a minute, not a notice per attempt. */
const REPEAT_NOTICE_MS = 60_000;
/** By proxy name (each connection gets its own context object); a handful of proxies at most. */
const lastSaid = new Map<string, { why: string; at: number }>();

function saidRecently(ctx: SocksContext, why: string): boolean {
  const last = lastSaid.get(ctx.name);
  const now = Date.now();
  if (last !== undefined && last.why === why && now - last.at < REPEAT_NOTICE_MS) return true;
  if (lastSaid.size >= 64) lastSaid.clear(); // proxies come and go; never grows without bound
  lastSaid.set(ctx.name, { why, at: now });
  return false;
}

/** Serves one accepted connection to its end. Never rejects. */
export async function handleSocksConnection(socket: Socket, ctx: SocksContext): Promise<void> {
  const fields: Record<string, unknown> = { proxy: ctx.name, client: clientOf(socket) };
  const refuse = (reply: Uint8Array, why: string) => {
    ctx.log.warn(fields, `socks: ${why}`);
    endWith(socket, reply);
  };
  // A refused handshake leaves the client with a bare code ("No authentication method was acceptable"):
  // the reason goes where its owner looks, the proxy's last problem and a notice.
  const refuseHandshake = (reply: Uint8Array, why: string) => {
    ctx.problem(why, fields, saidRecently(ctx, why));
    refuse(reply, why);
  };
  socket.on('error', () => undefined); // a client reset ends this connection only; splice reports the rest
  try {
    const greeting = await readMessage(socket, decodeGreeting, SOCKS_HANDSHAKE_TIMEOUT_MS, 'SOCKS5 greeting');
    let peer = ctx.via;
    // Prefer username/password when offered: the user name is how a client picks the exit peer.
    if (greeting.methods.includes(AuthMethod.UserPassword)) {
      socket.write(encodeMethodChoice(AuthMethod.UserPassword));
      const auth = await readMessage(
        socket,
        decodeUserPass,
        SOCKS_HANDSHAKE_TIMEOUT_MS,
        'SOCKS5 username/password',
      );
      if (ctx.secret !== undefined && !secretMatches(auth.password, ctx.secret)) {
        return refuseHandshake(
          encodeUserPassReply(false),
          `wrong password: this proxy needs its secret as the password (\`clawbridge proxy secret ${ctx.name} --url\` prints the URL to use)`,
        );
      }
      if (auth.user !== '') peer = auth.user;
      if (peer === undefined) {
        return refuseHandshake(
          encodeUserPassReply(false),
          'empty user name and no --via: the user name must name the exit peer',
        );
      }
      socket.write(encodeUserPassReply(true));
    } else if (ctx.secret !== undefined) {
      return refuseHandshake(
        encodeMethodChoice(AuthMethod.NoAcceptable),
        `client offered no username/password, and this proxy needs its secret as the password (\`clawbridge proxy secret ${ctx.name} --url\` prints the URL to use)`,
      );
    } else if (greeting.methods.includes(AuthMethod.None) && peer !== undefined) {
      socket.write(encodeMethodChoice(AuthMethod.None));
    } else {
      const why =
        peer === undefined
          ? 'client offered no username/password, and this proxy has no --via: name the exit peer as the user (socks5h://PEER:x@host:port)'
          : `client offered no usable authentication method (${greeting.methods.join(', ')})`;
      return refuseHandshake(encodeMethodChoice(AuthMethod.NoAcceptable), why);
    }
    fields.peer = peer;
    const request = await readMessage(socket, decodeRequest, SOCKS_HANDSHAKE_TIMEOUT_MS, 'SOCKS5 request');
    const { host, port } = request.address;
    fields.target = formatHostPort(host, port);
    if (request.command !== SocksCommand.Connect) {
      return refuse(
        encodeReply(SocksReply.CommandNotSupported),
        `command ${request.command} is not supported (only CONNECT)`,
      );
    }
    let remote;
    let sentEarly = 0;
    try {
      // A client that sends before our reply (optimistic data) has its bytes go with the open.
      remote = await ctx.dialer.connect(peer, host, port, {
        early: socket,
        sentEarly: (n) => (sentEarly += n),
      });
    } catch (err) {
      const failure = err instanceof ConnectError ? err.failure : 'general';
      return refuse(encodeReply(SOCKS_REPLY_FOR[failure]), errorMessage(err));
    }
    if (socket.destroyed) {
      remote.destroy();
      return;
    }
    socket.write(encodeReply(SocksReply.Succeeded));
    ctx.log.debug(fields, 'socks: connected');
    ctx.opened();
    reportCutConnections(remote, ctx, peer, fields);
    await spliceTracked(socket, remote, ctx, {
      kind: 'socks',
      peer,
      to: formatHostPort(host, port),
      sentEarly,
    });
  } catch (err) {
    if (err instanceof MalformedMessage && err.reply !== undefined) {
      return refuse(encodeReply(err.reply), err.message);
    }
    ctx.log.warn(fields, `socks: ${errorMessage(err)}`);
    socket.destroy();
  }
}
