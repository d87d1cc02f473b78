/**
 * The main lcore's side of watching the streams' queues: the verbose level (`set verbose N`,
 * seen by the forwarding lcores at their next burst) and the packet capture server that
 * dpkit-dumpcap attaches to (as DPDK's testpmd calls rte_pdump_init at start).
 */
import { errorLine, logs, type Eal } from '@dpkit/eal';
import { hasLinux } from '@dpkit/eal/linux';
import { Pdump } from '@dpkit/eal/pdump';
import { verboseWords, type ObserveConfig } from './fwd/observe.js';

export class Observers {
  /** DPDK's verbose_level */
  level = 0;
  private readonly words: Int32Array;

  private constructor(private readonly verbose: SharedArrayBuffer, private readonly pdump: Pdump | undefined) {
    this.words = new Int32Array(verbose);
  }

  /** Starts the capture server when the Linux addon is there (without it, no capture: logged). */
  static async init(eal: Eal): Promise<Observers> {
    let pdump: Pdump | undefined;
    if (hasLinux()) {
      try {
        pdump = await Pdump.init({ filePrefix: eal.options.filePrefix, ethdevs: eal.ethdevs, lcores: eal.lcores.ids() });
      } catch (err) {
        logs.register('testpmd', 6).warn(`packet capture unavailable: ${errorLine(err)}`);
      }
    }
    return new Observers(new SharedArrayBuffer(8), pdump);
  }

  /** What each stream is built with. */
  config(): ObserveConfig {
    return { verbose: this.verbose, pdump: this.pdump?.descriptor() };
  }

  /** set verbose N (set_verbose_level): effective on the forwarding lcores at once. */
  setVerbose(level: number): string {
    const line = `Change verbose level from ${this.level} to ${level}`;
    this.level = level;
    const [rx, tx] = verboseWords(level);
    Atomics.store(this.words, 0, rx);
    Atomics.store(this.words, 1, tx);
    return line;
  }

  close(): void {
    this.pdump?.close();
  }
}
