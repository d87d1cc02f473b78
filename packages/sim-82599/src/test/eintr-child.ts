// A client of the control channel whose calls signals interrupt, for eintr.test.ts:
//   node eintr-child.js NAME REQUEST   with a SIGUSR2 listener installed (so the signal
//                                       interrupts system calls instead of ending the process),
//                                       sends REQUEST on channel NAME and prints the reply, or
//                                       the error's code and message
import { ChannelClient } from '../client.js';

const [name, request] = process.argv.slice(2) as [string, string];
process.on('SIGUSR2', () => undefined);
const say = (s: string) => process.stdout.write(`${s}\n`);
const ch = ChannelClient.connect('', name);
try {
  const reply = ch.request(request, [], 30_000);
  say(`${reply.ok ? 'ok' : 'error'} ${reply.text}`);
} catch (err) {
  say(`failed ${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`);
}
ch.close();
