import test from 'ava';
import { defineParams, paramString, parseDevargs, parseParams } from '../devargs/kvargs.js';
import { DpkitError } from '../errors.js';

const schema = defineParams({
  size: { type: 'int', default: 64, min: 1, max: 9000 },
  copy: { type: 'bool', default: false },
  iface: { type: 'string' },
  mode: { type: 'string', choices: ['drv', 'skb'] },
  mac: { type: 'mac' },
});

test('devargs split into bus, name and arguments', (t) => {
  t.deepEqual(parseDevargs('net_null0,size=128'), { bus: undefined, name: 'net_null0', args: 'size=128', text: 'net_null0,size=128' });
  t.is(parseDevargs('vdev:net_ring0').bus, 'vdev');
  t.is(parseDevargs('0000:03:00.0,x=1').name, '0000:03:00.0');
  t.is(parseDevargs('0000:03:00.0').bus, undefined);
  t.is(parseDevargs('net_x0,list=[1,2],a=b').args, 'list=[1,2],a=b');
  t.throws(() => parseDevargs(',size=1'), { instanceOf: DpkitError, message: /expected \[bus:\]name/ });
});

test('parameters are typed, defaulted and shown as DPDK parameter strings', (t) => {
  const v = parseParams('net_x', schema, 'size=0x80,copy=1,iface=eth0,mac=02:00:00:00:00:0A');
  t.is(v.size, 128);
  t.is(parseParams('net_x', defineParams({ n: { type: 'int' } }), 'n=-0x10').n, -16, 'a negative hexadecimal keeps its sign');
  t.is(parseParams('net_x', defineParams({ n: { type: 'int' } }), 'n=-16').n, -16);
  t.is(parseParams('net_x', defineParams({ n: { type: 'int' } }), 'n=0X1f').n, 31);
  t.is(v.copy, true);
  t.is(v.iface, 'eth0');
  t.is(v.mac, '02:00:00:00:00:0a');
  t.is(parseParams('net_x', schema, '').size, 64);
  t.is(paramString(schema), 'size=<int> copy=<0|1> iface=<string> mode=drv|skb mac=<mac>');
});

test('bad devargs name the driver and the key', (t) => {
  const bad = (args: string, re: RegExp) => {
    const e = t.throws(() => parseParams('net_x', schema, args), { instanceOf: DpkitError });
    t.regex(e!.message, re);
  };
  bad('sise=1', /net_x: unknown devarg 'sise' \(valid: size, copy, iface, mode, mac\)/);
  bad('size=abc', /net_x: devarg size='abc' is not valid: expected an integer/);
  bad('size=0', /expected an integer >= 1/);
  bad('copy=2', /expected 0 or 1/);
  bad('size=1,size=2', /net_x: devarg 'size' is given twice/);
  bad('mode=xdp', /expected one of drv, skb/);
  bad('mac=zz', /expected a MAC address/);
  bad('=1', /empty devarg/);
});
