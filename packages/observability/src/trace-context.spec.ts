import { continueTrace } from './trace-context.js';

describe('trace context', () => {
  it('continues a valid traceparent with a new span', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const next = continueTrace(incoming);
    expect(next.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(next.spanId).not.toBe('00f067aa0ba902b7');
    expect(next.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it.each([
    undefined,
    '',
    'garbage',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-XYZ\r\nInjected: 1',
  ])('starts a fresh trace for %p', (incoming) => {
    expect(continueTrace(incoming).traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
