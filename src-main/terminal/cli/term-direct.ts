/**
 * The terminal `clawbridge term` runs in, to offer its agent for direct I/O (ADR 0037): the agent then
 * reads the keys and writes the output there itself, and each keystroke crosses one process fewer. On
 * pipes (`term -t` driven by a script), the same for the pipes (ADR 0038).
 */
import { spawnSync } from 'node:child_process';
import { fstatSync, readlinkSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { TERMINAL_DEVICE_PATH } from '../../protocol/terminal-device.js';

/**
 * The device path of the terminal on both stdin and stdout (the same one), or undefined: not a terminal,
 * two different ones, Windows, or a name that cannot be found. Linux reads /proc; elsewhere `tty` says.
 */
export function ownTerminalPath(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') return undefined;
  try {
    const input = fstatSync(0);
    if (!input.isCharacterDevice() || fstatSync(1).rdev !== input.rdev) return undefined;
    const path =
      platform === 'linux'
        ? readlinkSync('/proc/self/fd/0')
        : spawnSync('tty', [], { stdio: ['inherit', 'pipe', 'ignore'], encoding: 'utf8' }).stdout?.trim();
    // The name must lead to this very device: a path the agent opens is checked again there.
    return path && TERMINAL_DEVICE_PATH.test(path) && statSync(path).rdev === input.rdev ? path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This process's stdin and stdout pipes as the agent can open them (ADR 0038): `/proc/PID/fd/0` and
 * `/1`, on Linux, when both are pipes; else undefined. A socket (what Node gives a child for `'pipe'`)
 * or a file cannot be opened that way, so those stay with `term`.
 */
export function ownPipePaths(
  platform: NodeJS.Platform = process.platform,
): { path: string; output: string } | undefined {
  if (platform !== 'linux') return undefined;
  try {
    if (!fstatSync(0).isFIFO() || !fstatSync(1).isFIFO()) return undefined;
  } catch {
    return undefined;
  }
  return { path: `/proc/${process.pid}/fd/0`, output: `/proc/${process.pid}/fd/1` };
}

/**
 * Stops reading `input` (the terminal) at once. `pause()` alone only stops emitting: the handle goes on
 * reading until one more chunk is buffered, and a key read then would sit in this process while the
 * agent reads the terminal (a `~.` typed during the handoff never arrived). So the handle's reading
 * stops too, as net.Socket's own pause does for a stream read into a buffer; `resume()` starts it again.
 */
export function stopReading(input: Readable): void {
  input.pause();
  const handle = (input as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (typeof handle?.readStop !== 'function') return;
  handle.reading = false;
  handle.readStop();
}
