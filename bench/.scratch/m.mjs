const which = process.argv[2] ?? './hub.js';
const { Hub } = await import(which);
const N = 4_000_000;
function t(name, fn) { fn(); fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const hub = new Hub(0); const o = hub.addOutput('a');
t('hub.write 4K', () => { for (let i = 0; i < N; i++) hub.write(chunk); });
t('hub.take', () => { for (let i = 0; i < N; i++) { sink += hub.take(o, 4096).chunks.length; } });
t('hub.write+take 4K', () => { for (let i = 0; i < N; i++) { hub.write(chunk); sink += hub.take(o, Infinity).chunks.length; } });
const hub10 = new Hub(0); const os = []; for (let i = 0; i < 10; i++) os.push(hub10.addOutput('a'));
t('hub.write+10 take 4K', () => { for (let i = 0; i < N / 10; i++) { hub10.write(chunk); for (const x of os) sink += hub10.take(x, Infinity).chunks.length; } });
