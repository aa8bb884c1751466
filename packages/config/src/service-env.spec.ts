import { loadServiceEnv, serviceEnvSchema } from './service-env.js';

describe('OpenTelemetry settings', () => {
  const load = (env: NodeJS.ProcessEnv) => loadServiceEnv(serviceEnvSchema, env);

  it('leave trace export off when unset or empty (empty counts as unset, per the OTel spec)', () => {
    expect(load({}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('take a collector URL, and refuse anything else, naming the variable', () => {
    const env = load({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/v1/traces',
    });
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://localhost:4318');
    expect(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).toBe('https://collector.example/v1/traces');
    expect(() => load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost 4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
  });
});
