// lines.test.ts — the page's line editing for a session on pipes (src/web/lines.ts).

import { describe, expect, it } from 'vitest';
import { LineEditor, columnsOf, graphemeColumns } from '../../src/web/lines.js';

describe('LineEditor', () => {
  it('echoes what is typed and sends the line at Enter, with a newline', () => {
    const e = new LineEditor();
    expect(e.feed('hel')).toEqual({ echo: 'hel', send: '' });
    expect(e.feed('lo')).toEqual({ echo: 'lo', send: '' });
    expect(e.feed('\r')).toEqual({ echo: '\r\n', send: 'hello\n' });
    expect(e.feed('\r')).toEqual({ echo: '\r\n', send: '\n' });
  });

  it('a paste of several lines sends each, and keeps the unfinished rest', () => {
    const e = new LineEditor();
    expect(e.feed('one\rtwo\nthr')).toEqual({ echo: 'one\r\ntwo\r\nthr', send: 'one\ntwo\n' });
    expect(e.feed('ee\r').send).toBe('three\n');
  });

  it('Backspace takes one character off, by its columns; Ctrl-U the whole line; Ctrl-C drops it', () => {
    const e = new LineEditor();
    e.feed('ab🎉');
    expect(e.feed('\x7f')).toEqual({ echo: '\b\b  \b\b', send: '' });
    expect(e.feed('\x7f')).toEqual({ echo: '\b \b', send: '' });
    expect(e.feed('\r').send).toBe('a\n');
    e.feed('xyz');
    expect(e.feed('\x15').echo).toBe('\b \b'.repeat(3));
    expect(e.feed('\x7f').echo).toBe('');
    e.feed('gone');
    expect(e.feed('\x03')).toEqual({ echo: '^C\r\n', send: '' });
    expect(e.feed('\r').send).toBe('\n');
  });

  it('Ctrl-D sends what was typed without a newline; escape sequences and other controls go nowhere', () => {
    const e = new LineEditor();
    e.feed('part');
    expect(e.feed('\x04')).toEqual({ echo: '', send: 'part' });
    expect(e.feed('\x1b[A')).toEqual({ echo: '', send: '' });
    expect(e.feed('a\x01\x07b')).toEqual({ echo: 'ab', send: '' });
    expect(e.feed('\r').send).toBe('ab\n');
  });

  it('Backspace takes a character as seen: e and its combining accent together, a wide emoji by its two columns', () => {
    const e = new LineEditor();
    e.feed('xe\u0301');
    expect(e.feed('\x7f')).toEqual({ echo: '\b \b', send: '' });
    expect(e.feed('\r').send).toBe('x\n');
    e.feed('🚀');
    expect(e.feed('\x7f').echo).toBe('\b\b  \b\b');
    expect(e.feed('\r').send).toBe('\n');
  });

  it('a tab is kept in the line, echoed as a space', () => {
    const e = new LineEditor();
    expect(e.feed('a\tb')).toEqual({ echo: 'a b', send: '' });
    expect(e.feed('\r').send).toBe('a\tb\n');
  });

  it('columnsOf: wide for CJK and emoji, one for the rest', () => {
    for (const [ch, w] of [['a', 1], ['é', 1], ['☀', 1], ['漢', 2], ['한', 2], ['🎉', 2], ['🚀', 2], ['☕', 2], ['⚡', 2], ['🫠', 2], ['｡', 1]] as const) {
      expect([ch, columnsOf(ch.codePointAt(0)!)]).toEqual([ch, w]);
    }
  });

  it('hide and show: the line being typed off the screen and back, kept in the editor', () => {
    const e = new LineEditor();
    expect(e.isTyping).toBe(false);
    e.feed('a🎉\tb');
    expect(e.isTyping).toBe(true);
    expect(e.hide()).toBe('\b \b' + '\b\b  \b\b' + '\b \b' + '\b \b');
    expect(e.show()).toBe('a🎉 b');
    expect(e.feed('\r').send).toBe('a🎉\tb\n');
  });

  it('graphemeColumns: a character as seen, as xterm.js draws it; Backspace takes all of its columns', () => {
    for (const [g, w] of [['a', 1], ['e\u0301', 1], ['❤️', 1], ['👍🏽', 4], ['🇫🇷', 2], ['👨‍👩‍👧', 6], ['漢', 2]] as const) {
      expect([g, graphemeColumns(g)]).toEqual([g, w]);
    }
    const e = new LineEditor();
    e.feed('[👍🏽');
    expect(e.feed('\x7f').echo).toBe('\b\b\b\b    \b\b\b\b');
    expect(e.feed('\r').send).toBe('[\n');
  });
});
