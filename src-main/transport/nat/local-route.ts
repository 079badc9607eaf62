/**
 * What the port-mapping clients need from this machine's routes: the default IPv4 gateway (where NAT-PMP
 * requests go) and this machine's address toward a host (the internal address a mapping points
 * at: the one the router sees us by, not a loopback or a VPN's).
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';

/** How long `route` may take on macOS and Windows, in ms. */
const ROUTE_COMMAND_TIMEOUT_MS = 2_000;

/** Linux's /proc/net/route: the default route's gateway, hex little-endian. */
export function defaultGatewayFromProcRoute(text: string): string | undefined {
  for (const line of text.split('\n').slice(1)) {
    const [, destination, gateway, flags] = line.trim().split(/\s+/);
    if (destination !== '00000000' || !gateway || gateway === '00000000') continue;
    // RTF_GATEWAY (0x2): the route goes through a router.
    if ((parseInt(flags ?? '0', 16) & 0x2) === 0) continue;
    const n = parseInt(gateway, 16);
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff].join('.');
  }
  return undefined;
}

/** macOS's `route -n get default`: the `gateway:` line, when it is an IPv4 address. */
export function defaultGatewayFromRouteGet(text: string): string | undefined {
  const gateway = /^\s*gateway:\s*(\S+)\s*$/m.exec(text)?.[1];
  return gateway && isIPv4(gateway) ? gateway : undefined;
}

/**
 * Windows's `route print -4 0.0.0.0`: among the active default routes (destination and netmask 0.0.0.0,
 * a gateway address, the interface's address and a metric), the gateway of the one with the lowest
 * metric. The headings are in the system's language, so only the rows' shape is read; the persistent
 * routes' rows have no interface column and are not the routes in use. "On-link" is no gateway.
 */
export function defaultGatewayFromRoutePrint(text: string): string | undefined {
  let best: { gateway: string; metric: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*0\.0\.0\.0\s+0\.0\.0\.0\s+(\S+)\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (!m || !isIPv4(m[1]!) || !isIPv4(m[2]!)) continue;
    const metric = Number(m[3]);
    if (!best || metric < best.metric) best = { gateway: m[1]!, metric };
  }
  return best?.gateway;
}

/** What `command args` printed, or '' when it failed or took too long. */
function commandOutput(command: string, args: string[]): Promise<string> {
  return new Promise((resolve) =>
    execFile(command, args, { timeout: ROUTE_COMMAND_TIMEOUT_MS, windowsHide: true }, (err, stdout) =>
      resolve(err ? '' : stdout),
    ),
  );
}

/** The default IPv4 gateway, or undefined when there is none or the platform is not read here. */
export async function defaultGateway(): Promise<string | undefined> {
  try {
    if (process.platform === 'linux')
      return defaultGatewayFromProcRoute(await readFile('/proc/net/route', 'utf8'));
    if (process.platform === 'darwin')
      return defaultGatewayFromRouteGet(await commandOutput('route', ['-n', 'get', 'default']));
    if (process.platform === 'win32')
      return defaultGatewayFromRoutePrint(await commandOutput('route', ['print', '-4', '0.0.0.0']));
  } catch {
    /* no route table to read: no gateway */
  }
  return undefined;
}

/**
 * This machine's IPv4 address on the route to `host`: a connected UDP socket is given the source
 * address the kernel would use, and connecting UDP sends nothing.
 */
export function localAddressToward(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.connect(9, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}
