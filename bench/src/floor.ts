import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '@citadel/pki';

const PROCESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'floor-process.js');

/**
 * This machine's floor for the read path: a hand-built HTTPS front (node:https, TLS 1.3)
 * making one plaintext grpc-js call per request to a server in another process that
 * answers with the same bytes the real read returns. On the machine the absolute read
 * targets were set on, this path (HTTPS → gRPC, plaintext channel) made ~9,400 req/s, so
 * the targets can be read against this machine too.
 */
export interface Floor {
  url: string;
  ca: Buffer;
  pids: { front: number; backend: number };
  stop(): Promise<void>;
}

/** `extraEnv`: the bench's `--cpu-prof` profiler, as the systems get it. */
export async function startFloor(
  payload: Buffer,
  extraEnv: Record<string, string> = {},
): Promise<Floor> {
  const ca = await createCertificateAuthority('Citadel bench floor CA', 1);
  const leaf = await issueCertificate(ca, { commonName: 'bench-floor', validDays: 1 });
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            // A profile is written on SIGTERM; a process that does not leave is killed.
            const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    const backend = await start(children, 'backend', {
      ...extraEnv,
      FLOOR_PAYLOAD_B64: payload.toString('base64'),
    });
    const front = await start(children, 'front', {
      ...extraEnv,
      FLOOR_BACKEND: `127.0.0.1:${backend.port}`,
      FLOOR_TLS_KEY: leaf.keyPem,
      FLOOR_TLS_CERT: leaf.certPem,
    });
    return {
      url: `https://localhost:${front.port}`,
      ca: Buffer.from(ca.certPem),
      pids: { front: front.pid, backend: backend.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function start(
  children: ChildProcess[],
  role: 'front' | 'backend',
  env: Record<string, string>,
): Promise<{ port: number; pid: number }> {
  const child = fork(PROCESS, [role], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`floor ${role}: not listening after 10 s`)),
      10_000,
    );
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      if (!message.port || child.pid === undefined) reject(new Error(`floor ${role}: no port`));
      else resolve({ port: message.port, pid: child.pid });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floor ${role} exited (${code}) before listening`));
    });
  });
}
