// overlay.test.ts — PromptOverlay: output held while the io: prompt is open,
// shown when it closes, and shown past its bound with the prompt drawn again.
// `show` hands an item back to hold(), as the shell's onData does.

import { describe, expect, it } from 'vitest';
import { PROMPT_OPEN } from '../../src/core/prompt.js';
import { PromptOverlay, type Held } from '../../src/shell/overlay.js';

/** Open the prompt and run a line at it: the overlay goes on holding (paused) with no prompt open. */
function runLine(o: PromptOverlay): void {
  o.open();
  o.feed(Buffer.from('status\r'));
}

function overlay(maxHeldBytes: number): { o: PromptOverlay; screen: () => string } {
  let screen = '';
  const o: PromptOverlay = new PromptOverlay(
    (text) => (screen += text),
    // as Shell.onData: held again while the prompt is open, else shown
    (item: Held) => {
      if (o.hold(item)) return;
      screen += 'pieces' in item ? Buffer.concat(item.pieces).toString() : `[lost ${item.lost}]`;
    },
    maxHeldBytes,
  );
  return { o, screen: () => screen };
}

describe('PromptOverlay', () => {
  it('holds output while open and shows it, in order, when the prompt closes', () => {
    const { o, screen } = overlay(100);
    o.open();
    expect(o.hold({ hub: 1, pieces: [Buffer.from('one ')] })).toBe(true);
    expect(o.hold({ hub: 1, lost: 7 })).toBe(true);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('two')] })).toBe(true);
    expect(screen()).toBe(PROMPT_OPEN);
    o.close();
    expect(screen()).toBe(`${PROMPT_OPEN}one [lost 7]two`);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('x')] })).toBe(false);
  });

  it('past its bound shows what it held once, without holding it again, and draws the prompt below, still open', () => {
    const { o, screen } = overlay(10);
    o.open();
    o.feed(Buffer.from('st'));
    for (let i = 0; i < 3; i++) o.hold({ hub: 1, pieces: [Buffer.from('0123')] });
    expect(screen()).toBe(`${PROMPT_OPEN}st012301230123${PROMPT_OPEN}st`);
    expect(o.isOpen).toBe(true);
    // and a mebibyte more, chunk by chunk, shows in full (no recursion on the way)
    for (let i = 0; i < 1000; i++) o.hold({ hub: 1, pieces: [Buffer.alloc(1024, 'x')] });
    expect(screen().split('x').length - 1).toBeGreaterThan(1000 * 1024 - 20);
  });

  it('paused (a reply on the screen), holds output with no prompt open until resumed; close shows it too', () => {
    const { o, screen } = overlay(100);
    runLine(o);
    const shown = screen();
    expect(o.isOpen).toBe(false);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('tick')] })).toBe(true);
    expect(screen()).toBe(shown);
    o.resume();
    expect(screen()).toBe(`${shown}tick`);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('live')] })).toBe(false);
    runLine(o);
    const again = screen();
    o.hold({ hub: 1, pieces: [Buffer.from('last')] });
    o.close();
    expect(screen()).toBe(`${again}last`);
  });

  it('paused past its bound shows what it held and stops holding', () => {
    const { o, screen } = overlay(10);
    runLine(o);
    const shown = screen();
    for (let i = 0; i < 3; i++) o.hold({ hub: 1, pieces: [Buffer.from('0123')] });
    expect(screen()).toBe(`${shown}012301230123`);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('x')] })).toBe(false);
  });

  it('a line run at the prompt goes on holding, so its reply comes under the prompt before what the program wrote', () => {
    const { o, screen } = overlay(100);
    o.open();
    o.hold({ hub: 1, pieces: [Buffer.from('drawn')] });
    const step = o.feed(Buffer.from('status\r'));
    expect(step.end?.kind).toBe('line');
    expect(o.isOpen).toBe(false);
    expect(o.hold({ hub: 1, pieces: [Buffer.from('+more')] })).toBe(true);
    expect(screen()).toBe(`${PROMPT_OPEN}status\r\n`);
    o.resume();
    expect(screen()).toBe(`${PROMPT_OPEN}status\r\ndrawn+more`);
  });
});
