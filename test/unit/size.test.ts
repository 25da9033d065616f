// size.test.ts — parseSize / formatSize: byte sizes as people write them (--buffer, --max-frame).

import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from '../../src/core/size.js';

const K = 1024;
const M = 1024 ** 2;
const G = 1024 ** 3;

describe('parseSize', () => {
  it.each([
    ['1', 1],
    ['65536', 65536],
    ['512k', 512 * K],
    ['512K', 512 * K],
    ['512kb', 512 * K],
    ['512KiB', 512 * K],
    ['4m', 4 * M],
    ['4M', 4 * M],
    ['4mb', 4 * M],
    ['4MiB', 4 * M],
    ['1g', G],
    ['1GB', G],
    ['2gib', 2 * G],
    ['100b', 100],
    ['100B', 100],
    ['1.5k', 1536],
    ['0.5m', 512 * K],
    ['1.0001k', 1024],
    ['4 m', 4 * M],
    ['  64k  ', 64 * K],
    ['007', 7],
    ['8388607g', 8388607 * G],
  ])('%j → %i', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', ' ', 'k', 'abc', '-1', '-1k', '+1', '1e3', '1x', '1kk', '1 k b', '1t', '0x10', '.5k', '5.k', '1,000', 'Infinity', 'NaN'])(
    '%j is not a size',
    (text) => {
      expect(parseSize(text)).toBe(`'${text}' is not a size (try 512k, 4m, 1g)`);
    },
  );

  it.each(['0', '0k', '0.4', '0.0001k', '9007199254740993', '8388608.5g', '99999999999999999999', '8388608g'])('%j is not a positive size', (text) => {
    expect(parseSize(text)).toBe(`'${text}' is not a positive size`);
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [1000, '1000'],
    [1023, '1023'],
    [K, '1k'],
    [1536, '1536'],
    [512 * K, '512k'],
    [1025 * K, '1025k'],
    [M, '1m'],
    [4 * M, '4m'],
    [M + K, '1025k'],
    [G, '1g'],
    [3 * G, '3g'],
    [2048 * G, '2048g'],
    [G + 1, String(G + 1)],
  ])('%i → %j', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it.each([1, 1023, K, 1536, 512 * K, 4 * M, M + K, 3 * G])('parseSize(formatSize(%i)) is the same number', (bytes) => {
    expect(parseSize(formatSize(bytes))).toBe(bytes);
  });
});
