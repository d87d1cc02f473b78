/**
 * create-pmd — what `npm init @dpkit/pmd <name>` runs: writes a working vdev PMD package from
 * template/ (the package and driver names filled in). Every check comes before anything is
 * written; a bad argument is one line on stderr and exit status 1.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `Usage: create-pmd <name> [--dir DIR]   (npm init @dpkit/pmd <name> [-- --dir DIR])

Writes a dpkit poll-mode driver package named <name> (an npm package name, scoped or not)
into DIR (default: the name without its scope). Its driver is net_ and the name without
scope and 'pmd-' prefix, '-' and '.' made '_': my-driver -> net_my_driver.`;

const TEMPLATE = fileURLToPath(new URL('../template/', import.meta.url));
/** Files npm would not publish under their own name (`npm pack` drops .gitignore). */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

class UsageError extends Error {}

/** dpkit's own drivers with a name the starter could make, and their packages: dpkit-testpmd registers them all. */
const DPKIT_DRIVERS: Record<string, string> = {
  net_null: '@dpkit/pmd-null', net_ring: '@dpkit/pmd-ring', net_af_xdp: '@dpkit/pmd-af-xdp', net_af_xdp_bifurc: '@dpkit/pmd-af-xdp',
  net_af_packet: '@dpkit/pmd-af-packet', net_bifurc: '@dpkit/bifurc',
};

/** Why `name` is not a name npm publishes a new package under (its rules), or undefined. */
function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 214) return 'it is longer than 214 characters';
  if (name !== name.trim()) return 'it has leading or trailing spaces';
  if (name !== name.toLowerCase()) return 'it has upper-case letters';
  const m = /^(?:@([^/]+)\/)?([^/]+)$/.exec(name);
  if (!m) return "it has a '/' that is not a scope's (@scope/name)";
  for (const part of [m[1], m[2]!]) {
    if (part === undefined) continue;
    if (/^[._]/.test(part)) return `'${part}' starts with '.' or '_'`;
    if (/[~'!()*]/.test(part) || encodeURIComponent(part) !== part) return `'${part}' has characters not allowed in a URL`;
  }
  const base = m[2]!;
  if (base === 'node_modules' || base === 'favicon.ico' || builtinModules.includes(base)) return `'${base}' is a reserved name`;
  return undefined;
}

/** The driver name for a package name: net_ + the name without scope and `pmd-`, `-`/`.` → `_`. */
function driverName(pkg: string): string {
  const base = pkg.replace(/^@[^/]+\//, '');
  return 'net_' + (base.startsWith('pmd-') && base.length > 4 ? base.slice(4) : base).replace(/[-.]/g, '_');
}

function parse(argv: string[]): { name: string; dir: string } | undefined {
  let name: string | undefined;
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') return undefined;
    if (a === '--dir' || a.startsWith('--dir=')) {
      dir = a === '--dir' ? argv[++i] : a.slice(6);
      if (!dir) throw new UsageError('--dir needs a directory: --dir DIR');
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}; usage: create-pmd <name> [--dir DIR]`);
    else if (name !== undefined) throw new UsageError(`one name only (got '${name}' and '${a}'); the directory goes in --dir (with npm init, after --: npm init @dpkit/pmd ${name} -- --dir ${a})`);
    else name = a;
  }
  if (name === undefined) throw new UsageError('give the package name: create-pmd <name> [--dir DIR], e.g. npm init @dpkit/pmd my-driver');
  const problem = packageNameProblem(name);
  if (problem) throw new UsageError(`'${name}' is not a valid npm package name: ${problem}`);
  const driver = driverName(name);
  if (!/^net_[a-z][a-z0-9_]*$/.test(driver)) {
    throw new UsageError(`'${name}' gives the driver name '${driver}', which is not valid: after net_ a driver name is a lower-case identifier ([a-z][a-z0-9_]*); choose another package name`);
  }
  const own = DPKIT_DRIVERS[driver];
  if (own) {
    throw new UsageError(`'${name}' gives the driver name '${driver}', which is dpkit's own (${own}): dpkit-testpmd registers that one and would refuse to load yours; choose another package name`);
  }
  if (/[0-9]$/.test(driver)) {
    throw new UsageError(`'${name}' gives the driver name '${driver}', which ends in a digit and would run into the port number (--vdev=${driver}0); choose another package name`);
  }
  return { name, dir: dir ?? name.replace(/^@[^/]+\//, '') };
}

/** Template files, relative to template/. */
function templateFiles(dir = TEMPLATE): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(join(dir, e.name)) : [relative(TEMPLATE, join(dir, e.name))]);
}

function create(name: string, dir: string): string {
  const target = resolve(dir);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new UsageError(`${dir} exists and is not a directory; choose another --dir`);
    if (readdirSync(target).length > 0) throw new UsageError(`${dir} exists and is not empty; choose another --dir or remove it`);
  }
  const driver = driverName(name);
  for (const file of templateFiles()) {
    const text = readFileSync(join(TEMPLATE, file), 'utf8').replaceAll('{{package}}', name).replaceAll('{{driver}}', driver);
    const out = join(target, dirname(file), RENAMED[basename(file)] ?? basename(file));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
  }
  return driver;
}

function main(argv: string[]): number {
  try {
    const args = parse(argv);
    if (!args) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const driver = create(args.name, args.dir);
    const { version } = JSON.parse(readFileSync(join(TEMPLATE, 'package.json'), 'utf8')) as { version: string };
    const tarball = `${args.name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`; // what npm pack names it
    process.stdout.write([
      `created ${args.name} (driver ${driver}) in ${args.dir}; next:`,
      `  cd ${args.dir} && npm install && npm test    # build, conformance suite, features.ini check`,
      `  npm pack; then in an application: npm install @dpkit/testpmd ${resolve(args.dir, tarball)}`,
      `  npx dpkit-testpmd -l 0-1 --no-pci -d ${args.name} --vdev=${driver}0 -- -i --port-topology=loop`,
    ].join('\n') + '\n');
    return 0;
  } catch (err) {
    const why = err instanceof UsageError ? err.message : `cannot write the package: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`create-pmd: ${why}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
