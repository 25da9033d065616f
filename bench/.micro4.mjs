import { Ring } from '../dist/core/ring.js';
import { Hub } from '../dist/core/hub.js';
const N = 2_000_000;
function t(name, fn) { fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const r1 = new Ring(512*1024);
t('ring.write small offsets', () => { for (let i = 0; i < N; i++) r1.write(chunk); });
console.log('end', r1.end, r1.end > 2**30);
t('ring.write past 2^30', () => { for (let i = 0; i < N; i++) r1.write(chunk); });
t('ring.read past 2^30', () => { for (let i = 0; i < N; i++) sink += r1.read(r1.end - 4096, 4096).length; });
const hub = new Hub(0); const o = hub.addOutput('a');
t('hub.write+take (< 8 GiB)', () => { for (let i = 0; i < N; i++) { hub.write(chunk); sink += hub.take(o, Infinity).chunks.length; } });
t('hub.write+take (later)', () => { for (let i = 0; i < N; i++) { hub.write(chunk); sink += hub.take(o, Infinity).chunks.length; } });
