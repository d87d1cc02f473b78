/**
 * testpmd's interactive command line: the commands of DPDK testpmd that dpkit implements,
 * with line editing and history (node:readline). A command that fails prints one line and the
 * prompt comes back; nothing is lost.
 */
import { createInterface } from 'node:readline';
import { errorLine } from '@dpkit/eal';
import { DpdkAnswer, type Output, type Testpmd } from './testpmd.js';
import { engineNames } from './fwd/registry.js';
import { FLOW_HELP, flowCommand } from './flow.js';

export const PROMPT = 'testpmd> ';

const HELP_SECTIONS = `
Help is available for the following sections:

    help control                    : Start and stop forwarding.
    help display                    : Displaying port, stats and config information.
    help config                     : Configuration information.
    help ports                      : Configuring ports.
    help flow                       : Flow rules (rte_flow and ethtool ntuple).
    help all                        : All of the above sections.
`;

const HELP: Record<string, string> = {
  control: `
Control forwarding:
-------------------

start
    Start packet forwarding with current configuration.

start tx_first [N]
    Start packet forwarding with current configuration after sending N (default 1) bursts of packets.

stop
    Stop packet forwarding, and display accumulated statistics.

quit
    Quit to prompt.
`,
  display: `
Display:
--------

show port (info|stats|xstats) (port_id|all)
    Display information for port_id, or all.

show fwd stats all
    Display statistics for all fwd engines.

clear port stats (port_id|all)
    Clear statistics for port_id, or all.

show config fwd
    Display the forwarding configuration.
`,
  config: `
Configuration:
--------------

set fwd (${engineNames().join('|')})
    Set packet forwarding mode.

set burst (num)
    Set number of packets per burst.

set nbcore (num)
    Set number of cores.
`,
  flow: FLOW_HELP,
  ports: `
Port Operations:
----------------

port start (port_id|all)
    Start all ports or port_id.

port stop (port_id|all)
    Stop all ports or port_id.

port close (port_id|all)
    Close all ports or port_id.

port attach (identifier)
    Attach physical or virtual dev by pci address or virtual device name

port detach (port_id)
    Detach physical or virtual dev by port_id
`,
};

/** Runs one command line; returns false when the line asks to quit. */
export async function runCommand(app: Testpmd, line: string, out: Output): Promise<boolean> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const [a, b, c, d] = words;
  const want = (n: number) => {
    if (words.length !== n) throw new Error('Bad arguments');
  };
  switch (a) {
    case 'quit':
    case 'exit':
      return false;
    case 'help':
      if (!b) out(HELP_SECTIONS);
      else if (b === 'all') out(Object.values(HELP).join(''));
      else if (HELP[b]) out(HELP[b]!);
      else throw new Error('Bad arguments');
      return true;
    case 'start':
      if (!b) await app.start(0);
      else if (b === 'tx_first' && words.length <= 3) {
        const n = c === undefined ? 1 : Number(c);
        if (!Number.isInteger(n) || n < 1) throw new Error(`invalid tx_first count '${c}': expected a positive integer`);
        await app.start(n);
      } else throw new Error('Bad arguments');
      return true;
    case 'stop':
      want(1);
      await app.stop();
      return true;
    case 'show':
      if (b === 'port' && c && d && words.length === 4) {
        if (c === 'info') await app.showPortInfo(d);
        else if (c === 'stats') app.showPortStats(d);
        else if (c === 'xstats') app.showPortXstats(d);
        else throw new Error('Bad arguments');
      } else if (b === 'config' && c === 'fwd' && words.length === 3) app.showConfigFwd();
      else if (b === 'fwd' && c === 'stats' && d === 'all' && words.length === 4) app.showFwdStats();
      else throw new Error('Bad arguments');
      return true;
    case 'clear':
      if (b === 'port' && c === 'stats' && d && words.length === 4) app.clearPortStats(d);
      else throw new Error('Bad arguments');
      return true;
    case 'set':
      want(3);
      if (b === 'fwd') app.setFwd(c!);
      else if (b === 'burst') app.setBurst(Number(c));
      else if (b === 'nbcore') app.setNbCore(Number(c));
      else throw new Error('Bad arguments');
      return true;
    case 'flow':
      flowCommand(app, words, out);
      return true;
    case 'port':
      if (words.length < 3) throw new Error('Bad arguments');
      if (b === 'attach') await app.portAttach(words.slice(2).join(' '));
      else if (words.length !== 3) throw new Error('Bad arguments');
      else if (b === 'start') await app.portStart(c!);
      else if (b === 'stop') await app.portStop(c!);
      else if (b === 'close') await app.portClose(c!);
      else if (b === 'detach') await app.portDetach(c!);
      else throw new Error('Bad arguments');
      return true;
    default:
      throw new Error('Command not found');
  }
}

/** The prompt loop. Resolves when the user quits or input ends. */
export async function interactive(app: Testpmd, out: Output): Promise<void> {
  const tty = !!process.stdin.isTTY;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, prompt: PROMPT, historySize: 1000, terminal: tty });
  // a forwarding lcore that failed printed its line and the statistics meanwhile: prompt again
  if (tty) app.onForwardingFailed = () => rl.prompt();
  if (tty) rl.prompt();
  else process.stdout.write(PROMPT);
  try {
    for await (const line of rl) {
      // DPDK's command line echoes what it reads; readline does only on a terminal
      if (!tty) process.stdout.write(`${line}\n`);
      let more = true;
      try {
        more = await runCommand(app, line, out);
      } catch (err) {
        // DPDK's own answer may be several lines; any other failure is one line
        out(err instanceof DpdkAnswer ? err.message : errorLine(err));
      }
      if (!more) break;
      if (tty) rl.prompt();
      else process.stdout.write(PROMPT);
    }
  } finally {
    rl.close();
  }
}
