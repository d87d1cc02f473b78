/**
 * The user-space side of the control channel (see channel.ts): connect to device IFNAME in
 * this network namespace, send a request, get the reply and any file descriptors. Synchronous
 * (control path only), with a time bound per request.
 */
import { channelName } from './channel.js';
import { simNative } from './native.js';

export interface Reply {
  ok: boolean;
  /** the reply without its leading "ok " / "error " */
  text: string;
  fds: number[];
}

export class ChannelClient {
  private constructor(private readonly fd: number) {}

  /** Connects to the device whose kernel interface is IFNAME (or to a channel `name`). */
  static connect(ifname: string, name = channelName(ifname)): ChannelClient {
    return new ChannelClient(simNative().channelConnect(name));
  }

  request(text: string, fds: number[] = [], timeoutMs = 5000): Reply {
    const r = simNative().channelRequest(this.fd, text, fds, timeoutMs);
    const ok = r.text === 'ok' || r.text.startsWith('ok ');
    return { ok, text: r.text.replace(/^(ok|error)\s?/, ''), fds: r.fds };
  }

  close(): void {
    simNative().channelDisconnect(this.fd);
  }
}
