import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One tarball `npm run pack:libs` wrote: its file name and the name and version inside it. */
export interface PackedTarball {
  readonly file: string;
  readonly name: string;
  readonly version: string;
}

/** Where `npm run pack:libs` writes the tarballs without `--out` (tools/pack-libs.mjs). */
export const PACK_DESTINATION = 'dist/packages';

const workspace = join(__dirname, '..', '..', '..');

/**
 * Runs the real `npm run pack:libs` script (tools/pack-libs.mjs) into `out` and reads each tarball's
 * package.json. @throws with the script's output when it fails.
 */
export function packLibsInto(out: string): PackedTarball[] {
  const result = spawnSync(process.execPath, [join(workspace, 'tools', 'pack-libs.mjs'), '--out', out], { cwd: workspace, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tools/pack-libs.mjs exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return readdirSync(out)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => {
      const manifest = spawnSync('tar', ['-xzOf', join(out, file), 'package/package.json'], { encoding: 'utf8' });
      if (manifest.status !== 0) throw new Error(`cannot read package/package.json in ${file}: ${manifest.stderr}`);
      const { name, version } = JSON.parse(manifest.stdout) as { name: string; version: string };
      return { file, name, version };
    });
}

/** The commands of the first fenced block of a markdown text (`# comments` and blank lines dropped), or undefined when it is not `bash`. */
export function firstShellCommands(markdown: string): string[] | undefined {
  const first = /```(\w*)\n([\s\S]*?)\n```/.exec(markdown);
  if (!first || first[1] !== 'bash') return undefined;
  return first[2].split('\n').map((line) => line.replace(/(^|\s)#.*$/, '').trim()).filter(Boolean);
}

/** Problems of the tarball paths in `args` (`dist/packages/<a file pack:libs wrote>`). */
function tarballProblems(command: string, args: readonly string[], packed: readonly PackedTarball[]): string[] {
  const files = packed.map((p) => p.file);
  return args
    .filter((arg) => arg.endsWith('.tgz'))
    .flatMap((arg) => [
      ...(files.includes(basename(arg)) ? [] : [`"${command}": ${basename(arg)} is not a tarball pack:libs writes (it writes ${files.join(', ')})`]),
      ...(dirname(arg).endsWith(PACK_DESTINATION) ? [] : [`"${command}": ${arg} is not in ${PACK_DESTINATION}/, where pack:libs writes`]),
    ]);
}

/**
 * Checks that the first lines of a library README (its first fenced block, `bash`) install the
 * packages as written, against what `npm run pack:libs` produced: it starts with `npm run pack:libs`;
 * every tarball it publishes or installs is one pack:libs wrote, in dist/packages/; `npm config set
 * @<scope>:registry <url>` names the packages' scope and the registry published to, before the
 * install by name; the install by name (with `ownPackage` among the names) installs only packages
 * published above; the install by path names a tarball of each of them. Returns one line per problem.
 */
export function readmeInstallProblems(markdown: string, ownPackage: string, packed: readonly PackedTarball[]): string[] {
  const commands = firstShellCommands(markdown);
  if (!commands) return ['the first fenced block is not `bash`: start the README with the commands that install the packages'];
  const out: string[] = [];
  if (commands[0] !== 'npm run pack:libs') out.push(`the first command is "${commands[0]}", not "npm run pack:libs" (the packages are not on npmjs.org)`);
  const argv = commands.map((c) => c.split(/\s+/));
  const published = argv.filter((a) => a[0] === 'npm' && a[1] === 'publish');
  const byName = argv.findIndex((a) => a[0] === 'npm' && a[1] === 'install' && a.slice(2).every((x) => x.startsWith('@')));
  const byPath = argv.find((a) => a[0] === 'npm' && a[1] === 'install' && a.slice(2).some((x) => x.endsWith('.tgz')));
  for (const a of [...published, ...(byPath ? [byPath] : [])]) out.push(...tarballProblems(a.join(' '), a.slice(2), packed));
  const registries = new Set(published.map((a) => a[a.indexOf('--registry') + 1]));
  const scopes = new Set(packed.map((p) => p.name.split('/')[0]));
  const setting = argv.findIndex((a) => a[0] === 'npm' && a[1] === 'config' && a[2] === 'set' && /^@[^:]+:registry$/.test(a[3] ?? ''));
  if (setting < 0) out.push('no "npm config set @<scope>:registry <url>" line: npm would look for the packages on npmjs.org');
  else {
    const [scope] = argv[setting][3].split(':');
    if (!scopes.has(scope)) out.push(`"${commands[setting]}": pack:libs packs ${[...scopes].join(', ')}, not ${scope}`);
    if (registries.size !== 1 || !registries.has(argv[setting][4])) out.push(`"${commands[setting]}": the packages are published to ${[...registries].join(', ') || 'no registry (no npm publish --registry <url>)'}`);
    if (byName >= 0 && setting > byName) out.push(`"${commands[setting]}" comes after the install it is needed for`);
  }
  if (byName < 0) out.push('no "npm install @<scope>/<name> ..." line (the install by name)');
  else {
    const names = argv[byName].slice(2);
    if (!names.includes(ownPackage)) out.push(`"${commands[byName]}" does not install ${ownPackage}`);
    const publishedNames = published.map((a) => packed.find((p) => p.file === basename(a[2] ?? ''))?.name);
    for (const name of names.filter((n) => !publishedNames.includes(n))) out.push(`"${commands[byName]}": ${name} is not published by an "npm publish" line above`);
    const pathNames = (byPath ?? []).map((arg) => packed.find((p) => p.file === basename(arg))?.name);
    for (const name of names.filter((n) => !pathNames.includes(n))) out.push(`the install by path names no tarball of ${name}`);
  }
  return out;
}
