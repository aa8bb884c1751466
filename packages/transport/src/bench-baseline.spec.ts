import {
  BENCH_BASELINE_VALUE,
  BENCH_BASELINE_VAR,
  benchBaselineEnabled,
  benchBaselineRefusal,
  parseBenchBaseline,
} from '@citadel/config';
import type { ExecutionContext } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import {
  BENCH_BASELINE_USER,
  BENCH_BASELINE_USER_METADATA,
  BenchBaselineGuard,
  encodeBaselineUser,
} from './bench-baseline.js';
import { callContextOf } from './call-context.js';

describe('the insecure benchmark baseline', () => {
  it('is off in a normal run (this test process does not set the variable)', () => {
    expect(process.env[BENCH_BASELINE_VAR]).toBeUndefined();
    expect(benchBaselineEnabled()).toBe(false);
  });

  it('is off when the variable is absent or empty', () => {
    expect(parseBenchBaseline({})).toBe(false);
    expect(parseBenchBaseline({ [BENCH_BASELINE_VAR]: '' })).toBe(false);
  });

  it('is on only for the exact value', () => {
    expect(parseBenchBaseline({ [BENCH_BASELINE_VAR]: BENCH_BASELINE_VALUE })).toBe(true);
  });

  it.each([
    '1',
    'true',
    'yes',
    'on',
    BENCH_BASELINE_VALUE.toUpperCase(),
    ` ${BENCH_BASELINE_VALUE}`,
    `${BENCH_BASELINE_VALUE}\n`,
    BENCH_BASELINE_VALUE.slice(0, -1),
  ])('refuses to guess: %j stops the process instead of switching anything off', (value) => {
    expect(() => parseBenchBaseline({ [BENCH_BASELINE_VAR]: value })).toThrow(
      new RegExp(BENCH_BASELINE_VAR),
    );
  });

  it('makes npm start refuse whenever the variable is present, whatever its value', () => {
    expect(benchBaselineRefusal({})).toBeUndefined();
    for (const value of ['', '0', BENCH_BASELINE_VALUE]) {
      expect(benchBaselineRefusal({ [BENCH_BASELINE_VAR]: value })).toMatch(/npm start/);
    }
  });

  it('its guard establishes the user the baseline gateway sent, so handlers run unchanged', () => {
    const metadata = new grpc.Metadata();
    metadata.set(BENCH_BASELINE_USER_METADATA, encodeBaselineUser(BENCH_BASELINE_USER));
    const call = { metadata };
    const ctx = { getArgByIndex: (i: number) => [{}, metadata, call][i] } as ExecutionContext;
    expect(new BenchBaselineGuard().canActivate(ctx)).toBe(true);
    expect(callContextOf(call)).toMatchObject({
      user: { id: BENCH_BASELINE_USER.id, role: 'customer' },
    });
  });
});
