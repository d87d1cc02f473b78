/** Injection tokens of the EAL's container, named after their interfaces. */
export const Tokens = {
  Eal: Symbol.for('@dpkit/eal:Eal'),
  EalOptions: Symbol.for('@dpkit/eal:EalOptions'),
  DriverRegistry: Symbol.for('@dpkit/eal:DriverRegistry'),
  BusRegistry: Symbol.for('@dpkit/eal:BusRegistry'),
  EthDevRegistry: Symbol.for('@dpkit/eal:EthDevRegistry'),
  MemoryManager: Symbol.for('@dpkit/eal:MemoryManager'),
  LcoreManager: Symbol.for('@dpkit/eal:LcoreManager'),
  LogRegistry: Symbol.for('@dpkit/eal:LogRegistry'),
} as const;
