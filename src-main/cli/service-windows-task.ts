/**
 * The scheduled task `clawbridge service install` registers on Windows: started at the user's logon,
 * for that user, with no administrator rights (an interactive token at the least privilege), never
 * stopped for running long or on battery. Task Scheduler keeps no output and restarts a task only when
 * it fails to launch, so the task runs cmd.exe, which appends the output to the home's log folder and
 * starts the command again a few seconds after it exits with a failure (a clean stop ends the loop).
 */
import { ClawError } from '../core/errors.js';
import { xmlText } from './service-launchd.js';
import { serviceArgv, serviceLogPath, type ServiceSpec } from './service-spec.js';

/** The folder of Task Scheduler's library that holds the tasks, and a task's path in it. */
export const TASK_FOLDER = 'Clawbridge';
export const taskPath = (name: string): string => `\\${TASK_FOLDER}\\${name}`;

/** The task's namespace, which schtasks requires of the XML it is given. */
export const TASK_NAMESPACE = 'http://schemas.microsoft.com/windows/2004/02/mit/task';

/** Seconds between a failed run and the next: a crash loop does not spin. */
export const RESTART_PAUSE_S = 5;

/**
 * One argument as the C runtime splits a command line (CommandLineToArgvW): in double quotes, the
 * backslashes before the closing quote doubled. cmd.exe passes the line on as it is, but it expands
 * `%NAME%` even inside quotes, and a `"` would end the quoting cmd sees: both are refused.
 */
export function windowsArg(arg: string): string {
  if (arg.includes('"') || arg.includes('%')) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `a Windows service's command line cannot hold " or %: ${arg}; rename the folder or drop the flag`,
    );
  }
  return `"${arg.replace(/(\\+)$/, '$1$1')}"`;
}

/** cmd.exe's arguments: the loop around the service's command line (see the file's comment). */
export function windowsTaskArguments(spec: ServiceSpec): string {
  const command = serviceArgv(spec).map(windowsArg).join(' ');
  const log = windowsArg(serviceLogPath(spec.home));
  const pause = `${windowsArg(spec.node)} -e "setTimeout(() => {}, ${RESTART_PAUSE_S * 1000})"`;
  // /d: no AutoRun commands; /s /c: the one quoted line after /c is run as it is, its outer quotes
  // removed. `&& exit 0` ends the loop after a clean stop; a failure falls through to the pause.
  return `/d /s /c "for /l %i in (0,0,1) do @(${command} >> ${log} 2>&1 && exit 0 & ${pause})"`;
}

export interface WindowsTaskOptions {
  /** The account it runs as and starts at the logon of: `DOMAIN\user`. */
  userId: string;
}

/** The task's XML (Task Scheduler schema 1.2), for `schtasks /Create /XML`. */
export function windowsTaskXml(spec: ServiceSpec, name: string, options: WindowsTaskOptions): string {
  const what = spec.kind === 'agent' ? 'Clawbridge agent' : 'Clawbridge relay';
  const user = xmlText(options.userId);
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    `<Task version="1.2" xmlns="${TASK_NAMESPACE}">`,
    '  <RegistrationInfo>',
    `    <Description>${xmlText(`${what} (home ${spec.home}), written by clawbridge service install`)}</Description>`,
    `    <URI>${xmlText(taskPath(name))}</URI>`,
    '  </RegistrationInfo>',
    '  <Triggers>',
    '    <LogonTrigger>',
    '      <Enabled>true</Enabled>',
    `      <UserId>${user}</UserId>`,
    '    </LogonTrigger>',
    '  </Triggers>',
    '  <Principals>',
    '    <Principal id="Author">',
    `      <UserId>${user}</UserId>`,
    '      <LogonType>InteractiveToken</LogonType>',
    '      <RunLevel>LeastPrivilege</RunLevel>',
    '    </Principal>',
    '  </Principals>',
    '  <Settings>',
    '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
    '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
    '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>',
    '    <AllowHardTerminate>true</AllowHardTerminate>',
    '    <StartWhenAvailable>true</StartWhenAvailable>',
    '    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>',
    '    <AllowStartOnDemand>true</AllowStartOnDemand>',
    '    <Enabled>true</Enabled>',
    '    <Hidden>false</Hidden>',
    '    <RunOnlyIfIdle>false</RunOnlyIfIdle>',
    '    <WakeToRun>false</WakeToRun>',
    // No time limit: it is a server.
    '    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
    '    <Priority>7</Priority>',
    '    <RestartOnFailure>',
    '      <Interval>PT1M</Interval>',
    '      <Count>999</Count>',
    '    </RestartOnFailure>',
    '  </Settings>',
    '  <Actions Context="Author">',
    '    <Exec>',
    '      <Command>cmd.exe</Command>',
    `      <Arguments>${xmlText(windowsTaskArguments(spec))}</Arguments>`,
    `      <WorkingDirectory>${xmlText(spec.home)}</WorkingDirectory>`,
    '    </Exec>',
    '  </Actions>',
    '</Task>',
    '',
  ].join('\r\n');
}
