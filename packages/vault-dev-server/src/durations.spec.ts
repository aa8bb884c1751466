import { DurationError, formatDuration, parseDuration } from './durations.js';

describe('parseDuration', () => {
  it.each([
    [3600, 3600],
    ['3600', 3600],
    ['20s', 20],
    ['30m', 1800],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2d', 172800],
    ['1500ms', 1],
    [undefined, 0],
    ['', 0],
  ])('reads %p as %p seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([['1x'], ['h'], ['-5'], [-5], [1.5], [true], ['1h 30m']])('refuses %p', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
  });
});

describe('formatDuration', () => {
  it('spells durations the way Go (and so Vault) does', () => {
    expect(formatDuration(3600)).toBe('1h0m0s');
    expect(formatDuration(600)).toBe('10m0s');
    expect(formatDuration(3725)).toBe('1h2m5s');
    expect(formatDuration(20)).toBe('20s');
    expect(formatDuration(0)).toBe('0s');
  });
});
