/**
 * Just enough of systemd's unit and environment-file syntax to start a worker the way a unit would:
 * the [Service] settings, specifiers (%i, %H, %%), Environment= and EnvironmentFile= with systemd's
 * precedence, and ExecStart. Test support only; `systemd-analyze verify` in .ci/run checks the real thing.
 */
export interface Unit {
  /** Every `Key=value` of a section, in file order (a key may repeat). */
  sections: Record<string, Array<[string, string]>>;
}

export function parseUnit(text: string): Unit {
  const sections: Unit['sections'] = {};
  let current: Array<[string, string]> | undefined;
  // A line ending in a backslash continues on the next one.
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = sections[section[1]] ??= [];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) throw new Error(`not a unit line: ${line}`);
    current.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return { sections };
}

export interface Specifiers {
  instance: string;
  hostname: string;
}

/** systemd's specifiers in a setting: %i (instance), %H (host name), %% (a percent sign). */
export function expandSpecifiers(value: string, s: Specifiers): string {
  return value.replace(/%(.)/g, (whole, c: string) => {
    if (c === 'i') return s.instance;
    if (c === 'H') return s.hostname;
    if (c === '%') return '%';
    throw new Error(`specifier ${whole} is not handled here`);
  });
}

/** Words split on white space, with "double" and 'single' quotes grouping (systemd's quoting). */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) words.push(m[1] ?? m[2] ?? m[3]);
  return words;
}

/** An EnvironmentFile: KEY=VALUE lines, # or ; comments, optional quotes around the value. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    env[line.slice(0, eq).trim()] = value;
  }
  return env;
}

export interface ServiceStart {
  /** The environment systemd gives the process: Environment=, then every EnvironmentFile= over it. */
  environment: Record<string, string>;
  /** ExecStart split into words, specifiers expanded. */
  argv: string[];
  workingDirectory: string | undefined;
}

/**
 * How systemd would start one instance. `readFile` maps an EnvironmentFile= path to its text (a test
 * hands in its own /etc/video-jobs/worker.env). Precedence as in systemd.exec(5): settings from
 * EnvironmentFile= override Environment=; later assignments of one variable override earlier ones.
 */
export function serviceStart(unit: Unit, specifiers: Specifiers, readFile: (path: string) => string): ServiceStart {
  const service = unit.sections.Service ?? [];
  const all = (key: string) => service.filter(([k]) => k === key).map(([, v]) => expandSpecifiers(v, specifiers));
  const environment: Record<string, string> = {};
  for (const value of all('Environment')) {
    for (const word of splitWords(value)) {
      const eq = word.indexOf('=');
      environment[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  for (const value of all('EnvironmentFile')) {
    // A leading '-' means: a missing file is not an error.
    const optional = value.startsWith('-');
    const file = optional ? value.slice(1) : value;
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      if (optional) continue;
      throw err;
    }
    Object.assign(environment, parseEnvironmentFile(text));
  }
  const execStart = all('ExecStart');
  if (execStart.length !== 1) throw new Error(`expected one ExecStart=, found ${execStart.length}`);
  // Prefixes (-, @, +, !) change how systemd runs the command; none of them is used by our units.
  const argv = splitWords(execStart[0].replace(/^[-@+!:]+/, ''));
  return { environment, argv, workingDirectory: all('WorkingDirectory')[0] };
}

/** `env K=V ... cmd args`, as env(1) runs it: the assignments go over the inherited environment. */
export function applyEnvCommand(argv: string[], environment: Record<string, string>) {
  if (!/(^|\/)env$/.test(argv[0])) return { environment, argv };
  const env = { ...environment };
  let i = 1;
  for (; i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]); i++) {
    const eq = argv[i].indexOf('=');
    env[argv[i].slice(0, eq)] = argv[i].slice(eq + 1);
  }
  return { environment: env, argv: argv.slice(i) };
}
