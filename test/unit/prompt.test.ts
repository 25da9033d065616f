// prompt.test.ts — the io: prompt's line editor (core/prompt.ts): what it
// echoes, how it ends, and the keys after its end.

import { describe, expect, it } from 'vitest';
import { PromptLine } from '../../src/core/prompt.js';

const keys = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('PromptLine', () => {
  it('echoes what is typed, edits with backspace, and ends at Enter with the line and what came after', () => {
    const p = new PromptLine();
    expect(p.feed(keys('stax'))).toEqual({ echo: 'stax' });
    expect(p.feed(keys('\x7f'))).toEqual({ echo: '\b \b' });
    const step = p.feed(keys('tus\rls\r'));
    expect(step).toMatchObject({ echo: 'tus\r\n', end: { kind: 'line', line: 'status' } });
    expect(step.rest?.toString()).toBe('ls\r');
  });

  it('Esc and Ctrl-C cancel; Ctrl-] and Ctrl-\\ end it with that key for the session; other control keys do nothing', () => {
    expect(new PromptLine().feed(keys('at\x1b'))).toMatchObject({ echo: 'at (cancelled)\r\n', end: { kind: 'cancel' } });
    // an arrow key is Esc and the rest of its sequence: the rest must not reach the session
    expect(new PromptLine().feed(keys('\x1b[A')).rest).toBeUndefined();
    expect(new PromptLine().feed(keys('\x03'))).toMatchObject({ end: { kind: 'cancel' } });
    expect(new PromptLine().feed(keys('\x1d'))).toMatchObject({ echo: '\r\x1b[K', end: { kind: 'key', key: 0x1d } });
    expect(new PromptLine().feed(keys('\x1c'))).toMatchObject({ end: { kind: 'key', key: 0x1c } });
    const p = new PromptLine();
    expect(p.feed(keys('\x01\x02\x7f'))).toEqual({ echo: '' });
    expect(p.feed(keys('\n'))).toMatchObject({ end: { kind: 'line', line: '' } });
  });
});
