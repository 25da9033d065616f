const N = 2_000_000;
function t(name, fn) { fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const big = Buffer.alloc(512 * 1024);
const chunk = Buffer.alloc(4096, 1);
const u8 = new Uint8Array(4096);
const M = 512*1024-1;
t('big.set(chunk, rotating)', () => { for (let i = 0; i < N; i++) big.set(chunk, (i * 4096) & M); });
t('chunk.copy(big, rotating)', () => { for (let i = 0; i < N; i++) chunk.copy(big, (i * 4096) & M); });
t('Buffer.prototype.copy.call(u8, big)', () => { const cp = Buffer.prototype.copy; for (let i = 0; i < N; i++) cp.call(u8, big, (i * 4096) & M); });
t('big.set(chunk, 0)', () => { for (let i = 0; i < N; i++) big.set(chunk, 0); });
t('chunk.copy(big, 0)', () => { for (let i = 0; i < N; i++) chunk.copy(big, 0); });
const small = Buffer.alloc(4096);
t('chunk.copy(small4k, 0)', () => { for (let i = 0; i < N; i++) chunk.copy(small, 0); });
t('small.set(chunk, 0)', () => { for (let i = 0; i < N; i++) small.set(chunk, 0); });
