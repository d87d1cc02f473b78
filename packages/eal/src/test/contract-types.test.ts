/**
 * The driver contract's type-level test: type-tests/ (a project that imports @dpkit/eal and
 * @dpkit/eal/driver by name, as a driver and an application do, from the built .d.ts) must
 * compile with no error. Its expectTypeOf lines check what drivers get; each
 * `@ts-expect-error` line is a way of breaking the contract (setup data the fast path does not
 * take, a fast path reading a field setup does not return, ops needing more private state than
 * the port has, an application reaching `priv`...) that must stay a compile error: when the
 * contract loosens, the directive is unused and this test fails, naming the line.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const dir = fileURLToPath(new URL('../../type-tests/', import.meta.url));

/**
 * The diagnostics of the project in `dir` (or of `only`, files given by name and text, with
 * its options), one `file:line: message` each.
 */
function check(only: Record<string, string> = {}): string[] {
  const configPath = `${dir}tsconfig.json`;
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error) return [ts.flattenDiagnosticMessageText(read.error.messageText, '\n')];
  const config = ts.parseJsonConfigFileContent(read.config, ts.sys, dir);
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const extra = new Map(Object.entries(only).map(([name, text]) => [`${dir}${name}`, text]));
  host.readFile = (p) => extra.get(p) ?? readFile(p);
  host.fileExists = (p) => extra.has(p) || fileExists(p);
  const program = ts.createProgram(extra.size ? [...extra.keys()] : config.fileNames, config.options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName.replace(dir, '')}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return where + ts.flattenDiagnosticMessageText(d.messageText, ' ');
  });
}

test('the driver contract type-checks: what must compile does, every break is a compile error', (t) => {
  const fixture = readFileSync(`${dir}contract.ts`, 'utf8');
  // the fixture's breaks are there (a fixture emptied by mistake would pass)
  t.true((fixture.match(/@ts-expect-error/g) ?? []).length >= 12, 'the fixture names at least 12 ways to break the contract');
  t.deepEqual(check(), []);
});

test('the check reports errors: a driver whose setup returns the wrong data fails it, with its line', (t) => {
  const broken = [
    "import type { EthDevOps, ProbeContext, Device, QueueDescriptor, RxQueue } from '@dpkit/eal/driver';",
    'declare const ctx: ProbeContext; declare const device: Device; declare const ops: EthDevOps<null, string, string>;',
    'const impl = { createRxQueue: (d: QueueDescriptor<number>): RxQueue => ({ rxBurst: () => d.data }), createTxQueue: (d: QueueDescriptor<string>) => ({ txBurst: () => d.data.length }) };',
    "ctx.ethdev.allocate({ name: 'x', device, driver: 'x', priv: null, ops, fastPath: { module: '', impl } });",
  ].join('\n');
  const out = check({ 'broken.ts': broken });
  t.true(out.length > 0 && out.every((l) => l.startsWith('broken.ts:4: ')), out.join('\n'));
});
