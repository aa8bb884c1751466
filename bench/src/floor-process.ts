// One process of the bench's machine floor (see floor.ts): `backend` answers one gRPC
// method with a fixed payload; `front` is a hand-built HTTPS server that makes one call
// to it per request. No framework, no security, no logging: the least a read through a
// gateway to a gRPC service can cost on this machine, built the straightforward way the
// targets' reference floor was. So it keeps Node's own `AsyncResource.bind` and grpc-js's
// stack capture per call, which Citadel's `ServiceClient` avoids (see grpc-client.ts).
import https from 'node:https';
import * as grpc from '@grpc/grpc-js';

const identity = (buffer: Buffer) => buffer;
const GET: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/citadel.bench.v1.Floor/Get',
  requestStream: false,
  responseStream: false,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
};

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

function backend(): void {
  const payload = Buffer.from(env('FLOOR_PAYLOAD_B64'), 'base64');
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  server.addService(
    { Get: GET },
    { Get: (_call: unknown, done: grpc.sendUnaryData<Buffer>) => done(null, payload) },
  );
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    process.send?.({ port });
  });
}

function front(): void {
  const client = new grpc.Client(env('FLOOR_BACKEND'), grpc.credentials.createInsecure(), {
    'grpc.enable_channelz': 0,
  });
  const server = https.createServer(
    { key: env('FLOOR_TLS_KEY'), cert: env('FLOOR_TLS_CERT'), minVersion: 'TLSv1.3' },
    (request, response) => {
      client.makeUnaryRequest(
        GET.path,
        identity,
        identity,
        Buffer.from(request.url ?? '/'),
        (error: grpc.ServiceError | null, body?: Buffer) => {
          if (error || !body) {
            response.writeHead(502).end();
            return;
          }
          response.writeHead(200, {
            'content-type': 'application/json',
            'content-length': body.length,
          });
          response.end(body);
        },
      );
    },
  );
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
}

// Never outlives the bench that forked it. SIGTERM is handled explicitly: the bench's
// profiler listens for it, and a listener takes away its default of ending the process.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
if (process.argv[2] === 'backend') backend();
else if (process.argv[2] === 'front') front();
else throw new Error('usage: floor-process.js backend|front');
