import { Injectable } from '@nestjs/common';
import { ChainRepository, type HeldChain, type RecordHash } from './chain.repository.js';

/** The most hashes one page holds (audit.proto: 0 or more means this many). */
export const MAX_HASH_PAGE = 1_000;

/**
 * The monitor's copy of the chains, as the operators' auditor reads it (`npm run
 * audit:verify`) to compare each service's own trail with what it delivered.
 */
@Injectable()
export class ChainCopyService {
  constructor(private readonly chains: ChainRepository) {}

  heads(): Promise<HeldChain[]> {
    return this.chains.heads();
  }

  /** `service`'s record hashes after `afterSeq`, at most `limit` (0 or above 1000: 1000). */
  hashes(service: string, afterSeq: number, limit: number): Promise<RecordHash[]> {
    const bounded = limit > 0 && limit <= MAX_HASH_PAGE ? Math.trunc(limit) : MAX_HASH_PAGE;
    return this.chains.hashPage(service, Math.max(afterSeq, 0), bounded);
  }
}
