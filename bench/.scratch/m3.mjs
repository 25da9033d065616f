const N = 4_000_000;
const mode = process.argv[2];
function t(name, fn) { fn(); fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const big = Buffer.alloc(512*1024);
if (mode === 'a') t('set+subarray', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); sink += big.subarray(at, at + 4096).length; } });
if (mode === 'b') t('set+[subarray]', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); sink += [big.subarray(at, at + 4096)].length; } });
const keep = [];
if (mode === 'c') t('set+subarray kept 1', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); keep[0] = big.subarray(at, at + 4096); } });
if (mode === 'd') t('set+[subarray] kept', () => { for (let i = 0; i < N; i++) { const at = (i * 4096) & (512*1024-1); big.set(chunk, at); keep[0] = [big.subarray(at, at + 4096)]; } });
const { Ring } = await import('./ring.js');
const r = new Ring(512*1024);
if (mode === 'e') t('ring.write+read', () => { for (let i = 0; i < N; i++) { r.write(chunk); sink += r.read(r.end - 4096, 4096).length; } });
if (mode === 'f') t('ring.write+read kept', () => { for (let i = 0; i < N; i++) { r.write(chunk); keep[0] = r.read(r.end - 4096, 4096); } });
