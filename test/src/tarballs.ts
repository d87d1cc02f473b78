/**
 * Workspace packages as npm would publish them, for tests that install them the way a user
 * does: `pnpm pack` each package once into a work directory of the test file's own, then `npm
 * install` tarballs into fresh directories. The @dpkit packages come only from the tarballs;
 * their dependencies from the npm registry (or npm's cache). npm runs with a PATH that reaches
 * node, npm, npx and sh only (npm exec runs bins through sh): no compiler, make or python, so
 * an install that would build anything fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * dpkit-testpmd's package and every @dpkit package it depends on (packages/<name>); not
 * @dpkit/sim-82599, an optional peer dependency.
 */
export const TESTPMD_PACKAGES = ['eal', 'pmd-null', 'pmd-ring', 'pmd-af-xdp', 'pmd-af-packet', 'bifurc', 'ixgbe-defs', 'pmd-ixgbe', 'testpmd'] as const;

/** npm's flags for every install here: quiet, cached packages first. */
export const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

export class Tarballs {
  /** the work directory: tarballs, the tool PATH, install directories; removed by cleanup() */
  readonly work = mkdtempSync(join(tmpdir(), 'dpkit-pack-'));
  /** package directory name (`eal`, `pmd-null`...) → its tarball */
  readonly files = new Map<string, string>();
  /** the environment for npm and installed programs: PATH has node, npm, npx and sh only */
  readonly noToolchain: NodeJS.ProcessEnv;

  constructor() {
    const bin = join(this.work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    for (const cmd of ['npm', 'npx']) {
      symlinkSync(realpathSync(execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim()), join(bin, cmd));
    }
    this.noToolchain = { ...process.env, PATH: bin };
  }

  /** Packs packages/<pkg> for each of `pkgs` (@dpkit/eal's prepack builds its prebuild: ~12 s). */
  pack(pkgs: readonly string[]): void {
    for (const pkg of pkgs) {
      execFileSync('pnpm', ['pack', '--pack-destination', this.work], { cwd: join(root, 'packages', pkg), stdio: 'pipe', timeout: 180_000 });
    }
    for (const f of readdirSync(this.work)) {
      const m = /^dpkit-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f);
      if (m) this.files.set(m[1]!, join(this.work, f));
    }
  }

  /** The tarball of packages/<pkg>; throws if it was not packed. */
  get(pkg: string): string {
    const f = this.files.get(pkg);
    if (!f) throw new Error(`no tarball for ${pkg}: pack it first`);
    return f;
  }

  /** `npm install` of `specs` (tarball paths) in `dir`, with no toolchain on PATH; `save: false` leaves package.json alone. */
  npmInstall(dir: string, specs: readonly string[], o: { scripts?: boolean; save?: boolean } = {}): void {
    const flags = [...NPM_FLAGS, ...(o.scripts === false ? ['--ignore-scripts'] : []), ...(o.save === false ? ['--no-save'] : [])];
    execFileSync('npm', ['install', ...flags, ...specs], { cwd: dir, stdio: 'pipe', timeout: 180_000, env: this.noToolchain });
  }

  /** Installs the tarballs of `pkgs` (and any other `specs`) into a new app directory; returns it. */
  install(pkgs: readonly string[], o: { scripts?: boolean; specs?: readonly string[] } = {}): string {
    const dir = mkdtempSync(join(this.work, 'app-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    this.npmInstall(dir, [...pkgs.map((p) => this.get(p)), ...(o.specs ?? [])], { scripts: o.scripts ?? true });
    return dir;
  }

  cleanup(): void {
    rmSync(this.work, { recursive: true, force: true });
  }
}
