/**
 * Injection tokens of the EAL's container (eal.ts, the composition root), named after their
 * interfaces. Each is registered by Eal.init and injected somewhere: the registries and the
 * memory manager into the DeviceManager, the Linux binding into the lcore manager (an
 * application or a test may give its own: `Eal.init(argv, { linux })`). Internal: not exported.
 */
export const Tokens = {
  DriverRegistry: Symbol.for('@dpkit/eal:DriverRegistry'),
  BusRegistry: Symbol.for('@dpkit/eal:BusRegistry'),
  EthDevRegistry: Symbol.for('@dpkit/eal:EthDevRegistry'),
  MemoryManager: Symbol.for('@dpkit/eal:MemoryManager'),
  LinuxBinding: Symbol.for('@dpkit/eal:LinuxBinding'),
} as const;
