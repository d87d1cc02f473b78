/**
 * The Linux binding is declared by hand (`LinuxBinding`, exported by `@dpkit/eal/linux`) and
 * implemented in C++ (native/*.cc, `exports.Set(...)`). The two must name the same functions:
 * a declared name the addon lacks fails only when called, deep in a driver; an export that is
 * not declared is unreachable without a cast. Read from the published declaration
 * (dist/linux.d.ts) with the TypeScript checker, and from the real addon as loaded.
 */
import test from 'ava';
import { join } from 'node:path';
import ts from 'typescript';
import { ealPackageDir } from '../instance.js';
import { linux } from '../linux/native.js';

/** The property names of the type `name` exported by the declaration file `entry`. */
function declaredMembers(entry: string, name: string): string[] {
  const program = ts.createProgram([entry], { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(entry);
  if (!file) throw new Error(`${entry} not found: build @dpkit/eal first`);
  const moduleSymbol = checker.getSymbolAtLocation(file);
  const exported = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
  if (!exported) throw new Error(`${entry} exports no ${name}`);
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  return checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target)).map((p) => p.name).sort();
}

test('the declared LinuxBinding and the addon export the same names, all functions', (t) => {
  const declared = declaredMembers(join(ealPackageDir, 'dist', 'linux.d.ts'), 'LinuxBinding');
  const addon = linux('the binding test') as unknown as Record<string, unknown>;
  const exported = Object.keys(addon).sort();
  t.true(declared.length > 30, `LinuxBinding read as ${declared.length} members`);
  t.deepEqual(declared.filter((n) => !exported.includes(n)), [], 'declared in LinuxBinding but not exported by the addon');
  t.deepEqual(exported.filter((n) => !declared.includes(n)), [], 'exported by the addon but not declared in LinuxBinding');
  t.deepEqual(exported.filter((n) => typeof addon[n] !== 'function'), [], 'exports that are not functions');
});
