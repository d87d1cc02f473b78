/**
 * The driver contract, checked by the compiler: what must compile does (the expectTypeOf
 * lines), and each way of breaking the contract is a compile error (the lines after each
 * `@ts-expect-error`; an error that no longer happens fails the check as an unused
 * directive). Run by src/test/contract-types.test.ts.
 */
import { expectTypeOf } from 'expect-type';
import type { EthDev, EthLink } from '@dpkit/eal';
import {
  defineParams, removePorts, type Device, type DriverPort, type ParamValues, type EthDevAllocator, type EthDevOps, type ProbeContext, type QueueDescriptor,
  type RemoveContext, type RxQueue, type TxQueue,
} from '@dpkit/eal/driver';

interface Priv {
  label: string;
}
/** what rx queue setup returns and the fast path's createRxQueue reads */
interface RxData {
  size: number;
}
interface TxData {
  ring: string;
}

const LINK: EthLink = { speed: 1000, duplex: 'full', autoneg: false, up: true };
const idle: RxQueue & TxQueue = { rxBurst: () => 0, txBurst: () => 0 };

const ops: EthDevOps<Priv, RxData, TxData> = {
  infoGet: () => ({ maxRxQueues: 1, maxTxQueues: 1 }),
  configure: () => undefined,
  start: () => undefined,
  stop: () => undefined,
  close: () => undefined,
  rxQueueSetup: (port) => ({ size: port.priv.label.length }),
  txQueueSetup: (port) => ({ ring: port.priv.label }),
  linkUpdate: (port) => ({ ...LINK, up: port.started }),
};

const fastPath = {
  createRxQueue(d: QueueDescriptor<RxData>): RxQueue {
    expectTypeOf(d.data).toEqualTypeOf<RxData>();
    return idle;
  },
  createTxQueue(d: QueueDescriptor<TxData>): TxQueue {
    expectTypeOf(d.data).toEqualTypeOf<TxData>();
    return idle;
  },
};

declare const ctx: ProbeContext;
declare const device: Device;
const base = { name: 'p0', device, driver: 'net_typed', priv: { label: 'a' } };

// the contract as a driver uses it, with no cast: the ops receive the driver's port, and
// allocate returns it typed by the private state
expectTypeOf<Parameters<typeof ops.start>[0]>().toEqualTypeOf<DriverPort<Priv>>();
const port = ctx.ethdev.allocate({ ...base, ops, fastPath: { module: 'file:///fastpath.js', impl: fastPath } });
expectTypeOf(port).toEqualTypeOf<DriverPort<Priv>>();
expectTypeOf(port.priv).toEqualTypeOf<Priv>();
expectTypeOf(ctx.ethdev).toEqualTypeOf<EthDevAllocator>();
expectTypeOf(removePorts).toEqualTypeOf<(dev: Device, ctx: RemoveContext) => Promise<void>>();

// what a driver may set on its port, and what only ethdev sets
port.mac = new Uint8Array(6);
port.mtu = 9000;
port.promiscuous = true;
port.allMulticast = true;
port.setLink({ ...LINK, up: false });
// @ts-expect-error ethdev records that the port started, after the driver's start op
port.started = true;
// @ts-expect-error the queue counts are the application's configure
port.nbRxQueues = 2;
// @ts-expect-error the link changes through setLink, which raises the event
port.link = LINK;

// rx queue setup returns a data type that is not what the fast path receives
const wrongRxData: EthDevOps<Priv, { size: string }, TxData> = { ...ops, rxQueueSetup: () => ({ size: 'big' }) };
// @ts-expect-error createRxQueue takes QueueDescriptor<RxData>, setup returns { size: string }
ctx.ethdev.allocate({ ...base, ops: wrongRxData, fastPath: { module: 'file:///fastpath.js', impl: fastPath } });

// tx likewise
const wrongTxData: EthDevOps<Priv, RxData, number> = { ...ops, txQueueSetup: () => 1 };
// @ts-expect-error createTxQueue takes QueueDescriptor<TxData>, setup returns number
ctx.ethdev.allocate({ ...base, ops: wrongTxData, fastPath: { module: 'file:///fastpath.js', impl: fastPath } });

// a fast path that reads a field setup does not return
const greedy = { ...fastPath, createRxQueue: (d: QueueDescriptor<RxData & { ring: number }>): RxQueue => (d.data.ring ? idle : idle) };
// @ts-expect-error createRxQueue reads `ring`, which rxQueueSetup does not return
ctx.ethdev.allocate({ ...base, ops, fastPath: { module: 'file:///fastpath.js', impl: greedy } });

// ops that read more private state than the port is given
const needsMore: EthDevOps<Priv & { extra: number }, RxData, TxData> = { ...ops, start: (p) => void p.priv.extra };
// @ts-expect-error the ops read priv.extra, the port's priv has no `extra`
ctx.ethdev.allocate({ ...base, ops: needsMore, fastPath: { module: 'file:///fastpath.js', impl: fastPath } });

// the application's port shows no driver state and changes only through its calls
declare const dev: EthDev;
expectTypeOf<EthDev>().not.toHaveProperty('priv');
expectTypeOf<EthDev>().not.toHaveProperty('ops');
expectTypeOf<EthDev>().not.toHaveProperty('fastPath');
expectTypeOf<EthDev>().not.toHaveProperty('setLink');
expectTypeOf(dev.mac).toEqualTypeOf<Uint8Array>();
// @ts-expect-error an application does not reach the driver's private state
void dev.priv;
// @ts-expect-error nor its ops table
void dev.ops;
// @ts-expect-error the MAC changes with macAddrSet (checked, then the driver's op)
dev.mac = new Uint8Array(6);
// @ts-expect-error a port starts with start()
dev.started = true;
// @ts-expect-error a port closes with close()
dev.closed = true;
// @ts-expect-error an application's EthDev is not the driver's port
ops.start(dev);

// devargs: a string with `choices` is typed as one of them, so a probe passes it on with no cast
const modeParams = defineParams({ mode: { type: 'string', default: 'drv', choices: ['drv', 'skb'] }, iface: { type: 'string' } });
declare const modeValues: ParamValues<typeof modeParams>;
expectTypeOf(modeValues.mode).toEqualTypeOf<'drv' | 'skb'>();
expectTypeOf(modeValues.iface).toEqualTypeOf<string | undefined>();
// @ts-expect-error a value outside the choices is not one of them
const badMode: typeof modeValues.mode = 'native';
void badMode;
