// checked.ts — a framed reader of hub 1 that checks every chunk against the
// stream it should be, at the offset its data and gaps put it: any byte
// wrong, out of place or counted twice shows as \`bad\`.

import type { Client } from '../../src/client/client.js';

/** A framed reader of hub 1 that checks every chunk against the stream as it comes. */
export interface Checked {
  pos: number;
  received: number;
  lost: number;
  gaps: number;
  bad: string | null;
  afterData: (() => void) | null;
}

export function checkedReader(client: Client, stream: Buffer): Checked {
  const r: Checked = { pos: 0, received: 0, lost: 0, gaps: 0, bad: null, afterData: null };
  client.on({
    data: (hub, bytes) => {
      if (hub !== 1 || r.bad) return;
      if (!stream.subarray(r.pos, r.pos + bytes.length).equals(bytes)) r.bad = `chunk of ${bytes.length} at offset ${r.pos} is not the stream there`;
      r.pos += bytes.length;
      r.received += bytes.length;
      r.afterData?.();
    },
    gap: (hub, lost) => {
      if (hub !== 1) return;
      r.gaps++;
      r.lost += lost;
      r.pos += lost;
    },
  });
  return r;
}
