const N = 4_000_000;
function t(name, fn) { fn(); const t0 = process.hrtime.bigint(); fn(); const ns = Number(process.hrtime.bigint() - t0) / N; console.log(name.padEnd(40), ns.toFixed(1), 'ns/op'); }
class Ring2 {
  constructor(cap) { this.capacity = cap; this.buf = Buffer.alloc(cap); this.startOffset = 0; this.endOffset = 0; this.head = 0; }
  write(bytes) {
    const n = bytes.length; if (n === 0) return;
    const cap = this.capacity;
    if (n >= cap) { this.buf.set(n === cap ? bytes : bytes.subarray(n - cap), 0); this.head = 0; }
    else { const room = cap - this.head;
      if (n < room) { this.buf.set(bytes, this.head); this.head += n; }
      else { if (n === room) this.buf.set(bytes, this.head); else { this.buf.set(bytes.subarray(0, room), this.head); this.buf.set(bytes.subarray(room), 0); } this.head = n - room; } }
    this.endOffset += n;
    if (this.endOffset - this.startOffset > cap) this.startOffset = this.endOffset - cap;
  }
  read(from, maxBytes) {
    const begin = from > this.startOffset ? from : this.startOffset;
    const end = this.endOffset;
    const stop = end < begin + maxBytes ? end : begin + maxBytes;
    if (!(stop > begin)) return [];
    const cap = this.capacity;
    let a = this.head - (end - begin); if (a < 0) a += cap;
    const len = stop - begin;
    if (a + len <= cap) return [this.buf.subarray(a, a + len)];
    return [this.buf.subarray(a, cap), this.buf.subarray(0, a + len - cap)];
  }
}
const chunk = Buffer.alloc(4096, 1);
let sink = 0;
const r = new Ring2(512*1024);
t('ring2.write', () => { for (let i = 0; i < N; i++) r.write(chunk); });
t('ring2.read', () => { for (let i = 0; i < N; i++) sink += r.read(r.endOffset - 4096, Infinity).length; });
t('ring2.write+read', () => { for (let i = 0; i < N; i++) { r.write(chunk); sink += r.read(r.endOffset - 4096, Infinity).length; } });
const d = Buffer.alloc(4096);
t('copy', () => { for (let i = 0; i < N; i++) sink += chunk.copy(d, 0); });
