import { describe, expect, it } from 'vitest';
import { addDecimals, count, csv, decimal, growth, money, percent } from './format';

// Each case is a value where rounding through a float would show something
// else, or an edge of the sign and separator rules.
describe('money', () => {
  it.each([
    ['1234567.891', '1,234,567.89'],
    ['2.675', '2.68'], // the float 2.675 is 2.67499…
    ['-2.675', '−2.68'], // half away from zero, typographic minus
    ['1.005', '1.01'],
    ['999.995', '1,000.00'], // the carry reaches a new group
    ['12345678901234567.895', '12,345,678,901,234,567.90'], // beyond a float's 17 digits
    ['7', '7.00'],
    ['-0.004', '0.00'], // rounds to zero: no sign
    [null, '—'],
    [undefined, '—'],
    ['', '—'],
  ])('%s is %s', (s, want) => {
    expect(money(s)).toBe(want);
  });
});

describe('decimal', () => {
  it.each([
    ['12.5', 0, '13'],
    ['-12.5', 0, '−13'],
    ['0.49', 0, '0'],
    ['1234.5678', 3, '1,234.568'],
  ])('%s to %i places is %s', (s, places, want) => {
    expect(decimal(s, places)).toBe(want);
  });
});

describe('percent', () => {
  it.each([
    ['0.5056', 1, '50.6%'],
    ['0.00049', 1, '0.0%'],
    ['-0.12345', 1, '−12.3%'],
    ['12.3456', 1, '1,234.6%'],
    ['0.123456789', 3, '12.346%'],
    ['0.0005', 1, '0.1%'],
  ])('%s to %i places is %s', (s, places, want) => {
    expect(percent(s, places)).toBe(want);
  });
  it('shows a dash for null', () => expect(percent(null)).toBe('—'));
});

describe('growth', () => {
  it.each([
    ['0.1234', '+12.3%'],
    ['-0.04', '−4.0%'],
    ['0.0004', '0.0%'], // rounds to zero: no plus
    ['-0.0004', '0.0%'],
    [null, '—'],
  ])('%s is %s', (s, want) => {
    expect(growth(s)).toBe(want);
  });
});

describe('count', () => {
  it.each([
    [0, '0'],
    [1234567, '1,234,567'],
    [-5, '−5'],
    [null, '—'],
  ])('%s is %s', (n, want) => {
    expect(count(n)).toBe(want);
  });
});

describe('addDecimals', () => {
  it('adds exactly at the widest scale', () => {
    expect(addDecimals('1.10', '-0.2', '3')).toBe('3.90');
    expect(addDecimals('0.1', '0.2')).toBe('0.3'); // 0.30000000000000004 in floats
    expect(addDecimals('-1.5', '1.25')).toBe('-0.25');
  });
});

describe('csv', () => {
  it('quotes what needs quoting', () => {
    expect(csv([['Segment', 'Revenue'], ['Home, Office', '1.50'], ['Say "hi"', '2']])).toBe('Segment,Revenue\r\n"Home, Office",1.50\r\n"Say ""hi""",2\r\n');
  });
  it.each([
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+cmd', "'+cmd"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['-12.5', '-12.5'],
    ['−4.0%', '−4.0%'],
  ])('neutralises formulas: %s', (v, want) => {
    expect(csv([[v]])).toBe(want + '\r\n');
  });
});
