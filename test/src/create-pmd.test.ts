/**
 * The starter as a driver author meets it: @dpkit/create-pmd packed as npm would publish it
 * and run with `npm exec` (what `npm init @dpkit/pmd` runs); the package it writes installed
 * with npm (@dpkit/eal from its tarball), built by its own tsc and tested by its own tests,
 * packed, installed from tarballs next to dpkit-testpmd, loaded with `-d` by package name, and
 * forwarded through. And what the starter refuses: bad names, a directory in use.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { TESTPMD_PACKAGES, Tarballs, root } from './tarballs.js';
import { TestpmdProcess, forwardStats, prefix } from './testpmd-process.js';

const packs = new Tarballs();
const STARTER = join(root, 'packages/create-pmd/bin/create-pmd.js');
const gen = join(packs.work, 'gen', 'my-driver');

test.before(() => {
  packs.pack([...TESTPMD_PACKAGES, 'create-pmd']);
});

test.after.always(() => packs.cleanup());

/** The type assertions (`x as T`, `<T>x`; `as const` is none) in a TypeScript source. */
function casts(text: string): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isAsExpression(n) && n.type.getText() !== 'const') || ts.isTypeAssertionExpression(n)) found.push(n.getText());
    ts.forEachChild(n, visit);
  };
  visit(ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true));
  return found;
}

function starter(args: string[], cwd: string) {
  return spawnSync(process.execPath, [STARTER, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
}

test.serial('a bad name or a directory in use: one line on stderr, exit 1, nothing written', (t) => {
  const dir = mkdtempSync(join(packs.work, 'names-'));
  const refused: [string[], string][] = [
    [['My-Driver'], "'My-Driver' is not a valid npm package name: it has upper-case letters"],
    [['my driver'], "'my driver' is not a valid npm package name: 'my driver' has characters not allowed in a URL"],
    [['.hidden'], "'.hidden' is not a valid npm package name: '.hidden' starts with '.' or '_'"],
    [['@acme/x/y'], "'@acme/x/y' is not a valid npm package name: it has a '/' that is not a scope's (@scope/name)"],
    [['http'], "'http' is not a valid npm package name: 'http' is a reserved name"],
    [['2fast'], "'2fast' gives the driver name 'net_2fast', which is not valid: after net_ a driver name is a lower-case identifier ([a-z][a-z0-9_]*); choose another package name"],
    [['@acme/pmd-x2'], "'@acme/pmd-x2' gives the driver name 'net_x2', which ends in a digit and would run into the port number (--vdev=net_x20); choose another package name"],
    [['pmd-null'], "'pmd-null' gives the driver name 'net_null', which is dpkit's own (@dpkit/pmd-null): dpkit-testpmd registers that one and would refuse to load yours; choose another package name"],
    [['@acme/af-xdp'], "'@acme/af-xdp' gives the driver name 'net_af_xdp', which is dpkit's own (@dpkit/pmd-af-xdp): dpkit-testpmd registers that one and would refuse to load yours; choose another package name"],
    [[], 'give the package name: create-pmd <name> [--dir DIR], e.g. npm init @dpkit/pmd my-driver'],
    [['my-driver', 'there'], "one name only (got 'my-driver' and 'there'); the directory goes in --dir (with npm init, after --: npm init @dpkit/pmd my-driver -- --dir there)"],
    [['my-driver', '--into', 'x'], 'unknown option --into; usage: create-pmd <name> [--dir DIR]'],
  ];
  for (const [args, line] of refused) {
    const r = starter(args, dir);
    t.is(r.stderr, `create-pmd: ${line}\n`, args.join(' '));
    t.is(r.status, 1, args.join(' '));
    t.is(r.stdout, '');
  }
  t.deepEqual(readdirSync(dir), [], 'nothing written');
  const help = starter(['-h'], dir);
  t.is(help.status, 0);
  t.is(help.stdout.split('\n')[0], 'Usage: create-pmd <name> [--dir DIR]   (npm init @dpkit/pmd <name> [-- --dir DIR])');
  // a directory that is not empty, or not a directory
  mkdirSync(join(dir, 'taken'));
  writeFileSync(join(dir, 'taken', 'notes.txt'), 'mine');
  writeFileSync(join(dir, 'file'), '');
  const taken = starter(['my-driver', '--dir', 'taken'], dir);
  t.is(taken.stderr, 'create-pmd: taken exists and is not empty; choose another --dir or remove it\n');
  t.is(taken.status, 1);
  t.deepEqual(readdirSync(join(dir, 'taken')), ['notes.txt']);
  const file = starter(['my-driver', '--dir=file'], dir);
  t.is(file.stderr, 'create-pmd: file exists and is not a directory; choose another --dir\n');
  t.is(file.status, 1);
});

test.serial('the starter from its tarball writes a PMD package: under 150 lines of source, no casts', (t) => {
  // the published starter: its command, build and template; nothing to install but itself
  const list = execFileSync('tar', ['-tzf', packs.get('create-pmd')]).toString().split('\n');
  for (const f of ['bin/create-pmd.js', 'dist/cli.js', 'template/gitignore', 'template/src/index.ts', 'template/features.ini']) t.true(list.includes(`package/${f}`), f);
  t.false(list.some((f) => f.startsWith('package/src/')), 'no sources');
  const json = JSON.parse(execFileSync('tar', ['-xzOf', packs.get('create-pmd'), 'package/package.json']).toString()) as Record<string, unknown>;
  t.deepEqual([json.dependencies, json.peerDependencies, json.scripts], [undefined, undefined, undefined]);
  mkdirSync(join(packs.work, 'gen'));
  // what `npm init @dpkit/pmd my-driver -- --dir my-driver` runs, with the package from its tarball
  const out = execFileSync('npm', ['exec', '--yes', '--offline', `--cache=${join(packs.work, 'npm-cache')}`, `--package=${packs.get('create-pmd')}`,
    '--', 'create-pmd', 'my-driver', '--dir', 'my-driver'], { cwd: join(packs.work, 'gen'), env: packs.noToolchain, timeout: 60_000 }).toString();
  t.deepEqual(out.split('\n').slice(0, 3), ['created my-driver (driver net_my_driver) in my-driver; next:',
    '  cd my-driver && npm install && npm test    # build, conformance suite, features.ini check',
    `  npm pack; then in an application: npm install @dpkit/testpmd ${join(gen, 'my-driver-0.1.0.tgz')}`]);
  const files = execFileSync('find', ['.', '-type', 'f'], { cwd: gen }).toString().trim().split('\n').sort();
  t.deepEqual(files, ['./.gitignore', './README.md', './features.ini', './package.json', './src/fastpath.ts', './src/index.ts',
    './src/test/conformance.test.ts', './src/test/features.test.ts', './tsconfig.json']);
  const source = ['src/index.ts', 'src/fastpath.ts'].map((f) => readFileSync(join(gen, f), 'utf8'));
  const lines = source.reduce((n, s) => n + s.split('\n').length - 1, 0);
  t.true(lines < 150, `src/*.ts has ${lines} lines`);
  t.deepEqual(source.flatMap(casts), [], 'no casts');
  for (const f of files) t.false(readFileSync(join(gen, f), 'utf8').includes('{{'), `${f}: every placeholder filled in`);
  t.regex(readFileSync(join(gen, 'src/index.ts'), 'utf8'), /name: 'net_my_driver',/);
  // the versions it depends on are the ones this repository builds and tests its PMDs with
  type Pkg = { name: string; peerDependencies: Record<string, string>; devDependencies: Record<string, string> };
  const made = JSON.parse(readFileSync(join(gen, 'package.json'), 'utf8')) as Pkg;
  const model = JSON.parse(readFileSync(join(root, 'packages/pmd-null/package.json'), 'utf8')) as Pkg;
  t.is(made.name, 'my-driver');
  t.deepEqual(made.peerDependencies, model.peerDependencies);
  t.deepEqual({ ...made.devDependencies, '@dpkit/eal': 'workspace:*' }, model.devDependencies);
});

test.serial('the package it writes builds, passes its own tests, and forwards in dpkit-testpmd installed from tarballs', async (t) => {
  t.timeout(420_000);
  // the author's steps: npm install (@dpkit/eal from its tarball), npm test (tsc, then ava), npm pack
  packs.npmInstall(gen, [packs.get('eal')], { save: false });
  const tested = spawnSync('npm', ['test'], { cwd: gen, env: packs.noToolchain, encoding: 'utf8', timeout: 180_000 });
  t.is(tested.status, 0, tested.stdout + tested.stderr);
  t.regex(tested.stdout, /✔ features › net_my_driver0: features.ini says what the port does/);
  t.regex(tested.stdout, /✔ conformance › net_my_driver0: queues rebuilt on a worker lcore from their descriptors forward/);
  t.regex(tested.stdout, /^ {2}\d+ tests passed$/m);
  t.notRegex(tested.stdout, /failed|skipped|todo|known failure/);
  execFileSync('npm', ['pack', '--loglevel=error'], { cwd: gen, env: packs.noToolchain, stdio: 'pipe', timeout: 120_000 });
  // an application with dpkit-testpmd and the driver, every @dpkit package from its tarball
  const app = packs.install(TESTPMD_PACKAGES, { specs: [join(gen, 'my-driver-0.1.0.tgz')] });
  const bin = join(app, 'node_modules/@dpkit/testpmd/bin/dpkit-testpmd.js');
  const help = execFileSync(process.execPath, [bin, '-d', 'my-driver', '-h'], { env: packs.noToolchain, timeout: 30_000 }).toString();
  t.true(help.split('\n').includes('  vdev: net_my_driver — ring_size=<int>'), help);
  const bad = spawnSync(process.execPath, [bin, '-l', '0-1', '--no-pci', '-d', 'my-driver', '--vdev=net_my_driver0,ring_size=abc', prefix()], { encoding: 'utf8', timeout: 30_000 });
  t.is(bad.stderr, "dpkit-testpmd: net_my_driver: devarg ring_size='abc' is not valid: expected an integer\n");
  t.is(bad.status, 1);
  // forwarding: tx_first sends 32, a 16-packet ring takes 16 (the rest is refused, counted);
  // those 16 then go round tx → ring → rx → tx on the forwarding lcore
  const p = new TestpmdProcess(['-l', '0-1', '--no-pci', '-d', 'my-driver', '--vdev=net_my_driver0,ring_size=16', prefix(), '--', '-i', '--port-topology=loop'], bin);
  try {
    await p.until((out) => out.includes('testpmd> '), 30_000, 'the prompt');
    t.regex(await p.command('show port info 0'), /^Driver name: net_my_driver$/m);
    await p.command('start tx_first');
    let rx = 0;
    for (let i = 0; i < 200 && rx < 10_000; i++) rx = Number(/RX-packets: (\d+)/.exec(await p.command('show port stats 0'))?.[1]);
    t.true(rx >= 10_000, `received ${rx} packets`);
    const stop = await p.command('stop');
    const fwd = forwardStats(stop).get(0)!;
    t.true(fwd.rx >= rx);
    t.is(fwd.tx, fwd.rx + 16, 'every packet received was sent again, and 16 more at tx_first');
    t.is(fwd.txDropped, 16, 'tx_first: 16 of 32 did not fit the ring');
    t.regex(stop, new RegExp(`^ {2}RX-packets: ${fwd.rx} +RX-dropped: 0 +RX-total: ${fwd.rx}$`, 'm'));
    t.regex(await p.command('show port xstats 0'), /^tx_errors: 16$/m);
    p.child.stdin.write('quit\n');
    t.is((await p.exit()).code, 0, p.stderr);
    t.regex(p.stdout, /Port 0 is closed\nDone\n\nBye\.\.\.\n/);
  } finally {
    p.kill();
  }
});
