// marks.ts — a hub's ends of stream: marks at offsets, and which reader is owed which.
//
// An end is a mark at the offset where the stream ended. Marks are numbered
// in the order made, and a reader is owed the marks from a number on: those
// made before it joined (bar the end of a stream that has ended as it joins)
// or already seen are not its. A stream may end twice at one offset (a
// reopened stream that ends with nothing written): the numbers tell the two
// ends apart where the offsets cannot.
//
// Not here: the bytes, the readers' positions, when a stream ends (hub.ts).

export interface EndMark {
  at: number;
  n: number;
}

/** What a mark needs to know of a reader: where it is, and the first mark it is owed. */
export interface Owed {
  pos: number;
  firstMark: number;
}

export class EndMarks {
  private marks: EndMark[] = [];
  private made = 0;

  get isEmpty(): boolean {
    return this.marks.length === 0;
  }

  /** The first mark a reader joining now is owed: with the stream ended, its end; else the next made. */
  firstFor(isEnded: boolean): number {
    return isEnded ? this.made - 1 : this.made;
  }

  /** The stream ends at `at`. */
  add(at: number): void {
    this.marks.push({ at, n: this.made++ });
  }

  /** The first mark at or after pos owed to a reader whose first owed mark is firstMark. */
  next(firstMark: number, pos: number): EndMark | undefined {
    for (const m of this.marks) if (m.at >= pos && m.n >= firstMark) return m;
    return undefined;
  }

  /** Forget the marks no reader is owed any more (the stream starts again). */
  keepOwed(readers: Iterable<Owed>): void {
    const all = [...readers];
    this.marks = this.marks.filter((m) => all.some((r) => m.at >= r.pos && m.n >= r.firstMark));
  }
}
