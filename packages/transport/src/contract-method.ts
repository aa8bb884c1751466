import { GrpcMethod } from '@nestjs/microservices';
import {
  CONTRACTS,
  type ContractName,
  type MethodName,
  type ServiceControllers,
} from '@citadel/contracts';

/**
 * What a handler of `method` may look like: the request of the generated controller
 * interface first (Nest's other parameters, such as `@CurrentCall()`, after it), and its
 * response, or a promise or Observable of it.
 */
export type ContractHandler<
  S extends ContractName,
  M extends MethodName<S>,
> = ServiceControllers[S][M & keyof ServiceControllers[S]] extends (request: infer Req) => infer Res
  ? (request: Req, ...context: never[]) => Res
  : never;

/**
 * Marks a controller method as the handler of the method of the same name in `service`'s
 * contract (`@ContractMethod('order') createOrder(...)` serves `OrderService/CreateOrder`):
 * Nest's `@GrpcMethod`, with the name and the signature checked against the controller
 * interface ts-proto generates from the .proto file. A method the contract does not have,
 * or a request or response of another shape, fails the build.
 */
export function ContractMethod<S extends ContractName>(service: S) {
  return <M extends MethodName<S>, H extends ContractHandler<S, M>>(
    target: object,
    method: M,
    descriptor: TypedPropertyDescriptor<H>,
  ): void => {
    GrpcMethod(CONTRACTS[service].service, method)(target, method, descriptor);
  };
}
