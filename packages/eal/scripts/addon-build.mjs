// How a dpkit package with its own Node-API addon builds it: from source with node-gyp
// (`buildNative`, behind @dpkit/eal's `build-native` and @dpkit/sim-82599's), and prebuilt with
// prebuildify into prebuilds/linux-x64/ for the published tarball (`prebuild`, the `prepack`
// of both). Exported as `@dpkit/eal/addon-build`, so a package with an addon shares this code
// rather than copying it. `pkg` is { dir, name, addon }: the package directory (the one
// holding binding.gyp and native/), its npm name and what its messages call the addon.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** node-gyp's entry script: $npm_config_node_gyp, a local node-gyp, or the one bundled with npm. */
export function findNodeGyp() {
  const require = createRequire(import.meta.url);
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch { /* not installed locally */ }
  const prefix = dirname(dirname(process.execPath));
  for (const npm of [join(prefix, 'lib/node_modules/npm'), '/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', '/usr/share/nodejs/npm']) {
    candidates.push(join(npm, 'node_modules/node-gyp/bin/node-gyp.js'));
  }
  return candidates.find((c) => existsSync(c));
}

/**
 * The directory whose include/node holds this Node's headers (so node-gyp downloads
 * nothing), or undefined: node-gyp then fetches the headers of this Node version itself.
 */
export function nodeDir() {
  for (const dir of ['/usr', dirname(dirname(process.execPath))]) {
    if (existsSync(join(dir, 'include/node/node_api.h'))) return dir;
  }
  return undefined;
}

/**
 * Builds pkg's addon from source into pkg.dir/build/Release with node-gyp, against this
 * machine's Node headers. node-gyp-build prefers build/Release over a prebuild, so this also
 * replaces the prebuilt addon. Needs a C++17 compiler, make and python3; exits 1 with one line
 * saying why when it cannot build.
 */
export function buildNative(pkg) {
  const fail = (why, fix = 'it needs a C++17 compiler, make and python3 (Debian: apt-get install g++ make python3)') => {
    process.stderr.write(`${pkg.name}: could not build ${pkg.addon} from source: ${why}; ${fix}\n`);
    process.exit(1);
  };
  if (process.platform !== 'linux') fail(`${process.platform} is not Linux`, `${pkg.addon} exists only for Linux`);
  const onPath = (name) => (process.env.PATH ?? '').split(':').some((dir) => {
    try { accessSync(join(dir || '.', name), constants.X_OK); return true; } catch { return false; }
  });
  const missing = [];
  if (!process.env.CXX && !['c++', 'g++', 'clang++'].some(onPath)) missing.push('no C++ compiler (c++, g++ or clang++; or set CXX)');
  if (!onPath('make')) missing.push('no make');
  if (!process.env.PYTHON && !['python3', 'python'].some(onPath)) missing.push('no python3');
  if (missing.length) fail(`${missing.join(', ')} on PATH`);
  const gyp = findNodeGyp();
  if (!gyp) fail('node-gyp not found', 'install it with npm install -g node-gyp');
  const args = [gyp, 'rebuild', '--loglevel=error'];
  const dir = nodeDir();
  if (dir) args.push(`--nodedir=${dir}`);
  const r = spawnSync(process.execPath, args, { cwd: pkg.dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error) fail(`node-gyp did not run: ${r.error.message}`);
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${r.status}`;
    fail(`node-gyp failed: ${last.slice(0, 200)}`);
  }
}

/**
 * A package's build command (`npx @dpkit/eal build-native`, `npx @dpkit/sim-82599
 * build-native`): `build-native` builds with buildNative; -h/--help prints `usage` (exit 0);
 * nothing prints it and exits 2, anything else says it is unknown, with the usage (exit 2).
 */
export function buildNativeCommand(pkg, command, usage, argv = process.argv.slice(2)) {
  const [cmd, ...rest] = argv;
  if (cmd === 'build-native' && rest.length === 0) return buildNative(pkg);
  const help = cmd === '-h' || cmd === '--help';
  process.stderr.write(help || cmd === undefined ? `${usage}\n` : `${command}: unknown command '${argv.join(' ')}'; ${usage}\n`);
  process.exit(help ? 0 : 2);
}

/**
 * `prepack`: builds pkg's addon with prebuildify into pkg.dir/prebuilds/linux-x64/ so that the
 * published tarball carries it and installs need neither a compiler nor an install script.
 * Node-API (node-addon-api, NAPI_VERSION 8) and at most libuv 1.x, so one binary, tagged uv1
 * and glibc, serves every Node >= 20 on glibc Linux x86-64. The build runs in a temporary copy
 * of native/ and binding.gyp, so the workspace's own build/Release is left as it was.
 * `postpack` (clean) removes prebuilds/ again. Exits 1 with one line when it cannot pack.
 */
export async function prebuild(pkg, clean) {
  const out = join(pkg.dir, 'prebuilds');
  rmSync(out, { recursive: true, force: true });
  if (clean) return;
  const fail = (why) => {
    process.stderr.write(`${pkg.name}: cannot pack: ${why}\n`);
    process.exit(1);
  };
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    fail(`the published tarball carries prebuilds/linux-x64, which only linux-x64 builds (this is ${process.platform}-${process.arch})`);
  }
  const gyp = findNodeGyp();
  if (!gyp) fail('node-gyp not found; install it with npm install -g node-gyp');
  const dir = nodeDir();
  if (dir) process.env.npm_config_nodedir = dir;
  const work = mkdtempSync(join(tmpdir(), 'dpkit-prebuild-'));
  try {
    cpSync(join(pkg.dir, 'native'), join(work, 'native'), { recursive: true });
    for (const f of ['binding.gyp', 'package.json']) cpSync(join(pkg.dir, f), join(work, f));
    symlinkSync(join(pkg.dir, 'node_modules'), join(work, 'node_modules'));
    const prebuildify = createRequire(import.meta.url)('prebuildify');
    await new Promise((resolve, reject) => prebuildify({
      cwd: work, out: pkg.dir, napi: true, targets: [process.versions.node], strip: true,
      tagUv: true, tagLibc: true, nodeGyp: gyp, quiet: true,
    }, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    fail(`prebuildify failed: ${String(err.message ?? err).split('\n')[0]}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${pkg.name}: prebuilt ${readdirSync(join(out, 'linux-x64')).map((f) => `prebuilds/linux-x64/${f}`).join(', ')}\n`);
}
