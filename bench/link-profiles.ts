/**
 * The emulated links of the bench's profile sections (issue 29) and `--profile NAME`: pure, unit-tested
 * in test/unit/bench/link-profiles.test.ts. Sizes are chosen so all three sections fit in the bench's
 * time budget on a 2-core machine: the download size is the issue's, the turns are what is trimmed.
 */
import { DEFAULT_WINDOW_BYTES, symmetricLink, type LinkSpec } from './link-shape.js';

const MiB = 1024 * 1024;
/** Each timed download of every section: the issue's 256 MiB. */
const DOWNLOAD_MIB = 256;

export interface LinkProfile {
  name: string;
  /** One line for the report. */
  describe: string;
  spec: LinkSpec;
  /** Round trip the emulator is set to (both one-way delays), in ms. */
  rttMs: number;
  /** Bytes of each timed download (256 MiB: the issue's size). */
  downloadBytes: number;
  /** Timed downloads per path (the paths take turns; the row is their median). */
  turns: number;
  /** Whether the keystroke echo rows run in this profile. */
  echo: boolean;
  /**
   * Whether raw TCP and the forward over the direct link also get one timed download each on a new
   * connection with nothing before it (issue 52: what a person does, and what an independent
   * emulator of the same path timed), the forward's the first bulk transfer its link carries. The
   * other downloads warm their connection up first and so never show a new stream's credit ramp, the
   * link's start-up, or the first acknowledgement after an idle spell (ADR 0044).
   */
  freshDownload: boolean;
}

function profile(
  name: string,
  mbit: number,
  rttMs: number,
  bufferBytes: number,
  downloadMiB: number,
  turns: number,
  echo: boolean,
  bufferNote: string,
  freshDownload = false,
): LinkProfile {
  return {
    name,
    describe: `${mbit >= 1000 ? `${mbit / 1000} Gbit/s` : `${mbit} Mbit/s`} each way, ${rttMs} ms RTT, ${bufferNote}, ${DEFAULT_WINDOW_BYTES / MiB} MiB window per connection`,
    spec: symmetricLink(mbit, rttMs, bufferBytes),
    rttMs,
    downloadBytes: downloadMiB * MiB,
    turns,
    echo,
    freshDownload,
  };
}

/**
 * `lan` and `long-fat` have no buffer in the issue: `lan` gets 1 MiB (8 ms at 1 Gbit/s, a switch's
 * worth is less, so this is generous), `long-fat` the path's bandwidth-delay product (12.5 MB), so
 * there the window, not the buffer, bounds a connection.
 */
export const PROFILES: readonly LinkProfile[] = [
  profile('lan', 1000, 1, MiB, DOWNLOAD_MIB, 2, true, '1 MiB bottleneck buffer'),
  // 256 MiB takes 21 s at 100 Mbit/s: one timed download per path keeps the section near 2.5 minutes.
  profile('broadband', 100, 40, MiB, DOWNLOAD_MIB, 1, true, '1 MiB bottleneck buffer'),
  // 4.5 s a path at 60 MB/s: long-fat also times the first download on a new connection (issue 52).
  profile(
    'long-fat',
    1000,
    100,
    12_500_000,
    DOWNLOAD_MIB,
    1,
    true,
    'bottleneck buffer of one BDP (12.5 MB)',
    true,
  ),
];

/** Reads `--profile NAME` or `--profile=NAME`; null without the flag; throws on an unknown name. */
export function parseProfile(argv: readonly string[]): LinkProfile | null {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === '--profile') value = argv[i + 1] ?? '';
    else if (arg.startsWith('--profile=')) value = arg.slice('--profile='.length);
  });
  if (value === undefined) return null;
  const found = PROFILES.find((p) => p.name === value);
  if (!found)
    throw new Error(`--profile: no profile is called '${value}' (${PROFILES.map((p) => p.name).join(', ')})`);
  return found;
}

/**
 * The most one TCP connection can move through `spec` downwards, in bytes/s: the rate, or the window
 * per round trip when that is less (a long fat path).
 */
export function ceilingBytesPerS(spec: LinkSpec): number {
  const rttS = (spec.up.delayMs + spec.down.delayMs) / 1000;
  return Math.min(spec.down.rateBytesPerS, rttS > 0 ? spec.windowBytes / rttS : Infinity);
}
