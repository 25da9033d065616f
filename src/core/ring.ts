// ring.ts — a fixed-size byte ring addressed by absolute stream offsets.
//
// Offsets count every byte ever written (a Number is exact to 2^53, which at
// 10 GiB/s lasts ten days short of ten years). The ring holds the bytes in
// [start, end); end - start never exceeds the capacity. A byte's offset never
// changes meaning: once written, [a, b) is either held unchanged or gone.
//
// No readers, no pacing, no I/O here: that is hub.ts.

export class Ring {
  readonly capacity: number;
  private readonly buf: Buffer;
  private startOffset = 0;
  private endOffset = 0;
  /** Where endOffset falls in buf (endOffset % capacity, kept without a `%` per call). */
  private head = 0;

  constructor(capacityBytes: number) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 1) {
      throw new RangeError(`io: ring capacity: ${capacityBytes} is not a positive integer`);
    }
    this.capacity = capacityBytes;
    this.buf = Buffer.alloc(capacityBytes);
  }

  /** Oldest absolute offset still held. */
  get start(): number {
    return this.startOffset;
  }

  /** One past the newest byte. */
  get end(): number {
    return this.endOffset;
  }

  /** Bytes held now. */
  get size(): number {
    return this.endOffset - this.startOffset;
  }

  /** Append bytes, dropping the oldest as needed. A write larger than the ring keeps its tail. */
  write(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    const cap = this.capacity;
    let src = bytes;
    let at = this.head;
    if (n > cap) {
      src = bytes.subarray(n - cap);
      at = (at + (n - cap)) % cap;
    }
    const first = cap - at;
    if (src.length <= first) {
      this.buf.set(src, at);
    } else {
      this.buf.set(src.subarray(0, first), at);
      this.buf.set(src.subarray(first), 0);
    }
    at += src.length;
    this.head = at >= cap ? at - cap : at;
    this.endOffset += n;
    if (this.endOffset - this.startOffset > cap) this.startOffset = this.endOffset - cap;
  }

  /**
   * Up to maxBytes from offset `from` (clamped to start), as 0–2 views into
   * the ring: no copy. A view is valid until the next write overwrites it.
   */
  read(from: number, maxBytes: number): Buffer[] {
    const begin = Math.max(from, this.startOffset);
    const stop = Math.min(this.endOffset, begin + maxBytes);
    if (!(stop > begin)) return []; // also when maxBytes is NaN
    const cap = this.capacity;
    // begin is within a ring of the end, so its place is head stepped back.
    let a = this.head - (this.endOffset - begin);
    if (a < 0) a += cap;
    const len = stop - begin;
    if (a + len <= cap) return [this.buf.subarray(a, a + len)];
    return [this.buf.subarray(a, cap), this.buf.subarray(0, a + len - cap)];
  }

  /** Drop everything held; offsets go on from where they were. */
  clear(): void {
    this.startOffset = this.endOffset;
  }
}
