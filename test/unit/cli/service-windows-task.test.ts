/**
 * The scheduled task `clawbridge service install` registers on Windows (src-main/cli/service-windows-task.ts),
 * read back with a strict XML parser and held to the Task Scheduler schema (1.2) for what it sets: the
 * required Actions/Exec/Command, the elements each parent allows, the enumerations and the ranges; a
 * logon trigger for the user at least privilege; and cmd.exe's line that, split as Windows splits a
 * command line, is the command line given, word for word.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  TASK_NAMESPACE,
  taskPath,
  windowsArg,
  windowsTaskArguments,
  windowsTaskXml,
} from '../../../src-main/cli/service-windows-task.js';
import {
  serviceArgv,
  serviceLogPath,
  serviceName,
  type ServiceSpec,
} from '../../../src-main/cli/service-spec.js';
import { assertNoMixedText, elements, parseXmlStrictly, type XmlNode } from '../../helpers/strict-xml.js';

/** Task Scheduler schema 1.2: the children each element may have (taskType and settingsType are xs:all). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  Task: ['RegistrationInfo', 'Triggers', 'Settings', 'Data', 'Principals', 'Actions'],
  RegistrationInfo: [
    'URI',
    'SecurityDescriptor',
    'Source',
    'Date',
    'Author',
    'Version',
    'Description',
    'Documentation',
  ],
  Triggers: [
    'BootTrigger',
    'RegistrationTrigger',
    'IdleTrigger',
    'TimeTrigger',
    'EventTrigger',
    'LogonTrigger',
    'SessionStateChangeTrigger',
    'CalendarTrigger',
  ],
  LogonTrigger: [
    'StartBoundary',
    'EndBoundary',
    'Enabled',
    'ExecutionTimeLimit',
    'Repetition',
    'Delay',
    'UserId',
  ],
  Principals: ['Principal'],
  Principal: [
    'UserId',
    'GroupId',
    'DisplayName',
    'LogonType',
    'RunLevel',
    'ProcessTokenSidType',
    'RequiredPrivileges',
  ],
  Settings: [
    'AllowStartOnDemand',
    'RestartOnFailure',
    'MultipleInstancesPolicy',
    'DisallowStartIfOnBatteries',
    'StopIfGoingOnBatteries',
    'AllowHardTerminate',
    'StartWhenAvailable',
    'NetworkProfileName',
    'RunOnlyIfNetworkAvailable',
    'WakeToRun',
    'Enabled',
    'Hidden',
    'DeleteExpiredTaskAfter',
    'IdleSettings',
    'NetworkSettings',
    'ExecutionTimeLimit',
    'Priority',
    'RunOnlyIfIdle',
    'UseUnifiedSchedulingEngine',
    'DisallowStartOnRemoteAppSession',
  ],
  RestartOnFailure: ['Interval', 'Count'],
  Actions: ['Exec', 'ComHandler', 'SendEmail', 'ShowMessage'],
  Exec: ['Command', 'Arguments', 'WorkingDirectory'],
};

/** Required children (minOccurs 1 in the schema). */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  Task: ['Actions'],
  Exec: ['Command'],
  RestartOnFailure: ['Interval', 'Count'],
};

const BOOLEAN = /^(true|false)$/;
/** xs:duration as the schema restricts it. */
const DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
const SIMPLE: Readonly<Record<string, (v: string) => boolean>> = {
  Enabled: (v) => BOOLEAN.test(v),
  Hidden: (v) => BOOLEAN.test(v),
  AllowStartOnDemand: (v) => BOOLEAN.test(v),
  DisallowStartIfOnBatteries: (v) => BOOLEAN.test(v),
  StopIfGoingOnBatteries: (v) => BOOLEAN.test(v),
  AllowHardTerminate: (v) => BOOLEAN.test(v),
  StartWhenAvailable: (v) => BOOLEAN.test(v),
  RunOnlyIfNetworkAvailable: (v) => BOOLEAN.test(v),
  RunOnlyIfIdle: (v) => BOOLEAN.test(v),
  WakeToRun: (v) => BOOLEAN.test(v),
  MultipleInstancesPolicy: (v) => ['Parallel', 'Queue', 'IgnoreNew', 'StopExisting'].includes(v),
  LogonType: (v) => ['S4U', 'Password', 'InteractiveToken', 'InteractiveTokenOrPassword'].includes(v),
  RunLevel: (v) => ['LeastPrivilege', 'HighestAvailable'].includes(v),
  ExecutionTimeLimit: (v) => DURATION.test(v),
  // The schema: at least a minute, at most 31 days.
  Interval: (v) => DURATION.test(v) && v !== 'PT0S' && !/^PT[0-5]?\dS$/.test(v),
  Count: (v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 999,
  Priority: (v) => /^\d+$/.test(v) && Number(v) <= 10,
  Command: (v) => v.length > 0,
};

function checkElement(node: XmlNode): void {
  const children = elements(node);
  const allowed = ALLOWED[node.nodeName];
  if (!allowed) {
    assert.equal(children.length, 0, `<${node.nodeName}> holds no elements`);
    const check = SIMPLE[node.nodeName];
    if (check)
      assert.ok(
        check(node.textContent ?? ''),
        `<${node.nodeName}>${node.textContent}</${node.nodeName}> fits the schema`,
      );
    return;
  }
  assertNoMixedText(node);
  const names = children.map((c) => c.nodeName);
  for (const n of names) assert.ok(allowed.includes(n), `<${n}> is allowed in <${node.nodeName}>`);
  if (node.nodeName !== 'Triggers' && node.nodeName !== 'Actions' && node.nodeName !== 'Principals')
    assert.equal(new Set(names).size, names.length, `no element twice in <${node.nodeName}>`);
  for (const r of REQUIRED[node.nodeName] ?? [])
    assert.ok(names.includes(r), `<${node.nodeName}> has its required <${r}>`);
  children.forEach(checkElement);
}

const child = (node: XmlNode, ...path: string[]): XmlNode => {
  let at = node;
  for (const name of path) {
    const next = elements(at).find((c) => c.nodeName === name);
    assert.ok(next, `<${name}> in <${at.nodeName}>`);
    at = next;
  }
  return at;
};

/** Splits a command line as the C runtime does (CommandLineToArgvW's rules for arguments). */
function splitWindowsArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let word = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      let slashes = 0;
      while (line[i] === '\\') {
        slashes++;
        i++;
      }
      if (line[i] === '"') {
        word += '\\'.repeat(Math.floor(slashes / 2));
        if (slashes % 2) word += '"';
        else quoted = !quoted;
        i++;
      } else {
        word += '\\'.repeat(slashes);
        if (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) word += line[i++];
      }
    }
    out.push(word);
  }
  return out;
}

const spec: ServiceSpec = {
  kind: 'agent',
  home: 'C:\\Users\\Zoë & Co <x>\\AppData\\Roaming\\Clawbridge\\',
  node: 'C:\\Program Files\\nodejs\\node.exe',
  script: 'C:\\Users\\z\\AppData\\Roaming\\npm\\node_modules\\clawbridge\\bin\\clawbridge.js',
  nodeArgs: [],
  flags: ['--name', 'desk top ^ | & <>', '--relay', 'wss://r.example/?a=1&b=2'],
};

test('the task XML holds to the Task Scheduler schema: required fields, allowed elements, enumerations and ranges', () => {
  for (const kind of ['agent', 'relay'] as const) {
    const s = { ...spec, kind };
    const name = serviceName(kind, s.home);
    const xml = windowsTaskXml(s, name, { userId: 'DESKTOP-1\\zoë' });
    assert.ok(
      xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>'),
      'declared UTF-16, as schtasks reads it',
    );
    const task = parseXmlStrictly(xml);
    assert.equal(task.nodeName, 'Task', 'the root is <Task>');
    assert.equal(task.getAttribute?.('xmlns'), TASK_NAMESPACE, "the schema's namespace");
    assert.equal(task.getAttribute?.('version'), '1.2', 'schema version 1.2');
    checkElement(task);
    assert.equal(
      child(task, 'RegistrationInfo', 'URI').textContent,
      taskPath(name),
      'its path in the library',
    );
    assert.equal(
      child(task, 'Triggers', 'LogonTrigger', 'UserId').textContent,
      'DESKTOP-1\\zoë',
      "at the user's logon",
    );
    assert.equal(
      child(task, 'Principals', 'Principal', 'LogonType').textContent,
      'InteractiveToken',
      'no password stored',
    );
    assert.equal(
      child(task, 'Principals', 'Principal', 'RunLevel').textContent,
      'LeastPrivilege',
      'no admin rights',
    );
    assert.equal(
      child(task, 'Settings', 'ExecutionTimeLimit').textContent,
      'PT0S',
      'never stopped for running long',
    );
    assert.equal(
      child(task, 'Settings', 'DisallowStartIfOnBatteries').textContent,
      'false',
      'runs on battery',
    );
    assert.equal(
      child(task, 'Actions', 'Exec', 'Arguments').textContent,
      windowsTaskArguments(s),
      'the arguments, unescaped intact',
    );
  }
});

test("cmd.exe's line runs the command line given, word for word, appends to the home's log, and loops only after a failure", () => {
  const args = windowsTaskArguments(spec);
  const m = /^\/d \/s \/c "for \/l %i in \(0,0,1\) do @\((.*) >> (".*?") 2>&1 && exit 0 & (.*)\)"$/.exec(
    args,
  );
  assert.ok(m, `the loop's shape: ${args}`);
  assert.deepEqual(splitWindowsArgs(m[1]!), serviceArgv(spec), 'the command line, word for word');
  assert.deepEqual(splitWindowsArgs(m[2]!), [serviceLogPath(spec.home)], "the home's log file");
  assert.equal(splitWindowsArgs(m[3]!)[0], spec.node, 'the pause runs the same node');
  // A trailing backslash does not escape the closing quote.
  assert.deepEqual(splitWindowsArgs(windowsArg('C:\\dir\\')), ['C:\\dir\\'], 'a trailing backslash survives');
});

test('what cmd.exe would expand or end the quoting on is refused, not written', () => {
  for (const bad of ['50%', 'a"b', '%PATH%'])
    assert.throws(
      () => windowsTaskArguments({ ...spec, flags: ['--name', bad] }),
      { code: 'BAD_ARGUMENT' },
      bad,
    );
});
