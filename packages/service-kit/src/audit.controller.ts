import { Controller, Inject, type Type } from '@nestjs/common';
import { AuditLog, toAuditRow } from '@citadel/audit';
import { AllowServiceCaller, RequirePermission } from '@citadel/auth';
import type {
  AuditHashes,
  AuditRecord,
  AuditVerification,
  ContractName,
  ListAuditHashesRequest,
  ListAuditRequest,
  ListAuditResponse,
  VerifyAuditRequest,
} from '@citadel/contracts';
import { ContractMethod } from '@citadel/transport';

/**
 * The audit methods every Citadel service serves on its own gRPC service (`service`'s
 * contract, e.g. `OrderService`): the operators' `auditor` identity or an admin may verify
 * the chain and page its hashes (to compare with the monitor's copy); admins may read
 * records. Registered by {@link runGrpcService}. Typed against every contract at once
 * (`ContractName`): the methods they all have are exactly the audit ones.
 */
export function auditControllerFor(service: ContractName): Type<unknown> {
  const AuditMethod = ContractMethod<ContractName>(service);
  @Controller()
  class AuditController {
    constructor(@Inject(AuditLog) private readonly audit: AuditLog) {}

    @AuditMethod
    @AllowServiceCaller('auditor')
    @RequirePermission('audit:read')
    async verifyAudit(_request: VerifyAuditRequest): Promise<AuditVerification> {
      const result = await this.audit.verify();
      return {
        service: result.service,
        ok: result.ok,
        records: result.records,
        first_broken_seq: result.firstBroken?.seq ?? 0,
        reason: result.firstBroken?.reason ?? '',
      };
    }

    @AuditMethod
    @RequirePermission('audit:read')
    async listAudit(request: ListAuditRequest): Promise<ListAuditResponse> {
      const records = await this.audit.find({
        traceId: request.trace_id || undefined,
        actor: request.actor || undefined,
        action: request.action || undefined,
        limit: request.limit || undefined,
      });
      // The stored row is already the message's shape (snake_case, int64 seq as number).
      return {
        records: records.map((record): AuditRecord => ({ ...toAuditRow(record), seq: record.seq })),
      };
    }

    /**
     * The chain's `(seq, hash)` pairs after `after_seq`, oldest first: `npm run
     * audit:verify` pages these against the monitor's ListChainHashes to name the first
     * record that differs. `service` names a chain only at the monitor; here it is this one.
     */
    @AuditMethod
    @AllowServiceCaller('auditor')
    @RequirePermission('audit:read')
    async listAuditHashes(request: ListAuditHashesRequest): Promise<AuditHashes> {
      return { hashes: await this.audit.hashes(request.after_seq || 0, request.limit || 0) };
    }
  }
  return AuditController;
}
