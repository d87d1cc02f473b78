// `prepack`: builds the addon with prebuildify into prebuilds/linux-x64/ so that the published
// tarball carries it and installs need neither a compiler nor an install script. Node-API
// (node-addon-api, NAPI_VERSION 8) plus libuv 1.x's uv_poll, so one binary, tagged uv1
// and glibc, serves every Node >= 20 on glibc Linux x86-64. The build runs in a temporary copy
// of native/ and binding.gyp, so the workspace's own build/Release is left as it was.
// `postpack` (--clean) removes prebuilds/ again.
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNodeGyp, nodeDir, packageDir } from './node-gyp.mjs';

const out = join(packageDir, 'prebuilds');
rmSync(out, { recursive: true, force: true });
if (process.argv[2] === '--clean') process.exit(0);

const fail = (why) => {
  process.stderr.write(`@dpkit/eal: cannot pack: ${why}\n`);
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
  cpSync(join(packageDir, 'native'), join(work, 'native'), { recursive: true });
  for (const f of ['binding.gyp', 'package.json']) cpSync(join(packageDir, f), join(work, f));
  symlinkSync(join(packageDir, 'node_modules'), join(work, 'node_modules'));
  const prebuildify = createRequire(import.meta.url)('prebuildify');
  await new Promise((resolve, reject) => prebuildify({
    cwd: work, out: packageDir, napi: true, targets: [process.versions.node], strip: true,
    tagUv: true, tagLibc: true, nodeGyp: gyp, quiet: true,
  }, (err) => (err ? reject(err) : resolve())));
} catch (err) {
  rmSync(out, { recursive: true, force: true });
  fail(`prebuildify failed: ${String(err.message ?? err).split('\n')[0]}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`@dpkit/eal: prebuilt ${readdirSync(join(out, 'linux-x64')).map((f) => `prebuilds/linux-x64/${f}`).join(', ')}\n`);
