/** One Dockerfile instruction (continuation lines joined, comments dropped). */
export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword. */
  args: string;
  /** 1-based line where it starts. */
  line: number;
}

/** A build stage: its FROM and the instructions after it. */
export interface Stage {
  /** Image reference of the FROM line. */
  image: string;
  /** `AS <name>`, if any. */
  name?: string;
  /** 0-based index. */
  index: number;
  instructions: Instruction[];
}

/** Parses a Dockerfile into instructions (handles `\` continuations and comment lines). */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (current === undefined) {
      if (/^\s*(#|$)/.test(line)) return;
      current = { text: '', line: i + 1 };
    } else if (/^\s*#/.test(line)) {
      return; // comment inside a continued instruction
    }
    const continued = /\\\s*$/.test(line);
    current.text += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      const match = /^\s*(\S+)\s*(.*)$/.exec(current.text.trim());
      if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: current.line });
      current = undefined;
    }
  });
  return instructions;
}

/**
 * Groups instructions into stages. The ARGs before the first FROM are not kept in any stage, but
 * their defaults are substituted into FROM lines (`ARG NODE_IMAGE=node:22-bookworm-slim` then
 * `FROM ${NODE_IMAGE}` gives the image `node:22-bookworm-slim`). @throws on a FROM naming an ARG without a default.
 */
export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string | undefined> = {};
  for (const instruction of instructions) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, ...value] = instruction.args.split('=');
      globalArgs[name.trim()] = value.length ? value.join('=').trim().replace(/^"(.*)"$/, '$1') : undefined;
    } else if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot parse FROM ${instruction.args}`);
      const image = match[1].replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
        const value = globalArgs[name];
        if (value === undefined) throw new Error(`line ${instruction.line}: FROM uses $${name}, which no ARG before the first FROM gives a default`);
        return value;
      });
      stages.push({ image, name: match[2], index: stages.length, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

/** A COPY/ADD: its flags, sources and destination. */
export interface CopySpec {
  from?: string;
  sources: string[];
  destination: string;
  line: number;
}

/** Parses COPY/ADD arguments (shell form or JSON form; flags such as --from and --chown). */
export function parseCopy(instruction: Instruction): CopySpec {
  let rest = instruction.args;
  let from: string | undefined;
  for (;;) {
    const flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest);
    if (!flag) break;
    if (flag[1] === 'from') from = flag[2];
    rest = rest.slice(flag[0].length);
  }
  const parts = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/);
  if (parts.length < 2) throw new Error(`line ${instruction.line}: ${instruction.keyword} needs a source and a destination`);
  return { from, sources: parts.slice(0, -1), destination: parts[parts.length - 1], line: instruction.line };
}

/** The WORKDIR in force before instruction `position` of a stage ('/' when none). */
export function workdirAt(stage: Stage, position: number): string {
  let dir = '/';
  for (const instruction of stage.instructions.slice(0, position)) {
    if (instruction.keyword === 'WORKDIR') dir = instruction.args.startsWith('/') ? instruction.args : `${dir.replace(/\/$/, '')}/${instruction.args}`;
  }
  return dir;
}

/** Resolves a path against a WORKDIR. */
export function resolveIn(workdir: string, path: string): string {
  const joined = path.startsWith('/') ? path : `${workdir.replace(/\/$/, '')}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Compiles one .dockerignore pattern (Go filepath.Match syntax plus `**`) to a RegExp. */
function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          source += '(?:.*/)?';
          i++;
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * True when `.dockerignore` excludes `relativePath` from the build context. As in Docker, a pattern
 * matches a path or any folder above it, and the last matching pattern wins (`!` re-includes).
 */
export function isIgnored(dockerignore: string, relativePath: string): boolean {
  const segments = relativePath.replace(/^\.\//, '').replace(/\/+$/, '').split('/');
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of dockerignore.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    const regexp = patternToRegExp((negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, ''));
    if (prefixes.some((prefix) => regexp.test(prefix))) ignored = !negate;
  }
  return ignored;
}
