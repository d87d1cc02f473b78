/**
 * @dpkit/eal/linux — the Linux kernel layer for drivers and tools: the addon's status, BPF
 * (assembler, maps, XDP load/attach, test runs), AF_XDP sockets and rings, and a veth/netns
 * helper for tests. Everything here needs the Linux addon (prebuilt for linux-x64, or built from source) and, to act on
 * real netdevs, root or CAP_NET_ADMIN/CAP_BPF.
 */
export { hasLinux, linux, kernelError, type LinuxBinding, type PacketRingOptions, type RingMapping, type XskStatistics } from './linux/native.js';
export {
  AluOp, AttachType, BpfAsm, BpfMap, FP, Helper, JmpOp, MapType, MapUpdate, ProgType, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9,
  XdpAction, XdpFlags, XdpMd, attachXdp, loadXdpProgram, testRun, type Reg, type Size,
} from './linux/bpf.js';
export {
  XDP_RING_NEED_WAKEUP, XdpBind, XskRing, openXsk, xskMapClear, xskMapSet, xskRedirect, xskRedirectProgram,
  type RingName, type XskOpenOptions, type XskRingSizes,
} from './linux/xsk.js';
export { canMakeNetns, removeStaleNetns, testNetns, withVethPair, type VethPair } from './linux/netns.js';
export { netdevQueueCount, netdevSpeed } from './linux/sysfs.js';
export {
  IFF_ALLMULTI, IFF_PROMISC, IFF_RUNNING, IFF_UP, netdevModes, netdevModesApply, netdevModesRestore, netdevOpen, netdevPortOps, netdevRunning, type NetdevIdentity,
} from './linux/netdev.js';
export {
  ETH_FLAG_NTUPLE, FLOW_EXT, RX_CLS_LOC_ANY, RX_CLS_LOC_SPECIAL, RxFlowType, RxnfcCmd, checkRxnfcLayout, decodeRxnfc, encodeRxnfc,
  ethtoolNtupleOn, ethtoolRuleCount, ethtoolRuleDelete, ethtoolRuleGet, ethtoolRuleInsert, ethtoolRssQueues, ethtoolRuleLocations, ethtoolRxRings,
  rxFlowTypeKnown, type RxFlowAction, type RxFlowSpec,
} from './linux/ethtool.js';
export { waitReadable, type ReadableWait } from './linux/poll.js';
