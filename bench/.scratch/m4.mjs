const [which, mode] = process.argv.slice(2);
const { Hub } = await import(which);
const N = 4_000_000;
function t(name, fn) { fn(); fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(which, name.padEnd(30), ns.toFixed(1), 'ns/op'); }
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const hub = new Hub(0); const o = hub.addOutput('a');
if (mode === '1') t('hub.write+take 4K', () => { for (let i = 0; i < N; i++) { hub.write(chunk); const c = hub.take(o, Infinity).chunks; for (let j = 0; j < c.length; j++) sink += c[j].length; } });
const hub10 = new Hub(0); const os = []; for (let i = 0; i < 10; i++) os.push(hub10.addOutput('a'));
if (mode === '10') t('hub.write+10 take 4K (per write)', () => { for (let i = 0; i < N / 10; i++) { hub10.write(chunk); for (let k = 0; k < os.length; k++) { const c = hub10.take(os[k], Infinity).chunks; for (let j = 0; j < c.length; j++) sink += c[j].length; } } });
const d = Buffer.alloc(4096);
if (mode === 'c') t('copy', () => { for (let i = 0; i < N; i++) sink += chunk.copy(d, 0); });
