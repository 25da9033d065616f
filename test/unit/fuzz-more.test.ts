// fuzz-more.test.ts — random input to the parsers that fuzz.test.ts leaves out:
// parseTokenFile (the --token-file), parseWord (ioshell's typed commands),
// parseListen and parseWsTarget (--listen and ws:// targets).
//
// Each must never throw (STYLE §4: pure parsers return errors). An error is
// one line starting `io: `. The token file's errors must never echo a token:
// they are printed on stderr and written to logs, and a token there is a
// secret leaked. Since a token can sit in any word of a bad line (a line
// written `TOKEN ROLE`, say), no word that could be a token (16 or more
// characters) may show in the message, not even its first 16 characters.
//
// Inputs are half noise, half near-misses built from the grammar. Runs:
// IO_FUZZ_RUNS (default 10000); IO_FUZZ_SEED=N replays a failure.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseListen, parseWsTarget } from '../../src/core/address.js';
import { CtlError, IoError } from '../../src/core/errors.js';
import { ROLES, TOKEN_MAX_CHARS, TOKEN_MIN_CHARS, parseTokenFile } from '../../src/core/tokens.js';
import { parseWord } from '../../src/core/words.js';
import { TIMEOUT_MS, check, params } from '../helpers/fuzz.js';


/** The one-line `io: …` shape every user-facing error has. */
function checkMessage(message: string, input: string): void {
  check(message.startsWith('io: '), `error does not start with 'io: ': ${JSON.stringify(message)} for ${JSON.stringify(input)}`);
  check(!/[\n\r]/.test(message), `error spans lines: ${JSON.stringify(message)} for ${JSON.stringify(input)}`);
}

// ---- parseTokenFile ---------------------------------------------------------

const SOURCE = 'tokens';
const tokenChars = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 300 });
const goodToken = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: TOKEN_MIN_CHARS, maxLength: TOKEN_MAX_CHARS }).filter((t) => !t.startsWith('#'));
const sep = fc.constantFrom(' ', '\t', '  ', ' \t ', '\v', '\f', '\u00a0', '\u2028');
const roleWord = fc.oneof(fc.constantFrom(...ROLES, 'Watch', 'CONTROL', 'admin', 'read', '', '#', 'watch:'), fc.string({ maxLength: 12 }));
const tokenLine = fc.oneof(
  // ROLE TOKEN, well formed or nearly
  { weight: 4, arbitrary: fc.tuple(roleWord, sep, fc.oneof(goodToken, tokenChars), fc.constantFrom('', ' ', '\r')).map(([r, s, t, end]) => `${r}${s}${t}${end}`) },
  // TOKEN ROLE: the mistake most likely to put a secret where a role is looked for
  { weight: 2, arbitrary: fc.tuple(goodToken, sep, roleWord).map(([t, s, r]) => `${t}${s}${r}`) },
  // three words, one word, comments, blank lines
  { weight: 1, arbitrary: fc.tuple(roleWord, goodToken, goodToken).map(([r, a, b]) => `${r} ${a} ${b}`) },
  { weight: 1, arbitrary: fc.oneof(goodToken, fc.constant(''), fc.constant('   '), goodToken.map((t) => `# ${t}`)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
);
const tokenText = fc.tuple(fc.array(tokenLine, { maxLength: 6 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl));

/** Every whitespace-separated word of the text that is long enough to be a token. */
function possibleTokens(text: string): string[] {
  return text.split(/\s+/).filter((w) => w.length >= TOKEN_MIN_CHARS);
}

describe('parseTokenFile', () => {
  /** parseTokenFile, with a throw turned into a failure that shows the input. */
  function parse(text: string): ReturnType<typeof parseTokenFile> {
    try {
      return parseTokenFile(text, SOURCE);
    } catch (err) {
      throw new Error(`threw ${String(err)} for ${JSON.stringify(text)}`);
    }
  }

  it('never throws; entries are well formed; an error is one io: line naming the line', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(tokenText, (text) => {
        const got = parse(text);
        if (got instanceof IoError) {
          checkMessage(got.message, text);
          check(got.code === 'IO_ERR_AUTH', `code ${got.code}`);
          check(/^io: tokens: line \d+: /.test(got.message), `error names no line: ${got.message}`);
          return;
        }
        check(Array.isArray(got), 'neither entries nor an error');
        for (const e of got) {
          check((ROLES as readonly string[]).includes(e.role), `bad role ${e.role}`);
          check(e.token.length >= TOKEN_MIN_CHARS && e.token.length <= TOKEN_MAX_CHARS && /^[\x21-\x7e]+$/.test(e.token), `bad token ${JSON.stringify(e.token)}`);
        }
      }),
      params(),
    );
  });

  it('an error never echoes a word that could be a token, nor its first 16 characters', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(tokenText, (text) => {
        const got = parse(text);
        if (!(got instanceof IoError)) return;
        for (const t of possibleTokens(text)) {
          check(!got.message.includes(t.slice(0, TOKEN_MIN_CHARS)), `error echoes a token: ${JSON.stringify(got.message)} for ${JSON.stringify(text)}`);
        }
      }),
      params(),
    );
  });

  it('reads back every well-formed file it is given', { timeout: TIMEOUT_MS }, () => {
    const entry = fc.record({ role: fc.constantFrom(...ROLES), token: goodToken });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.token, maxLength: 8 }), fc.constantFrom('\n', '\r\n'), (entries, nl) => {
        const text = ['# tokens', ...entries.map((e) => `${e.role} ${e.token}`), ''].join(nl);
        expect(parseTokenFile(text, SOURCE)).toEqual(entries);
      }),
      params(0.2),
    );
  });

  it('a token given twice is refused, naming both lines and neither role nor token', () => {
    const token = 'same-token-0123456789abcdef';
    const got = parseTokenFile(`control ${token}\n# then\nwatch ${token}\n`, SOURCE);
    expect(got).toEqual(new IoError('IO_ERR_AUTH', 'io: tokens: line 3: the token of line 1 again (one token, one role)'));
  });

  // The plain case of the property above, so a regression reads as what it is.
  it('a line written TOKEN ROLE does not echo the token', () => {
    const secret = 's3cr3t-0123456789abcdef';
    const got = parseTokenFile(`${secret} control\n`, SOURCE);
    expect(got).toBeInstanceOf(IoError);
    expect((got as IoError).message).toMatch(/^io: tokens: line 1: /);
    expect((got as IoError).message).not.toContain(secret.slice(0, TOKEN_MIN_CHARS));
  });
});

// ---- parseWord ------------------------------------------------------------

const WORDS = ['attach', 'remote', 'local', 'detach', 'clear', 'hist', 'intr', 'status', 'list', 'hub'];
const arg = fc.oneof(fc.nat({ max: 99 }).map(String), fc.nat().map(String), fc.constantFrom('', 'x', '-3', '3.0', '0x3', '003', '99999', '100000', '٣'), fc.string({ maxLength: 10 }));
const wordSpace = fc.constantFrom(' ', '\t', '  ', '\u00a0', '\u2028', '\r', '');
const typedLine = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(wordSpace, fc.constantFrom(...WORDS), wordSpace, fc.array(fc.tuple(arg, wordSpace), { maxLength: 3 })).map(([a, w, b, rest]) => a + w + b + rest.map(([x, s]) => x + s).join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

describe('parseWord', () => {
  it('never throws; a command, null, or a one-line io: error about a command word', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(typedLine, (line) => {
        let got: ReturnType<typeof parseWord>;
        try {
          got = parseWord(line);
        } catch (err) {
          throw new Error(`threw ${String(err)} for ${JSON.stringify(line)}`);
        }
        const head = line.trim().split(/\s+/)[0] ?? '';
        if (got === null) return;
        // anything that is not a command word goes to the session untouched
        check(WORDS.includes(head), `${JSON.stringify(line)} taken as a command`);
        if (got instanceof CtlError) {
          checkMessage(got.message, line);
          check(['attach', 'remote', 'local'].includes(head), `error for a word that takes no number: ${got.message}`);
          return;
        }
        check(got.word === head, `word ${got.word} from ${JSON.stringify(line)}`);
        if (got.word === 'attach' || got.word === 'remote' || got.word === 'local') check(Number.isInteger(got.n) && got.n >= 0 && got.n % 3 === 0 && got.n <= 99999, `bad trihub ${got.n}`);
        if (got.word === 'hub') check(got.cmd.length > 0 && got.cmd === got.cmd.trim(), `bad hub command ${JSON.stringify(got.cmd)}`);
      }),
      params(),
    );
  });

  it('hub CMD hands CMD on as typed (trimmed), whatever it holds', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''), (cmd) => {
        expect(parseWord(`hub ${cmd}`)).toEqual({ word: 'hub', cmd: cmd.trim() });
      }),
      params(0.2),
    );
  });
});

// ---- parseListen, parseWsTarget -----------------------------------------------

const hostPart = fc.oneof(fc.constantFrom('', '127.0.0.1', 'localhost', '[::1]', '::1', '[::', '0.0.0.0', 'host:1'), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), fc.domain(), fc.string({ maxLength: 12 }));
const portPart = fc.oneof(fc.nat({ max: 70000 }).map(String), fc.constantFrom('', '0', '65535', '65536', '99999', '123456', '-1', '80a'), fc.string({ maxLength: 6 }));
const listenText = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(hostPart, fc.constantFrom(':', '::', ''), portPart).map(([h, c, p]) => `${h}${c}${p}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const wsText = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('ws://', 'wss://', 'http://', 'ws:/', 'WS://', ''), hostPart, fc.constantFrom(':', ''), portPart, fc.constantFrom('/', '//', ''), fc.string({ maxLength: 10 }), fc.constantFrom('', '/', '?x', '#y', '/z')).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

describe('parseListen and parseWsTarget', () => {
  it('parseListen never throws; a host and a port 0-65535, or a reason', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(listenText, (text) => {
        const got = parseListen(text);
        if (typeof got === 'string') return check(got.length > 0, 'empty reason');
        check(Number.isInteger(got.port) && got.port >= 0 && got.port <= 65535, `port ${got.port} from ${JSON.stringify(text)}`);
        // the shape only: whether the host resolves is the listener's business (it fails with the reason)
        check(got.host.length > 0, `empty host from ${JSON.stringify(text)}`);
      }),
      params(),
    );
  });

  it('parseWsTarget never throws; a target names a session with no slash', { timeout: TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(wsText, (text) => {
        const got = parseWsTarget(text);
        if (got === null) return;
        check(/^wss?:\/\//.test(got.url), `url ${got.url}`);
        check(got.name.length > 0 && !/[/?#]/.test(got.name), `name ${JSON.stringify(got.name)} from ${JSON.stringify(text)}`);
        check(got.url === `${got.url.split('://')[0]}://${got.host}/${got.name}`, `url ${got.url} is not host and name`);
      }),
      params(),
    );
  });
});
