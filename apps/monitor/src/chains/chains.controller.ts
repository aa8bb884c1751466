import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AllowServiceCaller, PublicMethod, RequirePermission } from '@citadel/auth';
import type {
  AuditHashes,
  ChainHead,
  DeliverRequest,
  GetHeadRequest,
  ListChainHashesRequest,
  ListChainHeadsResponse,
} from '@citadel/contracts';
import { ContractMethod, CurrentCall, type CallContext } from '@citadel/transport';
import { ChainCopyService } from './chain-copy.service.js';
import type { HeldChain } from './chain.repository.js';
import { ChainNotNamed } from './delivery.errors.js';
import { DeliveryService } from './delivery.service.js';

/**
 * gRPC transport for the chains. Deliver and GetHead carry no user JWT: the east-west
 * policy lets only the registry's services call them, and the chain is the caller's, from
 * its certificate. The auditor (or an admin) reads the copy.
 */
@Controller()
export class ChainsController {
  constructor(
    private readonly delivery: DeliveryService,
    private readonly copy: ChainCopyService,
  ) {}

  @ContractMethod('monitor')
  @PublicMethod()
  async deliver(
    @Payload() request: DeliverRequest,
    @CurrentCall() call: CallContext,
  ): Promise<ChainHead> {
    return toChainHead(await this.delivery.deliver(call.caller, request));
  }

  @ContractMethod('monitor')
  @PublicMethod()
  async getHead(
    @Payload() _request: GetHeadRequest,
    @CurrentCall() call: CallContext,
  ): Promise<ChainHead> {
    return toChainHead(await this.delivery.head(call.caller));
  }

  @ContractMethod('monitor')
  @AllowServiceCaller('auditor')
  @RequirePermission('audit:read')
  async listChainHeads(): Promise<ListChainHeadsResponse> {
    return { heads: (await this.copy.heads()).map(toChainHead) };
  }

  @ContractMethod('monitor')
  @AllowServiceCaller('auditor')
  @RequirePermission('audit:read')
  async listChainHashes(@Payload() request: ListChainHashesRequest): Promise<AuditHashes> {
    if (!request.service) throw new ChainNotNamed();
    const hashes = await this.copy.hashes(
      request.service,
      request.after_seq ?? 0,
      request.limit ?? 0,
    );
    return { hashes };
  }
}

function toChainHead(chain: HeldChain): ChainHead {
  return {
    service: chain.service,
    seq: chain.seq,
    hash: chain.hash,
    received_at: chain.receivedAt?.toISOString() ?? '',
    broken: chain.broken,
  };
}
