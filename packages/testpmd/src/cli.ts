/**
 * dpkit-testpmd: `dpkit-testpmd [EAL options] -- [testpmd options]`, as DPDK's dpdk-testpmd.
 * Every user error is one line on stderr and exit status 1; SIGINT and SIGTERM stop forwarding,
 * print the statistics, close the ports and exit 0. A forwarding lcore that throws ends a
 * non-interactive run at once: statistics, ports closed, its error on stderr, exit 1.
 */
import { fileURLToPath } from 'node:url';
import { DpkitError, Eal, errorLine } from '@dpkit/eal';
import { bifurc, type DraProvider } from '@dpkit/bifurc';
import { driver as afPacketDriver } from '@dpkit/pmd-af-packet';
import { drivers as afXdpDrivers } from '@dpkit/pmd-af-xdp';
import { drivers as ixgbeDrivers } from '@dpkit/pmd-ixgbe';
import { driver as nullDriver } from '@dpkit/pmd-null';
import { driver as ringDriver } from '@dpkit/pmd-ring';
import { runCommandFile } from './cmdline-file.js';
import { interactive } from './commands.js';
import { parseTestpmdArgs, testpmdUsage } from './params.js';
import { Testpmd } from './testpmd.js';

/** set when stdout's reader went away (`dpkit-testpmd ... | head`): nothing more is printed */
let stdoutGone = false;
/** what a closed stdout does: before the EAL is up, exit; after, close the ports first */
let onStdoutGone = (): void => process.exit(1);
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (stdoutGone) return;
  stdoutGone = true;
  process.stderr.write(`dpkit-testpmd: stdout was closed (${err.code ?? err.message}); stopping forwarding, closing the ports and exiting\n`);
  onStdoutGone();
});
const out = (text: string) => {
  if (!stdoutGone) process.stdout.write(text + '\n');
};

/**
 * The emulated 82599's bifurc provider, from @dpkit/sim-82599 when it is installed (an optional
 * peer dependency: the emulator and its native engine are not part of every install). Not
 * installed: none, silently. Installed but failing to load: one line on stderr, and none.
 */
async function emulatedNicProviders(): Promise<readonly DraProvider[]> {
  const name = '@dpkit/sim-82599';
  try {
    return (await import(name) as { providers: readonly DraProvider[] }).providers;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // the package itself is missing (not a module it imports): Node names this file as the
    // importer, on the message's first line (Node may add hints on the next)
    const line = errorLine(err);
    if (e.code === 'ERR_MODULE_NOT_FOUND' && line.includes(`'${name}'`) && line.endsWith(`imported from ${fileURLToPath(import.meta.url)}`)) return [];
    process.stderr.write(`dpkit-testpmd: ${name} is installed but does not load (${line}); emulated 82599 netdevs are not claimed: reinstall it, or uninstall it\n`);
    return [];
  }
}

async function main(argv: string[]): Promise<number> {
  const sep = argv.indexOf('--');
  // Parse the application's arguments first so that a typo there fails before any set-up.
  const params = parseTestpmdArgs(sep < 0 ? [] : argv.slice(sep + 1));
  if (params.help) {
    out('Usage: dpkit-testpmd [EAL options] -- [testpmd options]\n\n' + testpmdUsage());
    return 0;
  }
  const b = bifurc({ providers: await emulatedNicProviders() });
  // built in; drivers loaded with -d come first (an equal id row of a -d driver wins)
  const eal = await Eal.init(sep < 0 ? argv : argv.slice(0, sep), {
    drivers: [nullDriver, ringDriver, ...afXdpDrivers, afPacketDriver, ...ixgbeDrivers, ...b.drivers], buses: [b.bus], program: 'dpkit-testpmd',
  });
  if (!eal) {
    out('\n' + testpmdUsage());
    return 0;
  }
  let app: Testpmd | undefined;
  let quitting: Promise<void> | undefined;
  const quit = async () => {
    quitting ??= (async () => {
      if (app) await app.shutdown();
      await eal.cleanup();
    })();
    return quitting;
  };
  onStdoutGone = () => void quit().finally(() => process.exit(1));
  try {
    app = new Testpmd(eal, params, out);
    // as DPDK's parameter parsing prints them (the values are checked by now): after the EAL's
    // lines, before the pool and the ports
    for (const line of params.notices) out(line);
    await app.init();
    await app.checkLinks();
    if (params.cmdlineFile !== undefined) await runCommandFile(app, params.cmdlineFile, out);
    if (params.interactive) {
      const onSignal = () => void quit().then(() => process.exit(0));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      if (params.autoStart) {
        out('Start automatic packet forwarding');
        await app.start(params.txFirst ? 1 : 0);
      }
      await interactive(app, out);
    } else {
      out('No commandline core given, start packet forwarding');
      // a forwarding lcore that throws stops forwarding (lcoreFailed): the run ends, exit 1;
      // set before start, which may already report one
      let failure: string | undefined;
      let ended: (() => void) | undefined;
      app.onForwardingFailed = (error) => {
        failure = error;
        ended?.();
      };
      await app.start(params.txFirst ? 1 : 0);
      await new Promise<void>((resolve) => {
        ended = () => done();
        const done = (sig?: string) => {
          if (sig) out(`\nSignal ${sig === 'SIGINT' ? 2 : 15} received, preparing to exit...`);
          clearInterval(timer);
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          resolve();
        };
        const onInt = () => done('SIGINT');
        const onTerm = () => done('SIGTERM');
        process.on('SIGINT', onInt);
        process.on('SIGTERM', onTerm);
        const timer = params.statsPeriod > 0 ? setInterval(() => app!.showPeriodicStats(), params.statsPeriod * 1000) : undefined;
        if (failure !== undefined) return done();
        if (!params.statsPeriod) {
          out('Press enter to exit');
          process.stdin.once('data', () => done());
          process.stdin.once('end', () => done());
        }
      });
      process.stdin.pause();
      if (failure !== undefined) throw new DpkitError(failure);
    }
    await quit();
    return 0;
  } catch (err) {
    await quit().catch(() => undefined);
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`dpkit-testpmd: ${errorLine(err)}\n`);
    if (process.env.DPKIT_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
