const { Ring } = await import('./ring.js');
const N = 4_000_000;
function t(name, fn) { fn(); fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const r = new Ring(512*1024);
t('ring.write', () => { for (let i = 0; i < N; i++) r.write(chunk); });
t('ring.read', () => { for (let i = 0; i < N; i++) sink += r.read(r.end - 4096, 4096).length; });
t('ring.write+read', () => { for (let i = 0; i < N; i++) { r.write(chunk); sink += r.read(r.end - 4096, 4096).length; } });
const big = Buffer.alloc(512*1024);
t('set+subarray', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); sink += big.subarray(at, at + 4096).length; } });
t('set', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); } });
t('subarray', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); sink += big.subarray(at, at + 4096).length; } });
