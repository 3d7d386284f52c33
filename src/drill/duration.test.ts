import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.js';

describe('parseDurationMs', () => {
  it('reads the ways scenarios write durations', () => {
    expect(parseDurationMs('2h30m')).toBe(9_000_000);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('1.5s')).toBe(1_500);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1h 5m')).toBe(3_900_000);
    expect(parseDurationMs(0)).toBe(0);
    expect(parseDurationMs('0')).toBe(0);
    expect(parseDurationMs(45)).toBe(45_000);
  });

  it('refuses what it cannot read rather than guessing', () => {
    for (const bad of ['2 hours', '', 'h', '10x', '-5s', '5m garbage']) expect(parseDurationMs(bad)).toBeUndefined();
    expect(parseDurationMs(-1)).toBeUndefined();
    expect(parseDurationMs(Number.NaN)).toBeUndefined();
  });
});

describe('formatDurationMs', () => {
  it('is short and exact enough for a report', () => {
    expect(formatDurationMs(850)).toBe('850ms');
    expect(formatDurationMs(4_200)).toBe('4.2s');
    expect(formatDurationMs(42_000)).toBe('42s');
    expect(formatDurationMs(750_000)).toBe('12m30s');
    expect(formatDurationMs(900_000)).toBe('15m');
    expect(formatDurationMs(3_900_000)).toBe('1h05m');
    expect(formatDurationMs(-1_500)).toBe('-1.5s');
  });
});
