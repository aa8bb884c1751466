// Each Citadel service's contract as TypeScript: the client and controller interfaces ts-proto
// generates from its .proto file (src/generated/, rebuilt by `npm run build`), by service
// name. A service in the registry (@citadel/config) with no contract fails the type check.
import type { Observable } from 'rxjs';
import type { ContractName } from './protos.js';
import type { GeneratedClients, ServiceControllers } from './generated/index.js';

export type { GeneratedClients, ServiceControllers };

// Both maps name exactly the registry's gRPC services: one missing or extra fails here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type EveryServiceHasAContract = [
  Holds<Same<keyof GeneratedClients, ContractName>>,
  Holds<Same<keyof ServiceControllers, ContractName>>,
];

/** `createOrder`, `charge`, ...: the methods of a service's contract, as ts-proto names them. */
export type MethodName<S extends ContractName> = keyof GeneratedClients[S] & string;

/** The request message of one method. */
export type RequestOf<
  S extends ContractName,
  M extends MethodName<S>,
> = GeneratedClients[S][M] extends (request: infer Req) => unknown ? Req : never;

/** The response message of one method. */
export type ResponseOf<
  S extends ContractName,
  M extends MethodName<S>,
> = GeneratedClients[S][M] extends (request: never) => Observable<infer Res> ? Res : never;

/**
 * A message as a caller may write it: proto3 has no required fields, and an absent field
 * is its zero value on the wire, so every field may be left out. A field the message does
 * not have is still an error in an object literal.
 */
export type Draft<T> = T extends readonly (infer E)[]
  ? Draft<E>[]
  : T extends object
    ? { [K in keyof T]?: Draft<T[K]> }
    : T;

/**
 * The typed client of one service with per-call options `O`: each method of the contract
 * takes its request (fields may be left out) and answers a promise of its response.
 */
export type ContractClient<S extends ContractName, O> = {
  [M in MethodName<S>]: (request: Draft<RequestOf<S, M>>, options?: O) => Promise<ResponseOf<S, M>>;
};
