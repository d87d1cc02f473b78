/**
 * Errors a user can cause (bad arguments, devargs, flow rules, missing privileges or kernel
 * features) are `DpkitError`s: their message is one line that names what is wrong and how to
 * fix it. Applications print `error.message` and exit non-zero; they never print a stack.
 */
export class DpkitError extends Error {
  /** errno-style code, as DPDK's functions return them negated (EINVAL, ENODEV, EBUSY...) */
  readonly code: string;

  constructor(message: string, code = 'EINVAL') {
    super(message);
    this.name = 'DpkitError';
    this.code = code;
  }
}

/** One line for any thrown value: a DpkitError's message, or the first line of anything else. */
export function errorLine(err: unknown): string {
  if (err instanceof Error) return (err.message.split('\n')[0] ?? '') || err.name;
  return String(err).split('\n')[0] ?? '';
}

/** Throws a DpkitError when `cond` is false. */
export function check(cond: unknown, message: string, code = 'EINVAL'): asserts cond {
  if (!cond) throw new DpkitError(message, code);
}
