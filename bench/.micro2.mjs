const N = 4_000_000;
function t(name, fn) { fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
const big = Buffer.alloc(512 * 1024); const ab = big.buffer; const off = big.byteOffset;
let sink = 0;
t('buf.subarray', () => { for (let i = 0; i < N; i++) sink += big.subarray(i & 1023, 4096 + (i & 1023)).length; });
t('buf.slice', () => { for (let i = 0; i < N; i++) sink += big.slice(i & 1023, 4096 + (i & 1023)).length; });
t('Buffer.from(ab,off,len)', () => { for (let i = 0; i < N; i++) sink += Buffer.from(ab, off + (i & 1023), 4096).length; });
const FB = Object.getPrototypeOf(Buffer.alloc(1)).constructor; // Buffer
const Fast = big.subarray(0,1).constructor;
console.log(Fast.name, Fast === Buffer);
t('[view]', () => { for (let i = 0; i < N; i++) sink += [big.subarray(i & 1023, 4096 + (i & 1023))].length; });
console.log(sink > 0);
