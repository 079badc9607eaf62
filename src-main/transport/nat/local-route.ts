/**
 * What NAT-PMP needs and the port-mapping library does not find itself: the default IPv4 gateway (where
 * NAT-PMP requests go) and this machine's address toward a host (the internal address a mapping points
 * at: the one the router sees us by, not a loopback or a VPN's).
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';

/** How long `route` may take on macOS, in ms. */
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
 * The default IPv4 gateway, or undefined when there is none or the platform is not read here.
 * TODO: Windows (`route print 0.0.0.0` or GetIpForwardTable); until then NAT-PMP is not tried there.
 */
export async function defaultGateway(): Promise<string | undefined> {
  try {
    if (process.platform === 'linux')
      return defaultGatewayFromProcRoute(await readFile('/proc/net/route', 'utf8'));
    if (process.platform === 'darwin') {
      const out = await new Promise<string>((resolve) =>
        execFile('route', ['-n', 'get', 'default'], { timeout: ROUTE_COMMAND_TIMEOUT_MS }, (err, stdout) =>
          resolve(err ? '' : stdout),
        ),
      );
      return defaultGatewayFromRouteGet(out);
    }
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
