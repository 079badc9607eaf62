/**
 * The launchd agent `clawbridge service install` writes on macOS, in `~/Library/LaunchAgents`: started
 * at login, started again when it exits with a failure (KeepAlive), its output appended to the home's
 * log folder. A property list (plist(5)), written here by hand since it is small: every string passes
 * through xmlText.
 */
import { serviceArgv, serviceLogPath, SERVICE_OPEN_FILES, type ServiceSpec } from './service-spec.js';

/** launchd's label for the service: reverse-DNS, as launchd.plist(5) asks. */
export const launchdLabel = (name: string): string => `dev.clawbridge.${name}`;

/** Text and attribute values for XML: `&`, `<`, `>`, `"` and `'` as entities. */
export function xmlText(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const str = (s: string) => `<string>${xmlText(s)}</string>`;

/** The plist's text for the service `name` (service-spec.ts serviceName). */
export function launchdPlist(spec: ServiceSpec, name: string): string {
  const log = serviceLogPath(spec.home);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${str(launchdLabel(name))}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...serviceArgv(spec).map((a) => `    ${str(a)}`),
    '  </array>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    // Started again after a crash or a failed start, not after a clean stop (`clawbridge stop`).
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    '  <integer>5</integer>',
    '  <key>ProcessType</key>',
    // Served shells are the owner's interactive work: not throttled as background work is.
    `  ${str('Interactive')}`,
    '  <key>SoftResourceLimits</key>',
    '  <dict>',
    '    <key>NumberOfFiles</key>',
    `    <integer>${SERVICE_OPEN_FILES}</integer>`,
    '  </dict>',
    '  <key>StandardOutPath</key>',
    `  ${str(log)}`,
    '  <key>StandardErrorPath</key>',
    `  ${str(log)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
